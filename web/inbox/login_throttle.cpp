#include "web/inbox/login_throttle.hpp"

namespace bb::web {

void LoginThrottle::prune(std::deque<TimePoint>& times, TimePoint now) const {
  while (!times.empty() && now - times.front() >= window_) { times.pop_front(); }
}

bool LoginThrottle::blocked(const std::string& key, TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  if (it == failures_.end()) { return false; }
  prune(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= max_failures_ - 1;
}

void LoginThrottle::recordFailure(const std::string& key, TimePoint now) {
  std::lock_guard lock(mutex_);
  if (failures_.size() > 100000) { failures_.clear(); }  // bounded memory under a flood
  auto& times = failures_[key];
  prune(times, now);
  times.push_back(now);
}

void LoginThrottle::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

}  // namespace bb::web
