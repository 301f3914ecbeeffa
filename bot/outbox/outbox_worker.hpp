#pragma once
// The generic outbox delivery worker (DESIGN.md §2 step 4), one per channel: polls the store for
// due rows, paces them through a token bucket (channel rate) and a minimum interval per
// recipient, hands each to the channel's ChannelSender, and records the outcome:
//   Sent → 'sent' (receipts move it on) · Retry/RateLimited → stays 'queued', exponential backoff
//   with jitter (never earlier than the channel's retry_after) · bounded tries → 'dead' ·
//   Permanent/Unreachable → 'failed' · NeedTemplate → 'held' until the citizen writes again.
// RateLimited (channel scope) halves the sending rate; it grows back linearly (AIMD).
// Order per recipient: the store offers only the oldest queued row of each recipient, and a
// retried row keeps its place, so a later row is never sent before an earlier one.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "bot/runtime/metrics.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/outbox/send_rate.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"

namespace bb::outbox {

struct OutboxOptions {
  Channel channel = Channel::WhatsApp;
  double rate_per_second = 80;  //!< token bucket of the channel (whatsapp.rate_per_second)
  //! Sends in flight at once (whatsapp.send_concurrency). A send waits for the channel API's
  //! answer and then for the commit of its outcome; with 1 the channel's throughput is one
  //! round trip plus one disk flush per message (docs/performance.md). Each recipient still
  //! gets one message at a time, in order.
  int concurrency = 1;
  double min_rate_per_second = 1;  //!< AIMD never goes below this
  //! Share of the configured rate regained per second after a slow-down (0.1: 10 s to full).
  double recovery_per_second = 0.1;
  std::chrono::milliseconds recipient_interval{1000};  //!< minimum gap per recipient
  //! Pause for one recipient after a recipient-scoped rate limit (WhatsApp 131056).
  std::chrono::milliseconds recipient_penalty{6000};
  int max_tries = 8;  //!< then 'dead'
  std::chrono::milliseconds retry_base{5000};  //!< first backoff; doubles per try
  std::chrono::milliseconds retry_max{30 * 60 * 1000};
  int batch = 100;  //!< rows read per poll
  //! How long a row this instance took for sending is its own (Store::claimOutbox): longer
  //! than a send can take; after it, a row whose instance died is sent by another.
  std::chrono::milliseconds claim_lease{120000};
  //! Several instances: every send waits for a slot of the channel's rate shared through the
  //! database; null: this instance's own pacing alone (one instance).
  SharedSendRate* shared_rate = nullptr;
  //! A send woken later than its slot by more than this gives the slot up and takes another,
  //! and a reservation answered slower than this is not used. The shared rate is reserved at
  //! rate / (1 + 2 × tolerance in seconds), so sends that late never put more than the rate
  //! into any second.
  std::chrono::milliseconds slot_tolerance{20};
  std::chrono::milliseconds idle_poll{250};  //!< sleep of the real-time loop when idle
  std::uint32_t jitter_seed = 0;  //!< 0: seeded from the random device
  //! The keyed hash stored for the id the channel gave a sent message (Engine::providerIdHash
  //! for this channel). Unset: no id is kept (a raw id may carry the citizen's number).
  std::function<std::string(const std::string& provider_id)> provider_id_hash;
};

//! Opens a sealed reply address (Engine::openAddress).
using AddressOpener =
    std::function<Result<std::string>(const std::string& address_ct, const std::string& key_id)>;

//! What one pass did (tests; the loop uses `wait` to decide how long to sleep).
struct PassReport {
  int attempted = 0;
  int sent = 0;
  int retried = 0;
  int failed = 0;
  int dead = 0;
  int held = 0;
  bool throttled = false;  //!< rows were due but the bucket or pacing held them back
  std::chrono::milliseconds wait{0};  //!< suggested sleep before the next pass
};

class OutboxWorker {
public:
  OutboxWorker(Store& store, ChannelSender& sender, AddressOpener open_address, const Clock& clock,
               OutboxOptions options, Metrics* metrics = nullptr);
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  //! One pass over the due rows at clock.now(). Single-threaded: call it from one thread only
  //! (tests call it directly with a FakeClock; start() calls it from the worker thread).
  PassReport runOnce();

