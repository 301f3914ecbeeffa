// The Telegram channel's moving parts on the ports: webhook route, poller, callback answerer,
// outbox sender and media fetcher. No URL, body, chat id or user id is ever logged.

#include <memory>

#include "bot/log.hpp"
#include "webhooks/telegram/channel.hpp"

namespace bb::webhooks::telegram {

namespace {

using outbox::SendResult;
using ResultKind = outbox::SendResult::Kind;

constexpr const char* kPath = "/webhooks/telegram";
constexpr std::size_t kMaxQueuedCallbacks = 10000;

HttpResponse webhook(const Settings& settings, const IngestFn& ingest, CallbackAnswerer* answerer,
                     std::size_t max_body_bytes, const HttpRequest& req) {
  if (req.body.size() > max_body_bytes) {
    log::warn("telegram_webhook_too_large", {{"bytes", std::to_string(req.body.size())}});
    return HttpResponse::json(413, R"({"error":"request too large"})");
  }
  // Authenticity before anything else: nothing is parsed or stored without the secret.
  if (!verifySecret(req.header("x-telegram-bot-api-secret-token"), settings.secret_token)) {
    log::warn("telegram_bad_secret");
    return HttpResponse::json(401, R"({"error":"unauthorized"})");
  }
  auto parsed = parseUpdate(req.body);
  if (!parsed) {
    log::warn("telegram_webhook_unparsable");
    return HttpResponse::json(400, R"({"error":"bad request"})");
  }
  IngestReport report;
  if (!parsed->events.empty()) {
    auto stored = ingest(parsed->events);
    if (!stored) {
      // Not acknowledged, so Telegram delivers it again.
      log::error("telegram_webhook_not_stored", {{"code", toString(stored.error().code)}});
      return HttpResponse::json(503, R"({"error":"unavailable"})");
    }
    report = *stored;
  }
  if (!parsed->callback_query_id.empty() && answerer != nullptr) {
    answerer->enqueue(parsed->callback_query_id);
  }
  log::debug("telegram_update", {{"update", std::to_string(parsed->update_id)},
                                 {"accepted", std::to_string(report.accepted)},
                                 {"duplicates", std::to_string(report.duplicates)},
                                 {"ignored", parsed->ignored}});
  return HttpResponse::json(200, R"({"ok":true})");
}

media::FetchResult fetchFailure(media::FetchResult::Kind kind, std::string error) {
  media::FetchResult r;
  r.kind = kind;
  r.error = std::move(error);
  return r;
}

std::string statusCode(int status) {
  return status == 0 ? std::string("transport") : "http_" + std::to_string(status);
}

}  // namespace

// ---- callbacks ----

CallbackAnswerer::CallbackAnswerer(Settings settings, HttpClient& http)
    : settings_(std::move(settings)), http_(http) {}

CallbackAnswerer::~CallbackAnswerer() { stop(); }

void CallbackAnswerer::enqueue(const std::string& callback_query_id) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueuedCallbacks) {
      log::warn("telegram_callback_queue_full");
      return;  // the spinner times out on its own; the choice itself is stored
    }
    queue_.push_back(callback_query_id);
  }
  cv_.notify_one();
}

void CallbackAnswerer::answer(const std::string& id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const SendOutcome outcome = classifyReply(http_.send(answerCallbackCall(id, settings_)));
    if (outcome.kind == SendOutcome::Kind::Sent) { return; }
    if (outcome.kind != SendOutcome::Kind::Retry) {
      // Too old (callbacks must be answered within seconds) or unknown: nothing to repeat.
      log::info("telegram_callback_not_answered", {{"code", outcome.error_code}});
      return;
    }
  }
  log::warn("telegram_callback_not_answered", {{"code", "retry_exhausted"}});
}

void CallbackAnswerer::drainForTest() {
  for (;;) {
    std::string id;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) { return; }
      id = std::move(queue_.front());
      queue_.pop_front();
    }
    answer(id);
  }
}

