// Outbound WhatsApp: the outbox's ChannelSender and the media fetcher, both on the HttpClient
// port. The 24 h customer-service window (channels.md §1.7) is checked before each free-form send.
#include "bot/log.hpp"
#include "webhooks/whatsapp/channel.hpp"

namespace bb::webhooks::whatsapp {
namespace {

using outbox::SendResult;
using ResultKind = outbox::SendResult::Kind;

constexpr const char* kPairRateLimit = "131056";
constexpr const char* kUndeliverable = "131026";
constexpr const char* kReEngagement = "131047";

}  // namespace

Sender::Sender(Settings settings, HttpClient& http, Store& store, const Clock& clock)
    : settings_(std::move(settings)), http_(http), store_(store), clock_(clock) {}

std::optional<bool> Sender::windowOpen(const std::string& pseudonym) {
  auto citizen = store_.citizen(pseudonym);
  if (!citizen || !*citizen) { return std::nullopt; }
  const auto& last = (*citizen)->last_inbound_at;
  if (!last) { return false; }
  return clock_.now() < *last + kServiceWindow - kWindowMargin;
}

SendResult Sender::toResult(const SendOutcome& outcome, const std::string& pseudonym) {
  SendResult r;
  r.error = outcome.error_code;
  r.retry_after = outcome.retry_after;
  r.provider_message_id = outcome.provider_message_id;
  switch (outcome.kind) {
    case SendOutcome::Kind::Sent:
      r.kind = ResultKind::Sent;
      break;
    case SendOutcome::Kind::Retry:
      r.kind = ResultKind::Retry;
      break;
    case SendOutcome::Kind::RateLimited:
      r.kind = ResultKind::RateLimited;
      r.scope = outcome.error_code == kPairRateLimit ? SendResult::Scope::Recipient
                                                     : SendResult::Scope::Channel;
      break;
    case SendOutcome::Kind::NeedTemplate: {
      r.kind = ResultKind::NeedTemplate;
      // Meta says the window is closed, whatever our clock says: only the citizen's next
      // message (the engine's release) may send the held rows again.
      std::lock_guard lock(mutex_);
      closed_by_meta_.insert(pseudonym);
      break;
    }
    case SendOutcome::Kind::Permanent:
      r.kind = outcome.error_code == kUndeliverable ? ResultKind::Unreachable
                                                    : ResultKind::Permanent;
      break;
  }
  return r;
}

SendResult Sender::send(const OutboxRow& row, const std::string& address,
                        const OutboundMessage& message) {
  if (message.template_name.empty()) {
    if (auto open = windowOpen(row.pseudonym); open && !*open) {
      return SendResult::failure(ResultKind::NeedTemplate, "outside_window");
    }
  }
  const std::vector<HttpCall> calls = renderMessage(message, address, settings_);
  std::size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto it = progress_.find(row.id); it != progress_.end()) { next = it->second; }
  }
  std::string last_id;
  for (std::size_t i = next; i < calls.size(); ++i) {
    const SendOutcome outcome = classifySendReply(http_.send(calls[i]));
    if (outcome.kind != SendOutcome::Kind::Sent) {
      SendResult r = toResult(outcome, row.pseudonym);
      if (r.kind == ResultKind::Permanent || r.kind == ResultKind::Unreachable) {
        std::lock_guard lock(mutex_);
        progress_.erase(row.id);
      }
      if (i > 0) {
        log::info("whatsapp_partial_send", {{"outbox", std::to_string(row.id)},
                                            {"part", std::to_string(i + 1)},
                                            {"parts", std::to_string(calls.size())}});
      }
      return r;
    }
    last_id = outcome.provider_message_id;
    std::lock_guard lock(mutex_);
    progress_[row.id] = i + 1;
  }
  {
    std::lock_guard lock(mutex_);
    progress_.erase(row.id);
    closed_by_meta_.erase(row.pseudonym);
  }
  // Receipts are matched on the last part's wamid (delivered last, read last).
  return SendResult::sent(last_id);
}

std::int64_t Sender::ticketNumberOf(const OutboxRow& row) {
  if (row.ticket_id > 0) {
    if (auto n = store_.ticketNumberById(row.ticket_id); n && *n > 0) { return *n; }
  }
  if (auto mine = store_.ticketsOf(row.pseudonym, 1); mine && !mine->empty()) {
    return mine->front().number;
  }
  return 0;
}

