#pragma once
// The channel ports on PostgreSQL: what a channel adapter keeps between requests (Matrix
// transactions processed, the Telegram poller's offset), shared by every instance.

#include <string>

#include "bot/channels/matrix_transactions.hpp"
#include "bot/channels/telegram_offset.hpp"
#include "bot/ports.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! Table matrix_transactions; a record older than 30 days is forgotten when the next is written.
class PgMatrixTransactionLog final : public MatrixTransactionLog {
public:
  PgMatrixTransactionLog(PgDatabase& db, const Clock& clock) : db_(db), clock_(clock) {}
  Result<bool> seen(const std::string& txn_id) override;
  Result<void> record(const std::string& txn_id) override;

private:
  PgDatabase& db_;
  const Clock& clock_;
};

//! The counters row "telegram_update_offset" (storage::kTelegramOffsetCounter).
class PgTelegramOffsetStore final : public TelegramOffsetStore {
public:
  explicit PgTelegramOffsetStore(PgDatabase& db) : db_(db) {}
  Result<std::int64_t> load() override;
  Result<void> save(std::int64_t offset) override;

private:
  PgDatabase& db_;
};

}  // namespace bb::storage::pg
