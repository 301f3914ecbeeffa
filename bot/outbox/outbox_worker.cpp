#include "bot/outbox/outbox_worker.hpp"

#include <algorithm>
#include <cmath>

#include "bot/codec.hpp"
#include "bot/log.hpp"

namespace bb::outbox {
namespace {

using Kind = SendResult::Kind;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kPruneRecipientsAbove = 4096;
constexpr milliseconds kMinWait{5};

milliseconds untilTime(SteadyTime from, SteadyTime to) {
  if (to <= from) { return milliseconds{0}; }
  return std::chrono::ceil<milliseconds>(to - from);
}

}  // namespace

const char* toString(SendResult::Kind kind) {
  switch (kind) {
    case Kind::Sent: return "sent";
    case Kind::Retry: return "retry";
    case Kind::RateLimited: return "rate_limited";
    case Kind::Permanent: return "permanent";
    case Kind::Unreachable: return "unreachable";
    case Kind::NeedTemplate: return "need_template";
  }
  return "unknown";
}

OutboxWorker::OutboxWorker(Store& store, ChannelSender& sender, AddressOpener open_address,
                           const Clock& clock, OutboxOptions options, Metrics* metrics)
    : store_(store),
      sender_(sender),
      open_address_(std::move(open_address)),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()),
      rate_(std::max(options_.rate_per_second, options_.min_rate_per_second)) {
  options_.min_rate_per_second = std::max(0.01, options_.min_rate_per_second);
  options_.rate_per_second = std::max(options_.rate_per_second, options_.min_rate_per_second);
  options_.max_tries = std::max(1, options_.max_tries);
}

OutboxWorker::~OutboxWorker() { stop(); }

double OutboxWorker::currentRate() const { return rate_.load(); }

void OutboxWorker::count(const char* name) {
  if (metrics_ == nullptr) { return; }
  metrics_->increment(name, std::string("channel=\"") + toString(options_.channel) + "\"");
}

void OutboxWorker::refill(SteadyTime now) {
  if (!started_bucket_) {
    started_bucket_ = true;
    last_refill_ = now;
    tokens_ = std::max(1.0, rate_.load());  // a full bucket: one second's worth
    return;
  }
  if (now <= last_refill_) { return; }
  const double seconds = std::chrono::duration<double>(now - last_refill_).count();
  last_refill_ = now;
  // Additive increase: regain a share of the configured rate per second.
  const double target = options_.rate_per_second;
  double rate = rate_.load();
  if (rate < target) {
    rate = std::min(target, rate + target * options_.recovery_per_second * seconds);
    rate_.store(rate);
  }
  const double capacity = std::max(1.0, rate);  // a burst of at most one second
  tokens_ = std::min(capacity, tokens_ + seconds * rate);
}

milliseconds OutboxWorker::backoff(int tries, milliseconds retry_after) {
  // Exponential backoff with "equal jitter": half fixed, half random, so a herd spreads out.
  const double exp = std::pow(2.0, static_cast<double>(std::max(0, tries - 1)));
  const double full = std::min(static_cast<double>(options_.retry_max.count()),
                               static_cast<double>(options_.retry_base.count()) * exp);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  const auto delay = milliseconds(static_cast<std::int64_t>(full * jitter(rng_)));
  return std::max(delay, retry_after);
}

void OutboxWorker::record(const OutboxRow& row, const SendResult& result, PassReport& report) {
  const SysTime now = clock_.now();
  const std::string id = std::to_string(row.id);
  const int tries = row.tries + 1;
  Result<void> marked;
  switch (result.kind) {
    case Kind::Sent:
      marked = store_.markOutbox(row.id, "sent", result.provider_message_id, "", tries, now, now);
      ++report.sent;
      count("buergerbox_outbox_sent_total");
      log::debug("outbox_sent", {{"outbox", id}, {"channel", toString(row.channel)}});
      break;
    case Kind::Retry:
    case Kind::RateLimited: {
      if (tries >= options_.max_tries) {
        marked = store_.markOutbox(row.id, "dead", "", result.error, tries, now, now);
        ++report.dead;
        count("buergerbox_outbox_dead_total");
        log::warn("outbox_dead", {{"outbox", id}, {"channel", toString(row.channel)},
                                  {"tries", std::to_string(tries)}, {"code", result.error}});
        break;
      }
      const milliseconds delay = backoff(tries, result.retry_after);
      marked = store_.markOutbox(row.id, "queued", "", result.error, tries, now + delay, now);
      ++report.retried;
      count("buergerbox_outbox_retried_total");
      log::info("outbox_retry", {{"outbox", id}, {"channel", toString(row.channel)},
                                 {"outcome", toString(result.kind)}, {"code", result.error},
                                 {"tries", std::to_string(tries)},
                                 {"delay_ms", std::to_string(delay.count())}});
      break;
    }
    case Kind::Permanent:
    case Kind::Unreachable:
      marked = store_.markOutbox(row.id, "failed", "", result.error, tries, now, now);
      ++report.failed;
      count("buergerbox_outbox_failed_total");
      log::warn("outbox_failed", {{"outbox", id}, {"channel", toString(row.channel)},
                                  {"outcome", toString(result.kind)}, {"code", result.error}});
      if (result.kind == Kind::Unreachable) {
        if (auto u = store_.markCitizenUnreachable(row.pseudonym, now); !u) {
          log::warn("outbox_unreachable_not_recorded", {{"outbox", id}});
        }
      }
      break;
    case Kind::NeedTemplate:
      // Held rows are handled by the caller before record().
      break;
  }
  if (!marked) {
    // The send happened (or was tried) but the row could not be updated: it will be offered
    // again and, for a Sent row, may reach the citizen twice. Logged for the operator.
    log::error("outbox_mark_failed", {{"outbox", id}, {"code", toString(marked.error().code)}});
  }
}

