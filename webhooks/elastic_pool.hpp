#pragma once
// The HTTP server's task queue. cpp-httplib 0.11 serves each connection on one pool thread for
// as long as the connection is kept alive, so a fixed pool of N threads serves only N keep-alive
// connections and every further one waits until a kept-alive connection times out (seconds).
// This pool keeps `min_threads` warm, starts a thread whenever a connection arrives while none
// is idle (up to `max_threads`), and lets surplus threads end after `idle_timeout` without work.
// Memory follows the load: an idle server holds few threads (docs/performance.md).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace bb::webhooks {

struct ElasticPoolOptions {
  std::size_t min_threads = 8;
  std::size_t max_threads = 1024;
  std::chrono::milliseconds idle_timeout{30000};
};

class ElasticPool final : public httplib::TaskQueue {
public:
  explicit ElasticPool(ElasticPoolOptions options);
  ~ElasticPool() override;
  ElasticPool(const ElasticPool&) = delete;
  ElasticPool& operator=(const ElasticPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  //! Runs what is queued, then ends and joins every thread.
  void shutdown() override;

  std::size_t threads() const;  //!< alive now
  std::size_t peakThreads() const;
  std::size_t queued() const;

private:
  void spawnLocked();
  void worker();
  void reapLocked();

  const ElasticPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread::id> finished_;  //!< ended threads not yet joined
  std::size_t alive_ = 0;
  std::size_t idle_ = 0;
  std::size_t peak_ = 0;
  bool shutdown_ = false;
};

}  // namespace bb::webhooks
