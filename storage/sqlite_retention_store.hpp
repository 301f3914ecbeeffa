#pragma once
// SQLite side of the retention job (bot/privacy/retention.hpp): one write job per run.

#include "bot/privacy/retention.hpp"
#include "storage/database.hpp"

namespace bb::storage {

class SqliteRetentionStore final : public RetentionStore {
public:
  explicit SqliteRetentionStore(Database& db) : db_(db) {}
  Result<RetentionSummary> applyRetention(const RetentionCutoffs& cutoffs, SysTime now) override;

private:
  Database& db_;
};

}  // namespace bb::storage
