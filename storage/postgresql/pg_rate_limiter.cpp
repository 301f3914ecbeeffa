#include "storage/postgresql/pg_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace bb::storage::pg {

Result<SendSlots> SharedRateLimiter::reserve(const std::string& channel, double per_second,
                                             int wanted) {
  if (!std::isfinite(per_second) || !(per_second >= 1.0) || per_second > 1e6 || wanted < 0) {
    return fail(ErrorCode::InvalidInput, "a send rate from 1 to 1,000,000 a second");
  }
  const auto interval_us = static_cast<std::int64_t>(std::ceil(1e6 / per_second));
  const std::int64_t horizon_us = std::int64_t{horizon_.count()} * 1000;
  return db_.transaction([&](Session& s) {
    s.run("INSERT INTO channel_rates (channel) VALUES ($1) ON CONFLICT (channel) DO NOTHING",
          channel);
    // The row lock (FOR UPDATE) lines the instances up; the first slot is the channel's next
    // free one, or now when the channel was idle.
    Rows row = s.run("SELECT next_slot_us, (extract(epoch from clock_timestamp()) * 1000000)::bigint "
                     "FROM channel_rates WHERE channel = $1 FOR UPDATE",
                     channel);
    SendSlots out;
    out.now_us = row.int64(0, 1);
    const std::int64_t first = std::max(row.int64(0, 0), out.now_us);
    const std::int64_t room = first > out.now_us + horizon_us
                                  ? 0
                                  : (out.now_us + horizon_us - first) / interval_us + 1;
    const std::int64_t granted = std::min<std::int64_t>(room, wanted);
    for (std::int64_t i = 0; i < granted; ++i) { out.slots_us.push_back(first + i * interval_us); }
    if (granted > 0) {
      s.run("UPDATE channel_rates SET next_slot_us = $2 WHERE channel = $1", channel,
            first + granted * interval_us);
    }
    return out;
  });
}

}  // namespace bb::storage::pg
