#pragma once
// Per-sender message rate limit (DESIGN.md §7): a token bucket per pseudonym. Over the
// limit a citizen gets one polite notice, then silence until the bucket refills; the events are
// still stored, deduplicated and marked processed, so nothing is acknowledged and lost.
// Memory is bounded: beyond `max_tracked` senders the table starts over (everyone gets a full
// bucket again, which errs on the side of answering).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "bot/ports.hpp"

namespace bb {

class SenderRateLimit {
public:
  enum class Verdict {
    Allow,       //!< process the event normally
    NotifyOnce,  //!< over the limit for the first time in this episode: send the notice
    Silent,      //!< over the limit, notice already sent: store and drop
  };

  //! `per_minute` messages per minute and as burst; 0 switches the limit off.
  void configure(int per_minute, std::size_t max_tracked = 100000);
  Verdict check(const std::string& sender, SysTime now);
  int perMinute() const { return per_minute_; }

private:
  struct Bucket {
    double tokens = 0;
    SysTime last{};
    bool notified = false;
  };
  int per_minute_ = 0;
  std::size_t max_tracked_ = 100000;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace bb
