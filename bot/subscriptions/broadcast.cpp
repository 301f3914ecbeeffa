#include "bot/subscriptions/broadcast.hpp"

#include <algorithm>
#include <array>

#include "bot/log.hpp"

namespace bb {

namespace {

constexpr std::array<std::pair<BroadcastStatus, const char*>, 4> kStatusNames{{
    {BroadcastStatus::Draft, "draft"},
    {BroadcastStatus::Scheduled, "scheduled"},
    {BroadcastStatus::Sent, "sent"},
    {BroadcastStatus::Cancelled, "cancelled"},
}};

//! Channels that can receive a push; the web chat has no way to reach a closed page.
constexpr std::array kPushChannels{Channel::WhatsApp, Channel::Telegram, Channel::Matrix};

constexpr int kPage = 1000;

}  // namespace

void addToProgress(BroadcastProgress& progress, const std::string& outbox_status, int n) {
  if (outbox_status == "queued" || outbox_status == "held" || outbox_status == "sending") {
    progress.queued += n;
  } else if (outbox_status == "sent") {
    progress.sent += n;
  } else if (outbox_status == "delivered" || outbox_status == "read") {
    progress.delivered += n;
  } else {
    progress.failed += n;  // failed, dead, cancelled
  }
}

const char* toString(BroadcastStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) {
      return name;
    }
  }
  return "draft";
}

std::optional<BroadcastStatus> broadcastStatusFromString(const std::string& s) {
  for (const auto& [status, name] : kStatusNames) {
    if (s == name) {
      return status;
    }
  }
  return std::nullopt;
}

const std::vector<ChannelLimit>& broadcastChannelLimits() {
  // WhatsApp and Telegram: one text message (4096 characters; counted here as code points with
  // room for link and footer); Matrix: kept readable.
  static const std::vector<ChannelLimit> kLimits{
      {Channel::WhatsApp, 3800}, {Channel::Telegram, 3800}, {Channel::Matrix, 8000}};
  return kLimits;
}

CitizenMessage& renderBroadcast(const BroadcastRecord& b, const flows::TextCatalog& texts,
                                const BroadcastOptions& options, CitizenMessage& to) {
  // What it is about: where the channel may not write freely (WhatsApp after 24 h without a
  // message from the citizen) the topic's template announces it and the text follows on a tap.
  to.about(NoticeKind::Broadcast,
           {flows::topicLabel(options.topics, b.topic, to.lang()),
            b.title.empty() ? b.body : b.title});
  std::string text = b.body;
  if (!b.link.empty()) {
    text += "\n\n" + b.link;
  }
  text += "\n\n" + texts.render(to.lang(), "broadcast.footer");
  return to.text(std::move(text));
}

BroadcastService::BroadcastService(BroadcastStore& broadcasts, SubscriptionStore& subscriptions,
                                   const flows::TextCatalog& texts, const Clock& clock,
                                   BroadcastOptions options)
    : broadcasts_(broadcasts),
      subscriptions_(subscriptions),
      texts_(texts),
      clock_(clock),
      options_(std::move(options)) {}

Result<std::int64_t> BroadcastService::createDraft(const NewBroadcast& b) {
  if (b.topic.empty() || b.body.empty()) {
    return fail(ErrorCode::InvalidInput, "topic and text are required");
  }
  return broadcasts_.createBroadcast(b, clock_.now());
}

SysTime BroadcastService::fanoutStart(Channel channel, SysTime now,
                                      std::chrono::duration<double> step) {
  // Continue after rows of earlier broadcasts still queued on this channel, so that two
  // broadcasts together never exceed the rate either; but no later than the backlog takes at
  // the rate: a row waiting for a retry or claimed for sending must not hold back the next.
  auto backlog = broadcasts_.backlog(channel);
  if (!backlog || backlog->queued == 0) { return now; }
  const auto drained = now + std::chrono::duration_cast<std::chrono::milliseconds>(
                                 step * static_cast<double>(backlog->queued));
  const SysTime tail = std::min(backlog->last_due, drained);
  if (tail < now) { return now; }
  return tail + std::chrono::duration_cast<std::chrono::milliseconds>(step);
}