void CallbackAnswerer::loop() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) { return; }  // stopping and nothing left
      id = std::move(queue_.front());
      queue_.pop_front();
    }
    answer(id);
  }
}

void CallbackAnswerer::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) { return; }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void CallbackAnswerer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Answers that wait longer than a shutdown are useless to the citizen anyway.
    constexpr std::size_t kAnswerAtStop = 20;
    while (queue_.size() > kAnswerAtStop) { queue_.pop_back(); }
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

// ---- webhook ----

std::vector<Route> routes(const Settings& settings, IngestFn ingest, CallbackAnswerer* answerer,
                          std::size_t max_body_bytes) {
  auto s = std::make_shared<const Settings>(settings);
  auto in = std::make_shared<const IngestFn>(std::move(ingest));
  std::vector<Route> out;
  out.push_back(Route{"POST", kPath, "telegram_webhook",
                      [s, in, answerer, max_body_bytes](const HttpRequest& req) {
                        return webhook(*s, *in, answerer, max_body_bytes, req);
                      }});
  return out;
}

// ---- polling ----

Poller::Poller(Settings settings, HttpClient& http, TelegramOffsetStore& offsets, IngestFn ingest,
               CallbackAnswerer* answerer, PollerOptions options)
    : settings_(std::move(settings)),
      http_(http),
      offsets_(offsets),
      ingest_(std::move(ingest)),
      answerer_(answerer),
      options_(options) {}

Poller::~Poller() { stop(); }

bool Poller::pollOnce() {
  if (offset_ < 0) {
    auto saved = offsets_.load();
    if (!saved) {
      log::warn("telegram_offset_unreadable", {{"code", toString(saved.error().code)}});
      return false;
    }
    offset_ = *saved;
  }
  const HttpReply reply = http_.send(getUpdatesCall(offset_, options_.timeout_s, settings_));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) { return false; }  // the store may be closing: take nothing more in
  }
  auto batch = parseUpdatesReply(reply);
  if (!batch) {
    log::warn("telegram_poll_failed", {{"code", batch.error().detail}});
    return false;
  }
  last_batch_ = batch->updates.size();
  if (batch->updates.empty()) { return true; }
  std::vector<InboundEvent> events;
  for (auto& u : batch->updates) {
    for (auto& e : u.events) { events.push_back(std::move(e)); }
  }
  IngestReport report;
  if (!events.empty()) {
    auto stored = ingest_(events);
    if (!stored) {
      // The offset stays: the same updates come again with the next poll.
      log::error("telegram_poll_not_stored", {{"code", toString(stored.error().code)}});
      return false;
    }
    report = *stored;
  }
  if (batch->next_offset > offset_) {
    offset_ = batch->next_offset;
    if (auto saved = offsets_.save(offset_); !saved) {
      // Not fatal: the updates are stored and deduplicated by update_id if they come again.
      log::warn("telegram_offset_not_saved", {{"code", toString(saved.error().code)}});
    }
  }
  if (answerer_ != nullptr) {
    for (const auto& u : batch->updates) {
      if (!u.callback_query_id.empty()) { answerer_->enqueue(u.callback_query_id); }
    }
  }
  log::info("telegram_poll", {{"updates", std::to_string(batch->updates.size())},
                              {"accepted", std::to_string(report.accepted)},
                              {"duplicates", std::to_string(report.duplicates)},
                              {"skipped", std::to_string(batch->skipped)}});
  return true;
}

void Poller::loop() {
  std::chrono::milliseconds delay{0};
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (delay.count() > 0) {
        cv_.wait_for(lock, delay, [this] { return stopping_; });
      }
      if (stopping_) { return; }
    }
    const auto started = std::chrono::steady_clock::now();
    if (pollOnce()) {
      delay = std::chrono::milliseconds{0};
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      if (last_batch_ == 0 && took < options_.min_empty_interval) {
        delay = options_.min_empty_interval - took;
      }
    } else {
      delay = delay.count() == 0 ? options_.retry_base : std::min(delay * 2, options_.retry_max);
    }
  }
}

void Poller::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) { return; }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Poller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

// ---- sender ----

