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
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "bot/metrics.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/ports.hpp"
#include "bot/store.hpp"

namespace bb::outbox {

struct OutboxOptions {
  Channel channel = Channel::WhatsApp;
  double rate_per_second = 80;  //!< token bucket of the channel (whatsapp.rate_per_second)
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
  std::chrono::milliseconds idle_poll{250};  //!< sleep of the real-time loop when idle
  std::uint32_t jitter_seed = 0;  //!< 0: seeded from the random device
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

  //! The current sending rate (messages per second) after AIMD adjustments.
  double currentRate() const;

private:
  void loop();
  void refill(std::chrono::steady_clock::time_point now);
  std::chrono::milliseconds backoff(int tries, std::chrono::milliseconds retry_after);
  void record(const OutboxRow& row, const SendResult& result, PassReport& report);
  void count(const char* name);

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

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace bb::outbox