  //! Starts the real-time loop on its own thread.
  void start();
  //! Stops after the current send; returns when the thread has ended.
  void stop();
  //! Wakes the loop (new rows were queued).
  void wake();
  //! Waits until no send is in flight (with concurrency > 1, runOnce() returns while its sends
  //! still run; tests and shutdown wait here).
  void drain();

  //! The current sending rate (messages per second) after AIMD adjustments.
  double currentRate() const;

private:
  void loop();
  //! Sends one admitted row and records the outcome (runs on a send thread when concurrency > 1).
  //! Without `settled` the outcome is committed before it returns; with it the outcome's commit
  //! is not waited for and `settled` runs once it is durable (exactly once on every path).
  void deliver(const OutboxRow& row, PassReport& report, std::function<void()> settled = {});
  //! A parallel send's outcome is durable: the row leaves in_flight_.
  void sendSettled(std::int64_t id);
  void runJobs(std::vector<std::function<void()>>& jobs);
  void waitForSendSlot();
  //! Waits for a slot of the shared rate (false: none could be had for a while; the row is
  //! retried later). True at once without a shared rate.
  bool waitForSharedSlot();
  //! Reserves the next slots into slot_pool_ (slot_mutex_ held).
  void reserveSharedSlots();
  void sendThread();
  void refill(std::chrono::steady_clock::time_point now);
  std::chrono::milliseconds backoff(int tries, std::chrono::milliseconds retry_after);
  std::string storedProviderId(const std::string& provider_id) const;
  void record(const OutboxRow& row, const SendResult& result, PassReport& report,
              std::function<void()> settled);
  void count(const char* name);
  //! True when another held row of the recipient is about the same kind of notice (its notice
  //! went out already in this held period).
  Result<bool> heldNoticeOfSameKind(const OutboxRow& row, const OutboundMessage& message);
  void countNotice(const SendResult& notice);

  Store& store_;
  ChannelSender& sender_;
  AddressOpener open_address_;
  const Clock& clock_;
  OutboxOptions options_;
  Metrics* metrics_;
  std::mt19937 rng_;

  // Token bucket and AIMD state (worker thread only; rate_ is read by currentRate()).
  std::atomic<double> rate_;
  double tokens_ = 1;
  std::chrono::steady_clock::time_point last_refill_{};
  bool started_bucket_ = false;
  std::chrono::steady_clock::time_point paused_until_{};
  std::map<std::string, std::chrono::steady_clock::time_point> recipient_next_;
  //! Send times of the last second: never more sends in any one-second window than the rate.
  std::deque<std::chrono::steady_clock::time_point> recent_;
  //! Rows whose send is in flight: a later pass must not offer them again.
  std::set<std::int64_t> in_flight_;
  //! Rows whose send finished since this pass read the due rows: the read may still show them
  //! queued (their "sent" commit came after it), and they are no longer in flight.
  std::set<std::int64_t> finished_since_read_;
  std::deque<std::chrono::steady_clock::time_point> sent_at_;  //!< send times, last second
  //! Slots of the shared rate reserved and not used yet, ascending.
  std::deque<std::chrono::steady_clock::time_point> slot_pool_;
  std::mutex slot_mutex_;
  //! Guards the pacing state above and rng_ while sends run in parallel.
  std::mutex state_mutex_;

  // Send threads (concurrency > 1), started on first use.
  std::vector<std::thread> send_threads_;
  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::condition_variable jobs_done_cv_;
  std::deque<std::function<void()>> jobs_;
  std::size_t jobs_running_ = 0;
  //! Sends whose outcome is submitted but not yet committed (drain() waits for them too).
  std::size_t settling_ = 0;
  bool jobs_stopping_ = false;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace bb::outbox
