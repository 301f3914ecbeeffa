#pragma once
// Broadcasts, their outbox rows and the OParl sync state on SQLite.

#include "bot/subscriptions/broadcast.hpp"
#include "storage/database.hpp"

namespace bb::storage {

class SqliteBroadcastStore final : public BroadcastStore {
public:
  explicit SqliteBroadcastStore(Database& db) : db_(db) {}

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
  Database& db_;
};

}  // namespace bb::storage
