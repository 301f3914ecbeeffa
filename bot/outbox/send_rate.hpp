#pragma once
// A channel's send rate shared by several instances (WhatsApp's 80 messages a second belong to
// the business number, not to an instance). The outbox worker takes a send slot from it right
// before each send; on PostgreSQL the slots come from one row per channel
// (storage/postgresql/pg_send_rate.hpp). Without one, an instance paces by its own rate alone.

#include <chrono>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb::outbox {

class SharedSendRate {
public:
  virtual ~SharedSendRate() = default;
  //! Up to `wanted` send times of `channel` at `per_second` for all instances together, as
  //! offsets from the moment the reservation was made (ascending, at most about a second
  //! ahead); fewer or none while the coming second is taken.
  virtual Result<std::vector<std::chrono::microseconds>> reserve(Channel channel,
                                                                 double per_second,
                                                                 int wanted) = 0;
};

}  // namespace bb::outbox
