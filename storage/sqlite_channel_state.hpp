#pragma once
// The channel ports on SQLite: what a channel adapter keeps between requests (Matrix
// transactions processed, the Telegram poller's offset).

#include <string>

#include "bot/channels/matrix_transactions.hpp"
#include "bot/channels/telegram_offset.hpp"
#include "bot/ports.hpp"
#include "storage/database.hpp"

namespace bb::storage {

//! The counters row that holds the Telegram offset.
inline constexpr const char* kTelegramOffsetCounter = "telegram_update_offset";

//! Table matrix_transactions; a record older than 30 days is forgotten when the next is written
//! (the homeserver gives up retrying long before).
class SqliteMatrixTransactionLog final : public MatrixTransactionLog {
public:
  SqliteMatrixTransactionLog(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  Result<bool> seen(const std::string& txn_id) override;
  Result<void> record(const std::string& txn_id) override;

private:
  Database& db_;
  const Clock& clock_;
};

//! The counters row kTelegramOffsetCounter.
class SqliteTelegramOffsetStore final : public TelegramOffsetStore {
public:
  explicit SqliteTelegramOffsetStore(Database& db) : db_(db) {}
  Result<std::int64_t> load() override;
  Result<void> save(std::int64_t offset) override;

private:
  Database& db_;
};

}  // namespace bb::storage
