#pragma once
// Media jobs (DESIGN.md §2.5): an image that arrived through a channel API (media row 'pending')
// is downloaded by the channel's MediaFetcher, cleaned by media::cleanImage, stored by the
// content-addressed MediaStore, and the row becomes 'ready' with its content id. Whatever cannot
// be fetched or cleaned becomes 'rejected' (fail closed: nothing uncleaned is ever written), and
// the citizen's conversation gets a MediaRejected event (with the reason) so the flow asks for
// another photo. A cleaned photo is told to the conversation too (MediaReady): only then is it
// counted and acknowledged to the citizen.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "bot/media/image_cleaner.hpp"
#include "bot/media/media_store.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"

namespace bb::media {

//! What a channel's download attempt gave. `error` is a code for logs (never URLs or bodies).
struct FetchResult {
  enum class Kind {
    Ok,      //!< `bytes` hold the untrusted image as the channel delivered it
    Retry,   //!< temporary (5xx, timeout, expired URL): try again later
    Reject,  //!< will never work (unknown media id, too large): reject the photo
  };
  Kind kind = Kind::Reject;
  std::string bytes;
  std::string error;
};

//! One per channel: downloads a media job's bytes through the channel API (HttpClient port).
class MediaFetcher {
public:
  virtual ~MediaFetcher() = default;
  virtual FetchResult fetch(const MediaJob& job) = 0;
};

//! What became of a photo, for the citizen's conversation (Engine::ingestMediaOutcome).
struct MediaOutcome {
  std::string pseudonym;
  std::int64_t id = 0;      //!< the media row
  bool ready = false;       //!< cleaned and stored; else rejected
  std::string content_id;   //!< ready: the stored file
  std::string mime_type;    //!< ready: of the stored file
  std::string reason;       //!< rejected: heic_unsupported, too_large, unsupported_format, ...
};
//! Tells the conversation (durably, idempotent per media row and outcome).
using MediaNotifier = std::function<Result<void>(const MediaOutcome&)>;

struct MediaJobOptions {
  Channel channel = Channel::WhatsApp;
  int max_tries = 6;  //!< download attempts before the photo is rejected
  std::chrono::milliseconds retry_base{2000};
  std::chrono::milliseconds retry_max{10 * 60 * 1000};
  CleanOptions clean;
  int batch = 10;
  std::chrono::milliseconds idle_poll{250};
};

struct MediaPassReport {
  int ready = 0;
  int rejected = 0;
  int retried = 0;
};

class MediaJobWorker {
public:
  MediaJobWorker(Store& store, MediaFetcher& fetcher, MediaStore& media_store,
                 MediaNotifier notify, const Clock& clock, MediaJobOptions options,
                 Metrics* metrics = nullptr);
  ~MediaJobWorker();
  MediaJobWorker(const MediaJobWorker&) = delete;
  MediaJobWorker& operator=(const MediaJobWorker&) = delete;

  //! Handles every job due at clock.now() (one thread at a time).
  MediaPassReport runOnce();
  void start();
  void stop();
  void wake();

private:
  void handle(const MediaJob& job, MediaPassReport& report);
  void reject(const MediaJob& job, const std::string& error, MediaPassReport& report);
  void retry(const MediaJob& job, const std::string& error, MediaPassReport& report);
  void loop();
  void count(const char* name);

  Store& store_;
  MediaFetcher& fetcher_;
  MediaStore& media_store_;
  MediaNotifier notify_;
  const Clock& clock_;
  MediaJobOptions options_;
  Metrics* metrics_;
  std::mt19937 rng_;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace bb::media
