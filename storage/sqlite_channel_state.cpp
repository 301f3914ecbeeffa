#include "storage/sqlite_channel_state.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"

namespace bb::storage {

Result<bool> SqliteMatrixTransactionLog::seen(const std::string& txn_id) {
  return readExists(db_, "SELECT 1 FROM matrix_transactions WHERE txn_id = ?", txn_id);
}

Result<void> SqliteMatrixTransactionLog::record(const std::string& txn_id) {
  constexpr std::int64_t kKeepMillis = std::int64_t{30} * 24 * 60 * 60 * 1000;
  const std::int64_t now = toMillis(clock_.now());
  return db_.write([txn_id, now](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO matrix_transactions (txn_id, processed_at) VALUES (?, ?) "
                        "ON CONFLICT (txn_id) DO NOTHING");
    bindAll(q, txn_id, now);
    q.exec();
    SQLite::Statement old(db, "DELETE FROM matrix_transactions WHERE processed_at < ?");
    old.bind(1, now - kKeepMillis);
    old.exec();
  });
}

Result<std::int64_t> SqliteTelegramOffsetStore::load() {
  return db_.read([](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT value FROM counters WHERE name = ?");
    q.bind(1, kTelegramOffsetCounter);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

Result<void> SqliteTelegramOffsetStore::save(std::int64_t offset) {
  return db_.write([offset](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO counters (name, value) VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
    bindAll(q, kTelegramOffsetCounter, offset);
    q.exec();
  });
}

}  // namespace bb::storage
