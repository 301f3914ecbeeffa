#pragma once
// Prometheus text metrics: request counters by route and status, a latency histogram, and
// gauges read on scrape (queue depths). Thread-safe; labels are route names, never raw paths.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bb {

class Metrics {
public:
  void observeRequest(const std::string& route, int status, double seconds);
  void increment(const std::string& name, const std::string& labels = {}, std::uint64_t by = 1);
  //! A gauge whose value is read at scrape time.
  void gauge(const std::string& name, const std::string& help, std::function<double()> read);
  std::string render() const;

private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counters_;
  std::vector<std::tuple<std::string, std::string, std::function<double()>>> gauges_;
};

}  // namespace bb