PassReport OutboxWorker::runOnce() {
  PassReport report;
  SteadyTime mono = clock_.monotonic();
  refill(mono);
  if (mono < paused_until_) {
    report.throttled = true;
    report.wait = std::max(kMinWait, untilTime(mono, paused_until_));
    return report;
  }
  auto due = store_.dueOutbox(options_.channel, clock_.now(), options_.batch);
  if (!due) {
    log::warn("outbox_poll_failed", {{"channel", toString(options_.channel)},
                                     {"code", toString(due.error().code)}});
    report.wait = options_.idle_poll;
    return report;
  }
  if (recipient_next_.size() > kPruneRecipientsAbove) {
    std::erase_if(recipient_next_, [mono](const auto& e) { return e.second <= mono; });
  }

  std::optional<SteadyTime> next_ready;
  auto notReadyUntil = [&next_ready](SteadyTime t) {
    if (!next_ready || t < *next_ready) { next_ready = t; }
  };

  for (const OutboxRow& row : *due) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) { break; }
    }
    mono = clock_.monotonic();
    if (mono < paused_until_) {
      report.throttled = true;
      notReadyUntil(paused_until_);
      break;
    }
    if (auto it = recipient_next_.find(row.pseudonym);
        it != recipient_next_.end() && it->second > mono) {
      report.throttled = true;
      notReadyUntil(it->second);
      continue;
    }
    refill(mono);
    if (tokens_ < 1) {
      report.throttled = true;
      const double rate = std::max(rate_.load(), options_.min_rate_per_second);
      notReadyUntil(mono + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>((1 - tokens_) / rate)));
      break;
    }
    tokens_ -= 1;
    ++report.attempted;

    SendResult result;
    auto address = open_address_(row.address_ct, row.key_id);
    auto message = decodeOutbound(row.payload);
    std::string address_text;
    if (!address) {
      result = SendResult::failure(Kind::Permanent, "address_unreadable");
    } else if (!message) {
      result = SendResult::failure(Kind::Permanent, "payload_unreadable");
    } else {
      address_text = *address;
      result = sender_.send(row, address_text, *message);
    }

    if (result.kind == Kind::NeedTemplate) {
      // Outside the reply window: tell the citizen once per held period, then hold the row.
      auto held = store_.heldOutboxCount(row.pseudonym);
      std::string error = result.error.empty() ? std::string("outside_window") : result.error;
      bool hold = held.has_value();
      if (!held) {
        result = SendResult::failure(Kind::Retry, "store_unavailable");
      } else if (*held == 0) {
        SendResult notice = sender_.sendHoldNotice(row, address_text);
        if (notice.kind == Kind::Retry || notice.kind == Kind::RateLimited) {
          result = notice;
          hold = false;
        } else if (notice.kind != Kind::Sent) {
          error += " notice:" + notice.error;
        }
      }
      if (hold) {
        const SysTime now = clock_.now();
        auto marked = store_.markOutbox(row.id, "held", "", error, row.tries, now, now);
        if (!marked) {
          log::error("outbox_mark_failed",
                     {{"outbox", std::to_string(row.id)}, {"code", toString(marked.error().code)}});
        }
        ++report.held;
        count("buergerbox_outbox_held_total");
        log::info("outbox_held", {{"outbox", std::to_string(row.id)},
                                  {"channel", toString(row.channel)}, {"code", error}});
        recipient_next_[row.pseudonym] = clock_.monotonic() + options_.recipient_interval;
        if (marked && sender_.windowReopened(row)) {
          // The citizen wrote while we were holding: their release may have missed this row.
          (void)store_.releaseHeldOutbox(row.pseudonym, SysTime{});
        }
        continue;
      }
    }

    record(row, result, report);
    mono = clock_.monotonic();
    SteadyTime recipient_next = mono + options_.recipient_interval;
    if (result.kind == Kind::RateLimited) {
      if (result.scope == SendResult::Scope::Recipient) {
        recipient_next = mono + std::max(options_.recipient_penalty, result.retry_after);
      } else {
        // Multiplicative decrease; the bucket starts empty at the lower rate.
        const double lowered = std::max(options_.min_rate_per_second, rate_.load() / 2);
        rate_.store(lowered);
        tokens_ = 0;
        if (result.retry_after.count() > 0) { paused_until_ = mono + result.retry_after; }
        log::warn("outbox_slow_down", {{"channel", toString(options_.channel)},
                                       {"code", result.error},
                                       {"rate", std::to_string(lowered)}});
      }
    }
    recipient_next_[row.pseudonym] = recipient_next;
  }

  if (report.throttled && next_ready) {
    report.wait = std::max(kMinWait, untilTime(clock_.monotonic(), *next_ready));
  } else if (report.attempted > 0 || static_cast<int>(due->size()) >= options_.batch) {
    report.wait = milliseconds{0};
  } else {
    report.wait = options_.idle_poll;
  }
  return report;
}

void OutboxWorker::start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) { return; }
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::loop() {
  log::info("outbox_started", {{"channel", toString(options_.channel)}});
  for (;;) {
    PassReport report = runOnce();
    std::unique_lock lock(mutex_);
    if (stopping_) { break; }
    if (report.wait.count() > 0) {
      cv_.wait_for(lock, std::min(report.wait, options_.idle_poll),
                   [this] { return stopping_ || woken_; });
    }
    woken_ = false;
    if (stopping_) { break; }
  }
  log::info("outbox_stopped", {{"channel", toString(options_.channel)}});
}

}  // namespace bb::outbox
