#include "bot/media/media_jobs.hpp"

#include <algorithm>
#include <cmath>

#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb::media {

MediaJobWorker::MediaJobWorker(Store& store, MediaFetcher& fetcher, MediaStore& media_store,
                               MediaNotifier notify, const Clock& clock,
                               MediaJobOptions options, Metrics* metrics)
    : store_(store),
      fetcher_(fetcher),
      media_store_(media_store),
      notify_(std::move(notify)),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      rng_(std::random_device{}()) {
  options_.max_tries = std::max(1, options_.max_tries);
}

MediaJobWorker::~MediaJobWorker() { stop(); }

void MediaJobWorker::count(const char* name) {
  if (metrics_ == nullptr) { return; }
  metrics_->increment(name, std::string("channel=\"") + toString(options_.channel) + "\"");
}

MediaPassReport MediaJobWorker::runOnce() {
  MediaPassReport report;
  auto jobs = store_.dueMedia(options_.channel, clock_.now(), options_.batch);
  if (!jobs) {
    log::warn("media_poll_failed", {{"channel", toString(options_.channel)},
                                    {"code", toString(jobs.error().code)}});
    return report;
  }
  for (const MediaJob& job : *jobs) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) { break; }
    }
    handle(job, report);
  }
  return report;
}

void MediaJobWorker::handle(const MediaJob& job, MediaPassReport& report) {
  const auto start = std::chrono::steady_clock::now();
  FetchResult fetched = fetcher_.fetch(job);
  if (fetched.kind == FetchResult::Kind::Retry) {
    retry(job, fetched.error, report);
    return;
  }
  if (fetched.kind == FetchResult::Kind::Reject) {
    reject(job, fetched.error, report);
    return;
  }
  // The bytes are untrusted and only ever held in memory: clean first, then store.
  auto cleaned = cleanImage(fetched.bytes, options_.clean);
  fetched.bytes.clear();
  if (!cleaned) {
    reject(job, cleaned.error().code == ErrorCode::TooLarge ? "too_large" : cleaned.error().detail,
           report);
    return;
  }
  auto id = media_store_.put(*cleaned);
  if (!id) {
    retry(job, "store_failed", report);
    return;
  }
  // The conversation first, then the row (as for a rejection): a crash in between repeats the
  // news, deduplicated by its id, instead of losing it.
  if (notify_) {
    if (auto told = notify_(MediaOutcome{job.pseudonym, job.id, true, *id, cleaned->mime_type, {}});
        !told) {
      log::warn("media_ready_notice_failed", {{"media", std::to_string(job.id)},
                                              {"code", toString(told.error().code)}});
      return;  // still pending; offered again (put() is idempotent)
    }
  }
  auto marked = store_.markMedia(job.id, "ready", *id, "", job.tries + 1, clock_.now());
  if (!marked) {
    log::warn("media_mark_failed", {{"media", std::to_string(job.id)},
                                    {"code", toString(marked.error().code)}});
    return;  // offered again; put() is idempotent
  }
  ++report.ready;
  count("buergerbox_media_ready_total");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  log::info("media_ready", {{"media", std::to_string(job.id)},
                            {"channel", toString(job.channel)},
                            {"latency_ms", std::to_string(ms.count())}});
}

void MediaJobWorker::reject(const MediaJob& job, const std::string& error,
                            MediaPassReport& report) {
  // Tell the conversation first (idempotent by external id); mark the row only after that, so
  // a crash in between repeats the notice instead of losing it.
  if (notify_) {
    if (auto told = notify_(MediaOutcome{job.pseudonym, job.id, false, {}, {}, error}); !told) {
      log::warn("media_reject_notice_failed", {{"media", std::to_string(job.id)},
                                               {"code", toString(told.error().code)}});
      return;  // still pending; retried on the next pass
    }
  }
  auto marked = store_.markMedia(job.id, "rejected", "", error, job.tries + 1, clock_.now());
  if (!marked) {
    log::warn("media_mark_failed", {{"media", std::to_string(job.id)},
                                    {"code", toString(marked.error().code)}});
    return;
  }
  ++report.rejected;
  count("buergerbox_media_rejected_total");
  log::info("media_rejected", {{"media", std::to_string(job.id)},
                               {"channel", toString(job.channel)}, {"reason", error}});
}

void MediaJobWorker::retry(const MediaJob& job, const std::string& error,
                           MediaPassReport& report) {
  const int tries = job.tries + 1;
  if (tries >= options_.max_tries) {
    reject(job, "download_failed:" + error, report);
    return;
  }
  const double full = std::min(static_cast<double>(options_.retry_max.count()),
                               static_cast<double>(options_.retry_base.count()) *
                                   std::pow(2.0, static_cast<double>(tries - 1)));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  const auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(full * jitter(rng_)));
  auto marked = store_.markMedia(job.id, "pending", "", error, tries, clock_.now() + delay);
  if (!marked) {
    log::warn("media_mark_failed", {{"media", std::to_string(job.id)},
                                    {"code", toString(marked.error().code)}});
  }
  ++report.retried;
  log::info("media_retry", {{"media", std::to_string(job.id)}, {"code", error},
                            {"tries", std::to_string(tries)},
                            {"delay_ms", std::to_string(delay.count())}});
}

void MediaJobWorker::start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) { return; }
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void MediaJobWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

void MediaJobWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void MediaJobWorker::loop() {
  setThreadName("bb-media");
  lowerThreadPriority(kBackgroundNice);
  for (;;) {
    MediaPassReport report = runOnce();
    std::unique_lock lock(mutex_);
    if (stopping_) { break; }
    if (report.ready + report.rejected + report.retried == 0) {
      cv_.wait_for(lock, options_.idle_poll, [this] { return stopping_ || woken_; });
    }
    woken_ = false;
    if (stopping_) { break; }
  }
}

}  // namespace bb::media