Sender::Sender(Settings settings, HttpClient& http, Store& store)
    : settings_(std::move(settings)), http_(http), store_(store) {}

SendResult Sender::send(const OutboxRow& row, const std::string& address,
                        const OutboundMessage& message) {
  if (auto citizen = store_.citizen(row.pseudonym);
      citizen && *citizen && (*citizen)->unreachable) {
    // The citizen blocked the bot (my_chat_member "kicked"): nothing more is sent.
    return SendResult::failure(ResultKind::Unreachable, "blocked");
  }
  const std::vector<HttpCall> calls = renderMessage(message, address, settings_);
  if (calls.empty()) { return SendResult::failure(ResultKind::Permanent, "empty_message"); }
  std::size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto it = progress_.find(row.id); it != progress_.end()) { next = it->second; }
  }
  std::string last_id;
  for (std::size_t i = next; i < calls.size(); ++i) {
    const SendOutcome outcome = classifyReply(http_.send(calls[i]));
    if (outcome.kind != SendOutcome::Kind::Sent) {
      SendResult r;
      r.error = outcome.error_code;
      r.retry_after = outcome.retry_after;
      r.scope = SendResult::Scope::Channel;
      switch (outcome.kind) {
        case SendOutcome::Kind::Retry: r.kind = ResultKind::Retry; break;
        case SendOutcome::Kind::RateLimited: r.kind = ResultKind::RateLimited; break;
        case SendOutcome::Kind::Unreachable: r.kind = ResultKind::Unreachable; break;
        case SendOutcome::Kind::Permanent:
        case SendOutcome::Kind::Sent: r.kind = ResultKind::Permanent; break;
      }
      if (r.kind == ResultKind::Permanent || r.kind == ResultKind::Unreachable) {
        std::lock_guard lock(mutex_);
        progress_.erase(row.id);
      }
      if (i > 0) {
        log::info("telegram_partial_send", {{"outbox", std::to_string(row.id)},
                                            {"part", std::to_string(i + 1)},
                                            {"parts", std::to_string(calls.size())}});
      }
      return r;
    }
    last_id = outcome.message_id;
    std::lock_guard lock(mutex_);
    progress_[row.id] = i + 1;
  }
  {
    std::lock_guard lock(mutex_);
    progress_.erase(row.id);
  }
  return SendResult::sent(last_id);
}

// ---- media ----

MediaFetcher::MediaFetcher(Settings settings, HttpClient& http)
    : settings_(std::move(settings)), http_(http) {}

media::FetchResult MediaFetcher::fetch(const MediaJob& job) {
  using Kind = media::FetchResult::Kind;
  auto temporary = [](int status) { return status == 0 || status == 429 || status >= 500; };

  const HttpReply info = http_.send(getFileCall(job.source_ref, settings_));
  if (temporary(info.status)) { return fetchFailure(Kind::Retry, statusCode(info.status)); }
  auto path = parseFilePath(info);
  if (!path) {
    // Unknown file_id, over 20 MB (no file_path), or an answer without a path.
    return fetchFailure(Kind::Reject, path.error().code == ErrorCode::TooLarge
                                          ? "too_large"
                                          : "getfile_" + std::to_string(info.status));
  }
  HttpReply download = http_.send(fileDownloadCall(*path, settings_));
  if (download.status == 0 && download.transport_error == "response too large") {
    return fetchFailure(Kind::Reject, "too_large");
  }
  if (temporary(download.status) || download.status == 404) {
    // 404: the link expired (valid for at least an hour); the next attempt asks again.
    return fetchFailure(Kind::Retry, statusCode(download.status));
  }
  if (download.status != 200) {
    return fetchFailure(Kind::Reject, "download_" + std::to_string(download.status));
  }
  if (download.body.size() > kMaxFileBytes) { return fetchFailure(Kind::Reject, "too_large"); }
  media::FetchResult ok;
  ok.kind = Kind::Ok;
  ok.bytes = std::move(download.body);
  return ok;
}

}  // namespace bb::webhooks::telegram
