#pragma once
// Slowloris protection for cpp-httplib 0.11. That version serves each connection on
// one pool thread and only has a per-read timeout, so a client that trickles one header byte
// every few seconds holds a thread for as long as it likes; enough of them exhaust the pool.
// The guard gives every connection a deadline to deliver each request (headers and body): from
// accept, and again from the end of each response. A connection past its deadline that is not
// inside a handler is shut down (the thread is freed at once). Handlers (long polls included)
// are never cut.
//
// cpp-httplib gives no hook between accept() and the task queue, so this file provides the
// process's accept() (it calls the kernel directly) and remembers, per thread, the descriptor
// accepted last; GuardedQueue::enqueue — which httplib calls on that same thread right after
// accept — picks it up and wraps the connection's job.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace bb::webhooks {

class SlowClientGuard {
public:
  //! `deadline`: time a connection gets to deliver one request. Zero disables the guard.
  explicit SlowClientGuard(std::chrono::milliseconds deadline);
  ~SlowClientGuard();
  SlowClientGuard(const SlowClientGuard&) = delete;
  SlowClientGuard& operator=(const SlowClientGuard&) = delete;

  //! Wraps a connection job so the guard watches its socket (-1: not a known socket, unwatched).
  std::function<void()> wrap(int fd, std::function<void()> job);

  //! Marks the calling thread's connection as inside a handler for the scope's lifetime.
  class HandlerScope {
  public:
    HandlerScope();
    ~HandlerScope();
    HandlerScope(const HandlerScope&) = delete;
    HandlerScope& operator=(const HandlerScope&) = delete;

  private:
    SlowClientGuard* guard_;
    std::uint64_t id_;
  };

  std::uint64_t closedCount() const { return closed_.load(); }

private:
  struct Conn {
    int fd = -1;
    std::chrono::steady_clock::time_point since;
    bool in_handler = false;
    bool closed = false;
  };
  void watch();
  void enter(std::uint64_t id);
  void leave(std::uint64_t id);

  const std::chrono::milliseconds deadline_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, Conn> conns_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::atomic<std::uint64_t> closed_{0};
  std::thread watcher_;
};

//! A task queue decorator: wraps each job httplib enqueues with the guard.
class GuardedQueue final : public httplib::TaskQueue {
public:
  GuardedQueue(httplib::TaskQueue* inner, SlowClientGuard& guard) : inner_(inner), guard_(guard) {}
  void enqueue(std::function<void()> fn) override;
  void shutdown() override { inner_->shutdown(); }
  void on_idle() override { inner_->on_idle(); }

private:
  std::unique_ptr<httplib::TaskQueue> inner_;
  SlowClientGuard& guard_;
};

//! The descriptor accept() returned last on the calling thread (then forgotten), or -1.
int takeLastAccepted();

}  // namespace bb::webhooks
