#include "webhooks/elastic_pool.hpp"

#include <algorithm>

#include "bot/runtime/threads.hpp"

namespace bb::webhooks {

ElasticPool::ElasticPool(ElasticPoolOptions options) : options_([&options] {
  options.max_threads = std::max<std::size_t>(1, options.max_threads);
  options.min_threads = std::min(options.min_threads, options.max_threads);
  return options;
}()) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < options_.min_threads; ++i) { spawnLocked(); }
}

ElasticPool::~ElasticPool() { shutdown(); }

void ElasticPool::spawnLocked() {
  std::thread t([this] { worker(); });
  const auto id = t.get_id();
  threads_.emplace(id, std::move(t));
  ++alive_;
  peak_ = std::max(peak_, alive_);
}

void ElasticPool::reapLocked() {
  for (const auto& id : finished_) {
    auto it = threads_.find(id);
    if (it != threads_.end()) {
      it->second.join();  // it has left worker(); join returns at once
      threads_.erase(it);
    }
  }
  finished_.clear();
}

void ElasticPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (shutdown_) { return; }
    jobs_.push_back(std::move(fn));
    reapLocked();
    // Every queued job needs a thread of its own: a connection holds its thread while alive.
    if (idle_ < jobs_.size() && alive_ < options_.max_threads) { spawnLocked(); }
  }
  cv_.notify_one();
}

void ElasticPool::worker() {
  setThreadName("bb-http");
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool woke = cv_.wait_for(lock, options_.idle_timeout,
                                   [this] { return shutdown_ || !jobs_.empty(); });
    --idle_;
    if (!jobs_.empty()) {
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
      continue;
    }
    if (shutdown_ || (!woke && alive_ > options_.min_threads)) {
      --alive_;
      if (!shutdown_) { finished_.push_back(std::this_thread::get_id()); }
      return;
    }
  }
}

void ElasticPool::shutdown() {
  std::map<std::thread::id, std::thread> all;
  {
    std::lock_guard lock(mutex_);
    if (shutdown_ && threads_.empty()) { return; }
    shutdown_ = true;
    all.swap(threads_);
    finished_.clear();
  }
  cv_.notify_all();
  for (auto& [id, t] : all) {
    if (t.joinable()) { t.join(); }
  }
}

std::size_t ElasticPool::threads() const {
  std::lock_guard lock(mutex_);
  return alive_;
}
std::size_t ElasticPool::peakThreads() const {
  std::lock_guard lock(mutex_);
  return peak_;
}
std::size_t ElasticPool::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

}  // namespace bb::webhooks
