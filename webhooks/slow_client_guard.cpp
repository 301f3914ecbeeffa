#include "webhooks/slow_client_guard.hpp"

#include <cerrno>

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bot/log.hpp"

namespace {

thread_local int tl_last_accepted = -1;
thread_local bb::webhooks::SlowClientGuard* tl_guard = nullptr;
thread_local std::uint64_t tl_conn = 0;

}  // namespace

// The process's accept(): the kernel call, plus a note of the descriptor for GuardedQueue.
extern "C" int accept(int sockfd, sockaddr* addr, socklen_t* addrlen) {
  const long fd = ::syscall(SYS_accept4, sockfd, addr, addrlen, 0);
  if (fd >= 0) { tl_last_accepted = static_cast<int>(fd); }
  return static_cast<int>(fd);
}

namespace bb::webhooks {

int takeLastAccepted() {
  const int fd = tl_last_accepted;
  tl_last_accepted = -1;
  return fd;
}

SlowClientGuard::SlowClientGuard(std::chrono::milliseconds deadline) : deadline_(deadline) {
  if (deadline_.count() > 0) { watcher_ = std::thread([this] { watch(); }); }
}

SlowClientGuard::~SlowClientGuard() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (watcher_.joinable()) { watcher_.join(); }
}

std::function<void()> SlowClientGuard::wrap(int fd, std::function<void()> job) {
  if (deadline_.count() <= 0 || fd < 0) { return job; }
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    conns_[id] = Conn{fd, std::chrono::steady_clock::now(), false, false};
  }
  return [this, id, job = std::move(job)] {
    tl_guard = this;
    tl_conn = id;
    job();  // serves the connection and closes the socket
    tl_guard = nullptr;
    tl_conn = 0;
    std::lock_guard lock(mutex_);
    conns_.erase(id);
  };
}

void SlowClientGuard::enter(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = conns_.find(id); it != conns_.end()) { it->second.in_handler = true; }
}

void SlowClientGuard::leave(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = conns_.find(id); it != conns_.end()) {
    it->second.in_handler = false;
    it->second.since = std::chrono::steady_clock::now();  // the next request's deadline starts
  }
}

void SlowClientGuard::watch() {
  const auto tick = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(250),
                                                         deadline_ / 4 + std::chrono::milliseconds(1));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, tick, [this] { return stopping_; });
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, c] : conns_) {
      if (c.in_handler || c.closed || now - c.since < deadline_) { continue; }
      // Wakes the thread blocked in poll/recv: its read fails and httplib closes the socket.
      ::shutdown(c.fd, SHUT_RDWR);
      c.closed = true;
      closed_.fetch_add(1);
      log::info("http_slow_client_closed", {{"conn", std::to_string(id)}});
    }
  }
}

SlowClientGuard::HandlerScope::HandlerScope() : guard_(tl_guard), id_(tl_conn) {
  if (guard_ != nullptr) { guard_->enter(id_); }
}

SlowClientGuard::HandlerScope::~HandlerScope() {
  if (guard_ != nullptr) { guard_->leave(id_); }
}

void GuardedQueue::enqueue(std::function<void()> fn) {
  inner_->enqueue(guard_.wrap(takeLastAccepted(), std::move(fn)));
}

}  // namespace bb::webhooks
