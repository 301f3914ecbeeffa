#include "storage/postgresql/pg_channel_state.hpp"

#include "storage/millis.hpp"
#include "storage/sqlite_channel_state.hpp"

namespace bb::storage::pg {

Result<bool> PgMatrixTransactionLog::seen(const std::string& txn_id) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM matrix_transactions WHERE txn_id = $1", txn_id).empty();
  });
}

Result<void> PgMatrixTransactionLog::record(const std::string& txn_id) {
  constexpr std::int64_t kKeepMillis = std::int64_t{30} * 24 * 60 * 60 * 1000;
  const std::int64_t now = toMillis(clock_.now());
  return db_.transaction([&](Session& s) {
    s.run("INSERT INTO matrix_transactions (txn_id, processed_at) VALUES ($1, $2) "
          "ON CONFLICT (txn_id) DO NOTHING",
          txn_id, now);
    s.run("DELETE FROM matrix_transactions WHERE processed_at < $1", now - kKeepMillis);
  });
}

Result<std::int64_t> PgTelegramOffsetStore::load() {
  return db_.withConnection([](Session& s) -> std::int64_t {
    Rows rows = s.run("SELECT value FROM counters WHERE name = $1", kTelegramOffsetCounter);
    return rows.empty() ? 0 : rows.int64(0, 0);
  });
}

Result<void> PgTelegramOffsetStore::save(std::int64_t offset) {
  return db_.withConnection([&](Session& s) {
    s.run("INSERT INTO counters (name, value) VALUES ($1, $2) "
          "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          kTelegramOffsetCounter, offset);
  });
}

}  // namespace bb::storage::pg
