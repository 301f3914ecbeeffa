#pragma once
// Login throttling, in memory: failed attempts per key ("login:<name>", "ip:<addr>") within a
// sliding window. Once `max_failures - 1` failures lie in the window, the next attempt (the
// max_failures-th) is refused without checking the password, until the oldest failure ages out.

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace bb::web {

class LoginThrottle {
public:
  using TimePoint = std::chrono::steady_clock::time_point;

  LoginThrottle(int max_failures, std::chrono::seconds window)
      : max_failures_(max_failures), window_(window) {}

  //! True when an attempt for `key` at `now` must be refused.
  bool blocked(const std::string& key, TimePoint now);
  void recordFailure(const std::string& key, TimePoint now);
  void reset(const std::string& key);

private:
  void prune(std::deque<TimePoint>& times, TimePoint now) const;

  int max_failures_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, std::deque<TimePoint>> failures_;
};

}  // namespace bb::web