Result<int> BroadcastService::send(std::int64_t id) {
  auto found = broadcasts_.broadcast(id);
  if (!found) { return fail(found.error().code, found.error().detail); }
  if (!*found) { return fail(ErrorCode::NotFound, "no such broadcast"); }
  const BroadcastRecord& b = **found;
  if (b.status != BroadcastStatus::Draft && b.status != BroadcastStatus::Scheduled) {
    return fail(ErrorCode::Conflict, std::string("broadcast is ") + toString(b.status));
  }
  const SysTime now = clock_.now();
  std::vector<FanoutRow> rows;
  for (const Channel channel : kPushChannels) {
    const auto rate_it = options_.rate_per_second.find(channel);
    const double rate = rate_it == options_.rate_per_second.end() ? 1.0
                                                                   : std::max(0.1, rate_it->second);
    const auto step = std::chrono::duration<double>(1.0 / rate);
    const SysTime start = fanoutStart(channel, now, step);
    std::string after;
    std::size_t index = 0;
    for (;;) {
      auto page = subscriptions_.subscribersOf(b.topic, channel, after, kPage);
      if (!page) { return fail(page.error().code, page.error().detail); }
      for (const CitizenRecord& c : *page) {
        auto message = CitizenMessage::broadcast(c);
        FanoutRow row;
        row.outbound = renderBroadcast(b, texts_, options_, message).build();
        // Millisecond due times; rows sharing a millisecond stay within the rate over a second.
        row.due = start + std::chrono::duration_cast<std::chrono::milliseconds>(
                              step * static_cast<double>(index));
        rows.push_back(std::move(row));
        ++index;
      }
      if (static_cast<int>(page->size()) < kPage) { break; }
      after = page->back().pseudonym;
    }
  }
  if (auto committed = broadcasts_.commitFanout(id, rows, now); !committed) {
    return fail(committed.error().code, committed.error().detail);
  }
  log::info("broadcast_sent", {{"broadcast", std::to_string(id)},
                               {"recipients", std::to_string(rows.size())}});
  if (options_.wake) {
    for (const Channel channel : kPushChannels) { options_.wake(channel); }
  }
  return static_cast<int>(rows.size());
}

Result<void> BroadcastService::schedule(std::int64_t id, SysTime at) {
  return broadcasts_.scheduleBroadcast(id, at, clock_.now());
}

Result<void> BroadcastService::cancel(std::int64_t id) {
  return broadcasts_.cancelBroadcast(id, clock_.now());
}

int BroadcastService::runDue() {
  auto due = broadcasts_.dueBroadcasts(clock_.now());
  if (!due) { return 0; }
  int sent = 0;
  for (const std::int64_t id : *due) {
    if (auto r = send(id); r) {
      ++sent;
    } else {
      log::warn("broadcast_send_failed", {{"broadcast", std::to_string(id)},
                                          {"code", toString(r.error().code)}});
    }
  }
  return sent;
}

Result<std::int64_t> BroadcastService::correct(std::int64_t id) {
  auto found = broadcasts_.broadcast(id);
  if (!found) { return fail(found.error().code, found.error().detail); }
  if (!*found) { return fail(ErrorCode::NotFound, "no such broadcast"); }
  const BroadcastRecord& b = **found;
  if (b.status == BroadcastStatus::Draft || b.status == BroadcastStatus::Scheduled) {
    auto c = broadcasts_.cancelBroadcast(id, clock_.now());
    if (!c) { return fail(c.error().code, c.error().detail); }
    return std::int64_t{0};
  }
  if (b.status == BroadcastStatus::Cancelled) { return std::int64_t{0}; }
  NewBroadcast correction;
  correction.topic = b.topic;
  correction.title = b.title;
  correction.body = texts_.render(flows::Lang::De, "broadcast.correction", {{"title", b.title}});
  correction.link = b.link;
  correction.source = b.source;
  correction.corrects_id = id;
  auto created = broadcasts_.createBroadcast(correction, clock_.now());
  if (!created) { return created; }
  if (auto sent = send(*created); !sent) { return fail(sent.error().code, sent.error().detail); }
  return *created;
}

}  // namespace bb
