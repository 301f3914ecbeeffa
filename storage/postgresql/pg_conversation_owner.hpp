#pragma once
// The engine's ConversationOwnership on PostgreSQL: this instance's partition leases
// (storage/postgresql/pg_partition_leases.hpp), renewed by a thread of their own every third of
// the lease. The leases this instance answers with run out on its own (steady) clock a little
// before they do on the server: the lease counts from before the refresh was sent, so a step that
// started under a lease the server already gave away is refused by the commit's fence, never
// the other way round. An instance that cannot reach the database stops processing once its
// leases run out here; another instance takes their conversations over when they run out there.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bot/conversation/ownership.hpp"
#include "storage/postgresql/pg_partition_leases.hpp"

namespace bb::storage::pg {

class PgConversationOwner final : public ConversationOwnership {
public:
  //! `on_gain` runs on the renewing thread whenever this instance takes partitions it did not
  //! hold, or renews its leases after they had run out here (the engine then reads their
  //! pending events: Engine::recheckPending).
  PgConversationOwner(PgDatabase& db, LeaseOptions options, std::function<void()> on_gain);
  ~PgConversationOwner() override;
  PgConversationOwner(const PgConversationOwner&) = delete;
  PgConversationOwner& operator=(const PgConversationOwner&) = delete;

  //! Takes this instance's first share (one refresh, so the engine starts with work), then
  //! starts the renewing thread. An unreachable database is reported, the thread keeps trying.
  Result<void> start();
  //! Stops renewing. `release`: gives every lease back (a clean stop, the others take the
  //! partitions at once); otherwise they run out as after a crash.
  void stop(bool release = true);

  std::optional<StepFence> fenceFor(std::int64_t shard_key) const override;
  std::uint64_t generation() const override;
  //! The partitions held now, ascending (metrics and tests).
  std::vector<int> partitions() const;
  const std::string& instanceId() const { return options_.instance_id; }

private:
  Result<void> refresh();
  void loop();

  PartitionLeases leases_;
  LeaseOptions options_;
  std::function<void()> on_gain_;
  mutable std::mutex mutex_;
  std::map<int, std::int64_t> owned_;  //!< partition → fencing token
  std::chrono::steady_clock::time_point valid_until_{};
  std::uint64_t generation_ = 0;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bb::storage::pg
