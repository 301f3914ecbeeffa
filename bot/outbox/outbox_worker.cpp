#include "bot/outbox/outbox_worker.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "bot/conversation/codec.hpp"
#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb::outbox {
namespace {

using Kind = SendResult::Kind;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kPruneRecipientsAbove = 4096;
constexpr milliseconds kMinWait{5};

//! A send that got no slot of the shared rate: retried later, like any temporary failure.
SendResult noSharedSlot() { return SendResult::failure(Kind::Retry, "shared_rate_unavailable"); }

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

OutboxWorker::~OutboxWorker() {
  stop();
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_stopping_ = true;
  }
  jobs_cv_.notify_all();
  for (auto& t : send_threads_) { t.join(); }
}

void OutboxWorker::sendThread() {
  setThreadName(std::string("bb-send-") + std::string(toString(options_.channel)));
  lowerThreadPriority(kBackgroundNice);
  std::unique_lock lock(jobs_mutex_);
  for (;;) {
    jobs_cv_.wait(lock, [this] { return jobs_stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) { return; }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++jobs_running_;
    lock.unlock();
    job();
    lock.lock();
    --jobs_running_;
    if (jobs_.empty() && jobs_running_ == 0) { jobs_done_cv_.notify_all(); }
  }
}

void OutboxWorker::runJobs(std::vector<std::function<void()>>& jobs) {
  if (jobs.empty()) { return; }
  if (options_.concurrency <= 1) {
    for (auto& j : jobs) { j(); }
    jobs.clear();
    return;
  }
  // Handed to the send threads; runOnce() does not wait (the rows are marked in flight).
  std::lock_guard lock(jobs_mutex_);
  while (send_threads_.size() < static_cast<std::size_t>(options_.concurrency)) {
    send_threads_.emplace_back([this] { sendThread(); });
  }
  for (auto& j : jobs) { jobs_.push_back(std::move(j)); }
  jobs.clear();
  jobs_cv_.notify_all();
}

void OutboxWorker::drain() {
  std::unique_lock lock(jobs_mutex_);
  jobs_done_cv_.wait(lock,
                     [this] { return jobs_.empty() && jobs_running_ == 0 && settling_ == 0; });
}

void OutboxWorker::sendSettled(std::int64_t id) {
  bool low = false;
  {
    std::lock_guard state_lock(state_mutex_);
    in_flight_.erase(id);
    finished_since_read_.insert(id);
    low = in_flight_.size() <= static_cast<std::size_t>(options_.concurrency);
  }
  // A recipient's next row may be due now. Under load, every finished send waking a pass made
  // the loop re-read the due rows a thousand times a second (a third of a core at 1,000
  // replies/s); a pass when the send threads run low serves them as well.
  if (low) { wake(); }
  {
    std::lock_guard lock(jobs_mutex_);
    --settling_;
  }
  jobs_done_cv_.notify_all();
}

double OutboxWorker::currentRate() const { return rate_.load(); }

void OutboxWorker::count(const char* name) {
  if (metrics_ == nullptr) { return; }
  metrics_->increment(name, std::string("channel=\"") + toString(options_.channel) + "\"");
}

Result<bool> OutboxWorker::heldNoticeOfSameKind(const OutboxRow& row,
                                                const OutboundMessage& message) {
  auto held = store_.heldOutboxPayloads(row.pseudonym);
  if (!held) { return fail(held.error().code, held.error().detail); }
  for (const std::string& payload : *held) {
    auto other = decodeOutbound(payload);
    if (other && other->notice_kind == message.notice_kind) { return true; }
  }
  return false;
}

void OutboxWorker::countNotice(const SendResult& notice) {
  if (metrics_ == nullptr || notice.notice_template.empty()) { return; }
  // The result is "sent" or the channel's numeric error code (a small, known set).
  std::string result = notice.kind == Kind::Sent ? "sent" : "failed";
  if (notice.kind != Kind::Sent && !notice.error.empty() && notice.error.size() <= 8 &&
      std::all_of(notice.error.begin(), notice.error.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    result = notice.error;
  }
  metrics_->increment("buergerbox_outbox_hold_notices_total",
                      std::string("channel=\"") + toString(options_.channel) + "\",template=\"" +
                          notice.notice_template + "\",result=\"" + result + "\"");
}

void OutboxWorker::refill(SteadyTime now) {
  if (!started_bucket_) {
    started_bucket_ = true;
    last_refill_ = now;
    // A tenth of a second's worth, not a full second: a full bucket would double the first
    // second's sends (the one-second window in runOnce() caps them anyway).
    tokens_ = std::max(1.0, rate_.load() / 10);
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
  // Catch-up of at most a tenth of a second after a late wake-up; the one-second window in
  // runOnce() keeps every second at or below the rate.
  const double capacity = std::max(1.0, rate / 10);
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

std::string OutboxWorker::storedProviderId(const std::string& provider_id) const {
  if (provider_id.empty() || !options_.provider_id_hash) { return {}; }
  return options_.provider_id_hash(provider_id);
}

void OutboxWorker::record(const OutboxRow& row, const SendResult& result, PassReport& report,
                          std::function<void()> settled) {
  const SysTime now = clock_.now();
  const std::string id = std::to_string(row.id);
  const int tries = row.tries + 1;
  std::string status;
  std::string provider_id;
  SysTime next_attempt_at = now;
  switch (result.kind) {
    case Kind::Sent:
      status = "sent";
      provider_id = storedProviderId(result.provider_message_id);
      ++report.sent;
      count("buergerbox_outbox_sent_total");
      log::debug("outbox_sent", {{"outbox", id}, {"channel", toString(row.channel)}});
      break;
    case Kind::Retry:
    case Kind::RateLimited: {
      if (tries >= options_.max_tries) {
        status = "dead";
        ++report.dead;
        count("buergerbox_outbox_dead_total");
        log::warn("outbox_dead", {{"outbox", id}, {"channel", toString(row.channel)},
                                  {"tries", std::to_string(tries)}, {"code", result.error}});
        break;
      }
      milliseconds delay{0};
      {
        std::lock_guard lock(state_mutex_);
        delay = backoff(tries, result.retry_after);
      }
      status = "queued";
      next_attempt_at = now + delay;
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
      status = "failed";
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
      if (settled) { settled(); }
      return;
  }
  const std::string error = status == "sent" ? std::string() : result.error;
  auto marked = [id, settled](Result<void> r) {
    if (!r) {
      // The send happened (or was tried) but the row could not be updated: it will be offered
      // again and, for a Sent row, may reach the citizen twice. Logged for the operator.
      log::error("outbox_mark_failed", {{"outbox", id}, {"code", toString(r.error().code)}});
    }
    if (settled) { settled(); }
  };
  if (settled) {
    store_.markOutboxThen(row.id, status, provider_id, error, tries, next_attempt_at, now,
                          std::move(marked));
  } else {
    marked(store_.markOutbox(row.id, status, provider_id, error, tries, next_attempt_at, now));
  }
}

PassReport OutboxWorker::runOnce() {
  PassReport report;
  SteadyTime mono = clock_.monotonic();
  {
    std::lock_guard lock(state_mutex_);
    refill(mono);
    if (mono < paused_until_) {
      report.throttled = true;
      report.wait = std::max(kMinWait, untilTime(mono, paused_until_));
      return report;
    }
    // Without a token nothing could be admitted, so nothing is read: while a channel sends at
    // its rate with a backlog, every engine commit wakes this loop, and each pass re-read the
    // due rows for nothing (a quarter of a core during the ingest benchmark at 80/s).
    if (tokens_ < 1) {
      report.throttled = true;
      const double rate = std::max(rate_.load(), options_.min_rate_per_second);
      const std::chrono::duration<double> until_token((1 - tokens_) / rate);
      report.wait = std::max(kMinWait, std::chrono::ceil<milliseconds>(until_token));
      return report;
    }
  }
  std::size_t in_flight = 0;
  {
    std::lock_guard lock(state_mutex_);
    in_flight = in_flight_.size();
    finished_since_read_.clear();
  }
  // Parallel sends: at most `in_flight_cap` rows are handed out. At the cap there is nothing to
  // admit, so there is nothing to read (the send threads wake the loop when they run low); below
  // it, read only as many new rows as may be admitted. Each read costs an index walk per row.
  const std::size_t in_flight_cap = static_cast<std::size_t>(options_.concurrency) * 4;
  int room = options_.batch;
  if (options_.concurrency > 1) {
    if (in_flight >= in_flight_cap) {
      report.throttled = true;
      report.wait = options_.idle_poll;
      return report;
    }
    room = std::min(room, static_cast<int>(in_flight_cap - in_flight));
  }
  // Rows in flight are still 'queued' and come first: read past them.
  auto due = store_.dueOutbox(options_.channel, clock_.now(), room + static_cast<int>(in_flight));
  if (!due) {
    log::warn("outbox_poll_failed", {{"channel", toString(options_.channel)},
                                     {"code", toString(due.error().code)}});
    report.wait = options_.idle_poll;
    return report;
  }

  std::optional<SteadyTime> next_ready;
  auto notReadyUntil = [&next_ready](SteadyTime t) {
    if (!next_ready || t < *next_ready) { next_ready = t; }
  };

  // Admit rows under the pacing rules, then send them (in parallel when concurrency > 1). The
  // store offers one row per recipient, so the rows of a pass never share a recipient.
  std::mutex report_mutex;
  std::vector<std::function<void()>> jobs;
  int skipped_in_flight = 0;
  {
    std::unique_lock lock(state_mutex_);
    if (recipient_next_.size() > kPruneRecipientsAbove) {
      std::erase_if(recipient_next_, [mono](const auto& e) { return e.second <= mono; });
    }
    for (const OutboxRow& row : *due) {
      {
        std::lock_guard stop_lock(mutex_);
        if (stopping_) { break; }
      }
      // Its send has not finished yet, or finished after the read: a finished send's row left
      // in_flight_ once its outcome committed, which may be after `due` was read — offering it
      // again sent the message twice (the crash run counted a thousand such repeats).
      if (in_flight_.count(row.id) != 0 || finished_since_read_.count(row.id) != 0) {
        ++skipped_in_flight;
        continue;
      }
      if (options_.concurrency > 1 && in_flight_.size() >= in_flight_cap) {
        report.throttled = true;  // enough queued for the send threads; they wake us
        notReadyUntil(clock_.monotonic() + options_.idle_poll);
        break;
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
      // Never more sends within any one second than the current rate.
      while (!recent_.empty() && mono - recent_.front() >= std::chrono::seconds(1)) {
        recent_.pop_front();
      }
      const auto per_second =
          static_cast<std::size_t>(std::max(1.0, std::floor(rate_.load())));
      if (recent_.size() >= per_second) {
        report.throttled = true;
        notReadyUntil(recent_.front() + std::chrono::seconds(1));
        break;
      }
      // Several instances read the same due rows: only the one whose claim holds sends it.
      const SysTime claimed_at = clock_.now();
      if (auto claimed = store_.claimOutbox(row.id, claimed_at, claimed_at + options_.claim_lease);
          !claimed || !*claimed) {
        continue;  // taken by another instance (or the store is out of reach: next pass)
      }
      recent_.push_back(mono);
      tokens_ -= 1;
      ++report.attempted;
      // Paced from now; deliver() moves it on once the outcome is known.
      recipient_next_[row.pseudonym] = mono + options_.recipient_interval;
      if (options_.concurrency > 1) {
        // Counted in the report of the pass that admitted it; the outcome is in the store.
        in_flight_.insert(row.id);
        // The send thread does not wait for the outcome's commit (a group commit under load
        // takes milliseconds, and with 16 threads waiting for it the channel managed less than
        // the 1,000 replies/s offered in bench/e2e); the row stays in flight until it is durable.
        jobs.push_back([this, row] {
          {
            std::lock_guard jobs_lock(jobs_mutex_);
            ++settling_;
          }
          PassReport ignored;
          deliver(row, ignored, [this, id = row.id] { sendSettled(id); });
        });
        continue;
      }
      jobs.push_back([this, row, &report, &report_mutex] {
        PassReport mine;
        deliver(row, mine);
        std::lock_guard report_lock(report_mutex);
        report.sent += mine.sent;
        report.retried += mine.retried;
        report.failed += mine.failed;
        report.dead += mine.dead;
        report.held += mine.held;
      });
      {
        // One at a time: send now, so a slow-down answer applies to the next row of this pass.
        lock.unlock();
        runJobs(jobs);
        lock.lock();
      }
    }
  }
  runJobs(jobs);

  if (report.throttled && next_ready) {
    report.wait = std::max(kMinWait, untilTime(clock_.monotonic(), *next_ready));
  } else if (report.attempted > 0 ||
             (static_cast<int>(due->size()) >= room + static_cast<int>(in_flight) &&
              skipped_in_flight == 0)) {
    report.wait = milliseconds{0};
  } else {
    report.wait = options_.idle_poll;
  }
  return report;
}

void OutboxWorker::waitForSendSlot() {
  // Parallel sends leave in their own time: the one-second window is checked again right before
  // each send, so the channel API never sees more than the rate in any second.
  for (;;) {
    std::unique_lock lock(state_mutex_);
    const SteadyTime now = clock_.monotonic();
    while (!sent_at_.empty() && now - sent_at_.front() >= std::chrono::seconds(1)) {
      sent_at_.pop_front();
    }
    const auto per_second = static_cast<std::size_t>(std::max(1.0, std::floor(rate_.load())));
    if (sent_at_.size() < per_second) {
      sent_at_.push_back(now);
      return;
    }
    const auto wait = sent_at_.front() + std::chrono::seconds(1) - now;
    lock.unlock();
    std::this_thread::sleep_for(wait);
  }
}

bool OutboxWorker::waitForSharedSlot() {
  if (options_.shared_rate == nullptr) { return true; }  // one instance: its own pacing only
  const SteadyTime give_up = clock_.monotonic() + std::chrono::seconds(5);
  for (;;) {
    std::optional<SteadyTime> slot;
    {
      std::lock_guard lock(slot_mutex_);
      // A slot missed by more than the tolerance is given up: sent now, the message could fall
      // into one second with the next second's slots of every instance.
      const SteadyTime now = clock_.monotonic();
      while (!slot_pool_.empty() && now > slot_pool_.front() + options_.slot_tolerance) {
        slot_pool_.pop_front();
      }
      if (slot_pool_.empty()) { reserveSharedSlots(); }
      if (!slot_pool_.empty()) {
        slot = slot_pool_.front();
        slot_pool_.pop_front();
      }
    }
    if (slot) {
      const SteadyTime now = clock_.monotonic();
      if (*slot > now) { std::this_thread::sleep_for(*slot - now); }
      if (clock_.monotonic() <= *slot + options_.slot_tolerance) { return true; }
      continue;  // woken too late: another slot
    }
    // The coming second is taken (or the database did not answer): ask again shortly.
    if (clock_.monotonic() >= give_up) { return false; }
    {
      std::lock_guard stop_lock(mutex_);
      if (stopping_) { return false; }
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

void OutboxWorker::reserveSharedSlots() {
  const double tolerance_s = std::chrono::duration<double>(options_.slot_tolerance).count();
  const double rate = std::max(1.0, rate_.load() / (1.0 + 2.0 * tolerance_s));
  // A tenth of a second's worth: enough for a busy channel, little left unused by a quiet one.
  const int wanted = std::max(1, static_cast<int>(std::ceil(rate / 10)));
  const SteadyTime asked = clock_.monotonic();
  auto offsets = options_.shared_rate->reserve(options_.channel, rate, wanted);
  const SteadyTime answered = clock_.monotonic();
  if (!offsets) {
    log::warn("outbox_shared_rate_failed", {{"channel", toString(options_.channel)},
                                            {"code", toString(offsets.error().code)}});
    return;
  }
  // The server took its time somewhere between asking and the answer; counting from the answer
  // never sends early, and a slow answer would make the sends too late to be exact.
  if (answered - asked > options_.slot_tolerance) { return; }
  for (const auto offset : *offsets) { slot_pool_.push_back(answered + offset); }
}

void OutboxWorker::deliver(const OutboxRow& row, PassReport& report,
                           std::function<void()> settled) {
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
    if (options_.concurrency > 1) { waitForSendSlot(); }
    result = waitForSharedSlot() ? sender_.send(row, address_text, *message) : noSharedSlot();
  }

  if (result.kind == Kind::NeedTemplate) {
    // Outside the reply window: tell the citizen once per held period and kind of notice (the
    // template of the message's own kind), then hold the row.
    auto notified = heldNoticeOfSameKind(row, *message);
    std::string error = result.error.empty() ? std::string("outside_window") : result.error;
    std::string notice_id;
    bool hold = notified.has_value();
    if (!notified) {
      result = SendResult::failure(Kind::Retry, "store_unavailable");
    } else if (!*notified) {
      // The notice is a message to the channel too: with a shared rate it takes a slot.
      SendResult notice = waitForSharedSlot()
                              ? sender_.sendHoldNotice(row, address_text, *message)
                              : noSharedSlot();
      countNotice(notice);
      if (notice.kind == Kind::Retry || notice.kind == Kind::RateLimited) {
        result = notice;
        hold = false;
      } else if (notice.kind != Kind::Sent) {
        error += " notice:" + notice.error;
      } else {
        notice_id = storedProviderId(notice.provider_message_id);  // its receipts reach the row
      }
    }
    if (hold) {
      const SysTime now = clock_.now();
      auto marked = store_.markOutbox(row.id, "held", notice_id, error, row.tries, now, now);
      if (!marked) {
        log::error("outbox_mark_failed",
                   {{"outbox", std::to_string(row.id)}, {"code", toString(marked.error().code)}});
      }
      ++report.held;
      count("buergerbox_outbox_held_total");
      log::info("outbox_held", {{"outbox", std::to_string(row.id)},
                                {"channel", toString(row.channel)}, {"code", error}});
      {
        std::lock_guard lock(state_mutex_);
        recipient_next_[row.pseudonym] = clock_.monotonic() + options_.recipient_interval;
      }
      if (marked && sender_.windowReopened(row)) {
        // The citizen wrote while we were holding: their release may have missed this row.
        (void)store_.releaseHeldOutbox(row.pseudonym, SysTime{});
      }
      if (settled) { settled(); }
      return;
    }
  }

  record(row, result, report, std::move(settled));
  std::lock_guard lock(state_mutex_);
  const SteadyTime mono = clock_.monotonic();
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
  drain();  // sends already handed out finish and are recorded
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::loop() {
  setThreadName(std::string("bb-outbox-") + std::string(toString(options_.channel)));
  lowerThreadPriority(kBackgroundNice);
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
