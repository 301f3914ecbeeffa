#include "bench/load_client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bb::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  bool busy = false;
  bool want_out = false;
  std::uint64_t seq = 0;
  Clock::time_point start{};
  std::string out;
  std::size_t out_off = 0;
  std::string in;
};

int connectTo(int port, double& took_ms) {
  const auto t0 = Clock::now();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) { throw std::runtime_error(std::string("socket: ") + std::strerror(errno)); }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("connect: " + why);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return fd;
}

//! Length of the first complete response in `in` (0 if incomplete) and its status.
std::size_t completeResponse(const std::string& in, int& status) {
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) { return 0; }
  status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  std::size_t length = 0;
  std::size_t pos = 0;
  while ((pos = in.find('\n', pos)) != std::string::npos && pos < head_end) {
    ++pos;
    if (in.size() - pos > 15 && strncasecmp(in.c_str() + pos, "content-length:", 15) == 0) {
      length = static_cast<std::size_t>(std::strtoull(in.c_str() + pos + 15, nullptr, 10));
      break;
    }
  }
  const std::size_t total = head_end + 4 + length;
  return in.size() >= total ? total : 0;
}

}  // namespace

Percentiles percentiles(std::vector<std::uint32_t> v) {
  Percentiles p;
  if (v.empty()) { return p; }
  std::sort(v.begin(), v.end());
  auto at = [&v](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    return static_cast<double>(v[i]) / 1000.0;
  };
  p.p50_ms = at(0.50);
  p.p95_ms = at(0.95);
  p.p99_ms = at(0.99);
  p.p999_ms = at(0.999);
  p.max_ms = static_cast<double>(v.back()) / 1000.0;
  return p;
}

LoadResult runLoad(const LoadOptions& options, const RequestFn& request,
                   const ResponseFn& on_answer) {
  LoadResult result;
  std::vector<Conn> conns(static_cast<std::size_t>(options.connections));
  const int ep = ::epoll_create1(0);
  std::deque<std::size_t> idle;  // FIFO: every connection takes its turn
  for (std::size_t i = 0; i < conns.size(); ++i) {
    double took = 0;
    conns[i].fd = connectTo(options.port, took);
    result.connect_max_ms = std::max(result.connect_max_ms, took);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    idle.push_back(i);
  }
  result.latency_us.reserve(1 << 20);

  auto flush = [&](std::size_t i) {
    Conn& c = conns[i];
    while (c.out_off < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off,
                               MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) { break; }
        return false;
      }
      c.out_off += static_cast<std::size_t>(n);
    }
    const bool want = c.out_off < c.out.size();
    if (want != c.want_out) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
      ev.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      c.want_out = want;
    }
    return true;
  };
  auto reconnect = [&](std::size_t i) {
    Conn& c = conns[i];
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    double took = 0;
    c.fd = connectTo(options.port, took);
    c.in.clear();
    c.out.clear();
    c.out_off = 0;
    c.want_out = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  };
  auto issue = [&](std::size_t i, Clock::time_point scheduled) {
    Conn& c = conns[i];
    c.seq = result.sent++;
    c.out = request(c.seq);
    c.out_off = 0;
    c.busy = true;
    c.start = scheduled;
    if (!flush(i)) {
      ++result.errors;
      c.busy = false;
      reconnect(i);
      idle.push_back(i);
    }
  };

  const auto start = Clock::now();
  const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.seconds));
  const auto hard_stop = stop_sending + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options.drain_seconds));
  Clock::time_point last_answer = start;
  std::size_t busy = 0;
  std::vector<epoll_event> events(conns.size());
  char buf[16384];
  for (;;) {
    const auto now = Clock::now();
    const bool sending = now < stop_sending;
    if (!sending && busy == 0) { break; }
    if (now >= hard_stop) {
      result.errors += busy;  // never answered
      break;
    }
    if (sending) {
      if (options.rate <= 0) {
        while (!idle.empty()) {
          const std::size_t i = idle.front();
          idle.pop_front();
          ++busy;
          issue(i, Clock::now());
          if (!conns[i].busy) { --busy; }
        }
      } else {
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const auto due = static_cast<std::uint64_t>(elapsed * options.rate);
        while (result.sent < due && !idle.empty()) {
          const std::size_t i = idle.front();
          idle.pop_front();
          const auto scheduled =
              start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                          static_cast<double>(result.sent) / options.rate));
          ++busy;
          issue(i, scheduled);
          if (!conns[i].busy) { --busy; }
        }
      }
    }
    const int timeout_ms = options.rate > 0 ? 1 : 50;
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(events[k].data.u64);
      Conn& c = conns[i];
      if ((events[k].events & EPOLLOUT) != 0u) { flush(i); }
      if ((events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0u) { continue; }
      bool closed = false;
      for (;;) {
        const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, static_cast<std::size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) { closed = true; }
        break;
      }
      int status = 0;
      if (c.busy) {
        if (const std::size_t len = completeResponse(c.in, status); len > 0) {
          const auto t = Clock::now();
          last_answer = t;
          const auto us = static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(t - c.start).count());
          if (status >= 200 && status < 300) {
            ++result.ok;
            result.latency_us.push_back(us);
          } else {
            ++result.errors;
          }
          on_answer(c.seq, status, us);
          c.in.erase(0, len);
          c.busy = false;
          --busy;
          if (!closed) { idle.push_back(i); }
        }
      }
      if (closed) {
        if (c.busy) {
          ++result.errors;
          c.busy = false;
          --busy;
        }
        reconnect(i);
        idle.push_back(i);
      }
    }
  }
  result.seconds = std::chrono::duration<double>(last_answer - start).count();
  for (auto& c : conns) { ::close(c.fd); }
  ::close(ep);
  return result;
}

}  // namespace bb::bench
