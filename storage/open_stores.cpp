// The stores on SQLite: one file, one instance (storage/stores.hpp).

#include "storage/open.hpp"
#include "storage/readiness.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "storage/sqlite_case_store.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "storage/sqlite_data_export.hpp"
#include "storage/sqlite_gazetteer.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "storage/sqlite_proposal_store.hpp"
#include "storage/sqlite_retention_store.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "storage/stores.hpp"

namespace bb::storage {
namespace {

class SqliteStores final : public Stores {
public:
  SqliteStores(std::unique_ptr<Database> db, const config::Config& config, const Clock& clock)
      : db_(std::move(db)) {
    const double grid_m = config.open311.public_grid_m;
    auto store = std::make_unique<SqliteStore>(*db_);
    store->setPublicGridMeters(grid_m);
    conversations_ = std::move(store);
    proposals_ = std::make_unique<SqliteProposalStore>(*db_);
    subscriptions_ = std::make_unique<SqliteSubscriptionStore>(*db_);
    gazetteer_ = std::make_unique<SqliteGazetteer>(*db_, clock);
    matrix_transactions_ = std::make_unique<SqliteMatrixTransactionLog>(*db_, clock);
    telegram_offsets_ = std::make_unique<SqliteTelegramOffsetStore>(*db_);
    inbox_ = std::make_unique<SqliteInboxStore>(*db_, grid_m);
    cases_ = std::make_unique<SqliteCaseStore>(*db_, grid_m);
    broadcasts_ = std::make_unique<SqliteBroadcastStore>(*db_);
    retention_ = std::make_unique<SqliteRetentionStore>(*db_);
    data_export_ = std::make_unique<SqliteDataExport>(*db_);
  }

  ~SqliteStores() override { releaseStores(); }

  const char* backend() const override { return "sqlite"; }
  Leadership& leadership() override { return leadership_; }
  Result<void> probeWrite() override { return storage::probeWrite(*db_); }

  std::vector<StorageGauge> gauges() override {
    Database* db = db_.get();
    return {{"buergerbox_storage_write_queue_depth", "Write jobs waiting for the writer.",
             [db] { return static_cast<double>(db->stats().queue_depth); }},
            {"buergerbox_storage_commits", "Transactions committed by the writer.",
             [db] { return static_cast<double>(db->stats().commits); }},
            {"buergerbox_storage_checkpoints",
             "WAL checkpoints completed by the checkpointer thread.",
             [db] { return static_cast<double>(db->stats().checkpoints); }},
            {"buergerbox_storage_writer_checkpoints",
             "WAL checkpoints the writer ran itself because the WAL outgrew its bound (each "
             "holds the writes waiting behind it).",
             [db] { return static_cast<double>(db->stats().writer_checkpoints); }}};
  }

  void close() override { db_->close(); }

private:
  std::unique_ptr<Database> db_;
  SoleInstance leadership_;
};

}  // namespace

Result<std::unique_ptr<Stores>> openSqliteStores(const config::Config& config, const Clock& clock,
                                                 const std::string& pseudonym_key) {
  auto db = openDatabase(config.storage, pseudonym_key);
  if (!db) { return fail(db.error().code, db.error().detail); }
  return std::unique_ptr<Stores>(std::make_unique<SqliteStores>(std::move(*db), config, clock));
}

Result<std::unique_ptr<Stores>> openStores(const config::Config& config, const Clock& clock,
                                           const std::string& pseudonym_key) {
  if (config.storage.backend == "postgresql") { return openPostgresqlStores(config, clock); }
  return openSqliteStores(config, clock, pseudonym_key);
}

}  // namespace bb::storage
