#pragma once
// Which conversations this instance may process when several instances share one database. A
// conversation is processed by one instance at a time, in order: the instance holding the lease
// of its partition. The engine asks before it processes an event and hands the answer to the
// commit (StepCommit::fence), so a step of an instance that lost the lease meanwhile changes
// nothing; the new owner reads the event from the database and processes it. Without an
// ownership (one instance, SQLite), the engine processes every conversation.

#include <cstdint>
#include <optional>

#include "bot/conversation/store.hpp"

namespace bb {

class ConversationOwnership {
public:
  virtual ~ConversationOwnership() = default;
  //! The lease under which this instance processes the conversation with `shard_key` now;
  //! nullopt while another instance does (or this one cannot renew its leases).
  virtual std::optional<StepFence> fenceFor(std::int64_t shard_key) const = 0;
  //! Raised, together with the leases fenceFor answers from, whenever this instance takes
  //! conversations over. Their earlier events wait in the database (another instance stored
  //! them), so a worker that sees a new generation reads its pending events again before it
  //! processes anything queued: a later event must not overtake an earlier one.
  virtual std::uint64_t generation() const = 0;
};

}  // namespace bb
