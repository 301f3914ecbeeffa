#include "bot/conversation/sender_rate_limit.hpp"

#include <algorithm>

namespace bb {

void SenderRateLimit::configure(int per_minute, std::size_t max_tracked) {
  std::lock_guard lock(mutex_);
  per_minute_ = std::max(0, per_minute);
  max_tracked_ = std::max<std::size_t>(1, max_tracked);
  buckets_.clear();
}

SenderRateLimit::Verdict SenderRateLimit::check(const std::string& sender, SysTime now) {
  std::lock_guard lock(mutex_);
  if (per_minute_ <= 0) { return Verdict::Allow; }
  const double capacity = per_minute_;
  if (buckets_.size() >= max_tracked_ && buckets_.find(sender) == buckets_.end()) {
    buckets_.clear();
  }
  auto [it, inserted] = buckets_.try_emplace(sender, Bucket{capacity, now, false});
  Bucket& b = it->second;
  if (!inserted && now > b.last) {
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + minutes * capacity);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    b.notified = false;
    return Verdict::Allow;
  }
  if (!b.notified) {
    b.notified = true;
    return Verdict::NotifyOnce;
  }
  return Verdict::Silent;
}

}  // namespace bb
