#pragma once
// Login throttling: failed attempts per key ("login:<name>", "ip:<addr>", kept as keyed
// hashes) within a sliding window, counted in memory and restored from the database at start
// (web/inbox/inbox.cpp records each failure there too). Once `max_failures - 1` failures lie in the window, the next attempt (the
// max_failures-th) is refused without checking the password, until the oldest failure ages out.

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "bot/types.hpp"

namespace bb::web {

class LoginThrottle {
public:
  //! Wall-clock time: the counters outlive a restart, a monotonic clock does not.
  using TimePoint = SysTime;

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