std::optional<TemplateNotice> Sender::noticeFor(const OutboxRow& row,
                                                const OutboundMessage& message) {
  // The catalogue's template of the message's own kind, in the citizen's language.
  const auto kind = noticeKindFromString(message.notice_kind);
  if (const WhatsAppTemplate* t = kind ? settings_.templates.find(*kind) : nullptr) {
    std::string lang = "de";
    if (auto c = store_.citizen(row.pseudonym); c && *c && !(*c)->lang.empty()) {
      lang = (*c)->lang;
    }
    const TemplateLanguage* chosen = &t->languages.front();
    for (const auto& l : t->languages) {
      if (l.code == lang) { chosen = &l; }
    }
    return TemplateNotice{t->name, chosen->code, message.notice_params,
                          chosen->button.empty() ? std::string() : kShowHeldPayload};
  }
  // No catalogue template for it: the single template of older setups, naming a ticket.
  const std::int64_t number = ticketNumberOf(row);
  if (number == 0 || settings_.template_name.empty()) { return std::nullopt; }
  return TemplateNotice{settings_.template_name,
                        settings_.template_language.empty() ? "de" : settings_.template_language,
                        {std::to_string(number)}, {}};
}

SendResult Sender::sendHoldNotice(const OutboxRow& row, const std::string& address,
                                  const OutboundMessage& message) {
  const std::optional<TemplateNotice> notice = noticeFor(row, message);
  if (!notice) {
    // Nothing to announce it with: the message simply waits for the citizen's next message.
    return SendResult::failure(ResultKind::Permanent, "no_template");
  }
  SendResult r;
  const auto kind = noticeKindFromString(message.notice_kind);
  if (kind && settings_.templates.find(*kind) != nullptr &&
      notice->params.size() != noticeParameters(*kind).size()) {
    // A message built with other parameters than the template has: Meta would answer 132000.
    r = SendResult::failure(ResultKind::Permanent, "template_params");
  } else {
    const SendOutcome outcome =
        classifySendReply(http_.send(renderTemplateNotice(*notice, address, settings_)));
    r = toResult(outcome, row.pseudonym);
  }
  if (r.kind == ResultKind::NeedTemplate) {
    // A template cannot be outside the window; treat a confused answer as permanent.
    r.kind = ResultKind::Permanent;
  }
  r.notice_template = notice->name;
  log::info("whatsapp_template_notice", {{"outbox", std::to_string(row.id)},
                                         {"template", notice->name},
                                         {"outcome", outbox::toString(r.kind)},
                                         {"code", r.error}});
  return r;
}

bool Sender::windowReopened(const OutboxRow& row) {
  {
    std::lock_guard lock(mutex_);
    if (closed_by_meta_.count(row.pseudonym) != 0) { return false; }
  }
  auto open = windowOpen(row.pseudonym);
  return open && *open;
}

MediaFetcher::MediaFetcher(Settings settings, HttpClient& http)
    : settings_(std::move(settings)), http_(http) {}

media::FetchResult MediaFetcher::fetch(const MediaJob& job) {
  using Kind = media::FetchResult::Kind;
  auto failure = [](Kind kind, std::string error) {
    media::FetchResult r;
    r.kind = kind;
    r.error = std::move(error);
    return r;
  };
  auto temporary = [](int status) { return status == 0 || status == 429 || status >= 500; };

  const HttpReply info = http_.send(mediaInfoCall(job.source_ref, settings_));
  if (temporary(info.status)) {
    return failure(Kind::Retry, info.status == 0 ? "transport" : "http_" + std::to_string(info.status));
  }
  auto url = parseMediaUrl(info);
  if (!url) {
    // Unknown or expired media id (ids live 7 days), or an answer without a URL.
    return failure(Kind::Reject, "media_info_" + std::to_string(info.status));
  }
  HttpReply download = http_.send(mediaDownloadCall(*url, settings_));
  if (download.status == 0 && download.transport_error == "response too large") {
    return failure(Kind::Reject, "too_large");
  }
  if (temporary(download.status) || download.status == 404) {
    // 404: the URL expired (5 minutes); the next attempt asks for a fresh one.
    return failure(Kind::Retry, download.status == 0 ? "transport"
                                                     : "http_" + std::to_string(download.status));
  }
  if (download.status != 200) {
    return failure(Kind::Reject, "download_" + std::to_string(download.status));
  }
  if (download.body.size() > kMaxImageBytes) { return failure(Kind::Reject, "too_large"); }
  media::FetchResult ok;
  ok.kind = Kind::Ok;
  ok.bytes = std::move(download.body);
  return ok;
}

}  // namespace bb::webhooks::whatsapp
