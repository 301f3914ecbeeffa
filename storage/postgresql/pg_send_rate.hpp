#pragma once
// The outbox's SharedSendRate on PostgreSQL: the slots of SharedRateLimiter
// (storage/postgresql/pg_rate_limiter.hpp), as offsets from the database server's time of the
// reservation, so that the instances' own clocks need not agree.

#include "bot/outbox/send_rate.hpp"
#include "storage/postgresql/pg_rate_limiter.hpp"

namespace bb::storage::pg {

class PgSharedSendRate final : public outbox::SharedSendRate {
public:
  explicit PgSharedSendRate(PgDatabase& db) : limiter_(db) {}
  Result<std::vector<std::chrono::microseconds>> reserve(Channel channel, double per_second,
                                                         int wanted) override {
    auto slots = limiter_.reserve(toString(channel), per_second, wanted);
    if (!slots) { return fail(slots.error().code, slots.error().detail); }
    std::vector<std::chrono::microseconds> out;
    out.reserve(slots->slots_us.size());
    for (const std::int64_t at : slots->slots_us) {
      out.emplace_back(at - slots->now_us);
    }
    return out;
  }

private:
  SharedRateLimiter limiter_;
};

}  // namespace bb::storage::pg
