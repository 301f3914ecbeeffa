#pragma once
// An epoll HTTP/1.1 load generator for 127.0.0.1: N keep-alive connections on one thread,
// closed loop (every idle connection sends at once) or open loop (requests scheduled at a fixed
// rate; latency counts from the scheduled time, so a stalled server cannot hide queueing).
// The same client measures the floors and the real server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bb::bench {

struct LoadOptions {
  int port = 0;
  int connections = 64;
  double seconds = 20;
  double rate = 0;  //!< requests per second; 0 = closed loop
  double drain_seconds = 10;  //!< after `seconds`, wait this long for answers still in flight
};

struct LoadResult {
  std::uint64_t sent = 0;
  std::uint64_t ok = 0;      //!< 2xx answers
  std::uint64_t errors = 0;  //!< other statuses, resets, answers missing at the end
  double seconds = 0;        //!< from the first send to the last answer
  double connect_max_ms = 0; //!< slowest connection setup
  std::vector<std::uint32_t> latency_us;  //!< of the 2xx answers
  double perSecond() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

//! Builds the full request (request line, headers, body) for request number `seq`.
using RequestFn = std::function<std::string(std::uint64_t seq)>;
//! Called once per answered request with its HTTP status and latency.
using ResponseFn = std::function<void(std::uint64_t seq, int status, std::uint32_t latency_us)>;

LoadResult runLoad(const LoadOptions& options, const RequestFn& request, const ResponseFn& on_answer);

struct Percentiles {
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
Percentiles percentiles(std::vector<std::uint32_t> latency_us);

}  // namespace bb::bench
