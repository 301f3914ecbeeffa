#pragma once
// The Telegram channel wired to the engine: the webhook route, the long-polling loop, the outbox
// sender, the callback answerer and the media fetcher. The wire knowledge stays in telegram.hpp;
// these classes only call it and the ports. Logs carry counts, ids of our own rows and status
// codes: never URLs (they hold the bot token), bodies, chat or user ids.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/channels/telegram_offset.hpp"
#include "bot/conversation/ingest.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_jobs.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"
#include "webhooks/telegram/telegram.hpp"

namespace bb::webhooks::telegram {

//! Stores a batch durably (Engine::ingest); injected so tests can simulate outages.
using IngestFn = std::function<Result<IngestReport>(const std::vector<InboundEvent>&)>;

// ---- callbacks ----

//! Answers callback queries (answerCallbackQuery) on its own thread, so neither the webhook
//! answer nor the poll loop waits for it. Every callback is answered once it is stored, known
//! data or not; a transport failure is tried once more.
class CallbackAnswerer {
public:
  CallbackAnswerer(Settings settings, HttpClient& http);
  ~CallbackAnswerer();
  CallbackAnswerer(const CallbackAnswerer&) = delete;
  CallbackAnswerer& operator=(const CallbackAnswerer&) = delete;

  void enqueue(const std::string& callback_query_id);
  void start();
  //! Answers what is queued (bounded), then ends the thread.
  void stop();
  //! Answers everything queued on the calling thread (tests).
  void drainForTest();

private:
  void answer(const std::string& id);
  void loop();

  Settings settings_;
  HttpClient& http_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
};

// ---- inbound: webhook ----

//! POST /webhooks/telegram: body over `max_body_bytes` → 413; the secret header compared in
//! constant time first (401, nothing parsed or stored); unparsable → 400; storage down → 503
//! (Telegram retries); otherwise 200 once durable (duplicates and ignored types too).
std::vector<Route> routes(const Settings& settings, IngestFn ingest, CallbackAnswerer* answerer,
                          std::size_t max_body_bytes);

// ---- inbound: long polling ----

struct PollerOptions {
  int timeout_s = 10;  //!< long-poll time per getUpdates call (also the longest stop() wait)
  std::chrono::milliseconds retry_base{1000};  //!< after a failed poll; doubles up to retry_max
  std::chrono::milliseconds retry_max{30000};
  //! An empty answer that came back sooner than this (a server that ignores `timeout`, or
  //! timeout_s 0) is followed by a pause, so the loop never spins.
  std::chrono::milliseconds min_empty_interval{500};
};

//! getUpdates in a loop: offset = last update_id + 1 (kept in `offsets`, durable, so a restart
//! does not fetch again what is stored), allowed_updates set, every batch stored through
//! `ingest` before the offset moves on (a batch that cannot be stored is fetched again);
//! callbacks answered after the commit.
class Poller {
public:
  Poller(Settings settings, HttpClient& http, TelegramOffsetStore& offsets, IngestFn ingest,
         CallbackAnswerer* answerer, PollerOptions options);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  //! One getUpdates round trip; true when it succeeded (tests call it directly).
  bool pollOnce();
  void start();
  //! Ends the loop; waits for a running long poll to return (at most timeout_s and a little).
  void stop();

private:
  void loop();

  Settings settings_;
  HttpClient& http_;
  TelegramOffsetStore& offsets_;
  IngestFn ingest_;
  CallbackAnswerer* answerer_;
  PollerOptions options_;
  std::int64_t offset_ = -1;  //!< -1: not read from the store yet
  std::size_t last_batch_ = 0;  //!< updates in the last successful answer
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// ---- outbound ----

//! Renders an outbox row with renderMessage and sends every call through the HttpClient port.
//! A citizen already marked unreachable (blocked the bot) gets nothing: Unreachable at once.
class Sender final : public outbox::ChannelSender {
public:
  Sender(Settings settings, HttpClient& http, Store& store);

  outbox::SendResult send(const OutboxRow& row, const std::string& address,
                          const OutboundMessage& message) override;

private:
  Settings settings_;
  HttpClient& http_;
  Store& store_;
  std::mutex mutex_;
  //! Calls of a multi-call row already accepted, so a retry does not repeat them.
  std::map<std::int64_t, std::size_t> progress_;
};

// ---- media ----

//! getFile(file_id) → file_path → GET {api_base}/file/bot<token>/<file_path>, ≤ kMaxFileBytes.
class MediaFetcher final : public media::MediaFetcher {
public:
  MediaFetcher(Settings settings, HttpClient& http);
  media::FetchResult fetch(const MediaJob& job) override;

private:
  Settings settings_;
  HttpClient& http_;
};

}  // namespace bb::webhooks::telegram
