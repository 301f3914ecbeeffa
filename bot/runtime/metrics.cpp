#include "bot/runtime/metrics.hpp"

#include <fmt/format.h>

namespace bb {

void Metrics::observeRequest(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) { ++h.counts[i]; }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::increment(const std::string& name, const std::string& labels, std::uint64_t by) {
  std::lock_guard lock(mutex_);
  counters_[{name, labels}] += by;
}

void Metrics::gauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.emplace_back(name, help, std::move(read));
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP buergerbox_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE buergerbox_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("buergerbox_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       key.first, key.second, n);
  }
  out += "# HELP buergerbox_http_request_duration_seconds Request latency by route.\n";
  out += "# TYPE buergerbox_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("buergerbox_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route, kBuckets[i], h.counts[i]);
    }
    out += fmt::format("buergerbox_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route, h.count);
    out += fmt::format("buergerbox_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("buergerbox_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       h.count);
  }
  std::string last;
  for (const auto& [key, n] : counters_) {
    if (key.first != last) {
      out += fmt::format("# TYPE {} counter\n", key.first);
      last = key.first;
    }
    out += key.second.empty() ? fmt::format("{} {}\n", key.first, n)
                              : fmt::format("{}{{{}}} {}\n", key.first, key.second, n);
  }
  for (const auto& [name, help, read] : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, read());
  }
  return out;
}

}  // namespace bb
