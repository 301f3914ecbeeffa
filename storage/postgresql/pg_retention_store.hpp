#pragma once
// PostgreSQL side of the retention job (bot/privacy/retention.hpp): the same deletions and
// anonymizations as SqliteRetentionStore (storage/sqlite_retention_store.cpp). Tickets, drafts,
// messages and export links go in one transaction; each person who never answered the notice
// is forgotten in a transaction of their own, under the lock of their conversation, so that an
// instance processing their message at that moment (and perhaps their consent) either goes
// first and keeps them, or finds them gone.

#include "bot/privacy/retention.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgRetentionStore final : public RetentionStore {
public:
  explicit PgRetentionStore(PgDatabase& db) : db_(db) {}
  Result<RetentionSummary> applyRetention(const RetentionCutoffs& cutoffs, SysTime now) override;

private:
  Result<void> forgetUnanswered(const RetentionCutoffs& cutoffs, RetentionSummary& report);

  PgDatabase& db_;
};

}  // namespace bb::storage::pg
