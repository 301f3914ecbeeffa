#pragma once
// Broadcasts, their outbox rows and the OParl sync state on PostgreSQL: the same rows and answers
// as SqliteBroadcastStore (storage/sqlite_broadcast_store.cpp). A fan-out writes its outbox rows
// in batches of multi-row INSERTs, and refreshes the outbox's statistics when it wrote many:
// with the statistics of a near-empty table the planner reads the due rows with a plan that
// outlasts the statement timeout.

#include "bot/subscriptions/broadcast.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgBroadcastStore final : public BroadcastStore {
public:
  explicit PgBroadcastStore(PgDatabase& db) : db_(db) {}

  Result<std::int64_t> createBroadcast(const NewBroadcast& b, SysTime now) override;
  Result<void> updateBroadcast(std::int64_t id, const NewBroadcast& b, SysTime now) override;
  Result<std::optional<BroadcastRecord>> broadcast(std::int64_t id) override;
  Result<std::vector<BroadcastRecord>> recentBroadcasts(int limit) override;
  Result<void> scheduleBroadcast(std::int64_t id, SysTime at, SysTime now) override;
  Result<void> cancelBroadcast(std::int64_t id, SysTime now) override;
  Result<std::vector<std::int64_t>> dueBroadcasts(SysTime now) override;
  Result<BroadcastBacklog> backlog(Channel channel) override;
  Result<void> commitFanout(std::int64_t id, const std::vector<FanoutRow>& rows,
                            SysTime now) override;
  Result<BroadcastProgress> progress(std::int64_t id) override;

  Result<std::optional<std::string>> oparlState(const std::string& key) override;
  Result<void> setOparlState(const std::string& key, const std::string& value) override;
  Result<bool> oparlEventSeen(const std::string& key) override;
  Result<void> recordOparlEvent(const std::string& key, const std::string& object_id,
                                std::int64_t broadcast_id, SysTime now) override;
  Result<std::vector<std::int64_t>> oparlBroadcastsOf(const std::string& object_id) override;

private:
  PgDatabase& db_;
};

}  // namespace bb::storage::pg
