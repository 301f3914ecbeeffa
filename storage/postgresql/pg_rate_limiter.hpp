#pragma once
// A channel's send rate shared by every instance of one PostgreSQL database (WhatsApp's 80
// messages a second are the business number's, not an instance's). Each channel has one row
// with the time of its next free send slot; a request reserves up to n slots, spaced
// 1 / rate apart from that time on and at most `horizon` ahead, in one UPDATE — the row's lock
// puts the instances' requests in a line, so the slots of all instances together are never
// closer than 1 / rate. The caller sends each message at (not before) its slot. Times are the
// database server's clock, in microseconds since the epoch.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

struct SendSlots {
  std::int64_t now_us = 0;               //!< the server's time of the reservation
  std::vector<std::int64_t> slots_us;    //!< when each granted send may go, ascending
};

class SharedRateLimiter {
public:
  explicit SharedRateLimiter(PgDatabase& db, std::chrono::milliseconds horizon =
                                                 std::chrono::milliseconds(1000))
      : db_(db), horizon_(horizon) {}

  //! Reserves up to `wanted` send slots of `channel` at `per_second`; fewer (or none) when the
  //! next free ones lie beyond the horizon. InvalidInput for a rate below 1.
  Result<SendSlots> reserve(const std::string& channel, double per_second, int wanted);

private:
  PgDatabase& db_;
  std::chrono::milliseconds horizon_;
};

}  // namespace bb::storage::pg
