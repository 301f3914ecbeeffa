#include "support/stores_of.hpp"

#include "storage/postgresql/pg_broadcast_store.hpp"
#include "storage/postgresql/pg_channel_state.hpp"
#include "storage/postgresql/pg_data_export.hpp"
#include "storage/postgresql/pg_gazetteer.hpp"
#include "storage/postgresql/pg_inbox_store.hpp"
#include "storage/postgresql/pg_retention_store.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "storage/sqlite_data_export.hpp"
#include "storage/sqlite_gazetteer.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "storage/sqlite_retention_store.hpp"

namespace bb::test {
namespace {

//! `Pg` on h.pg when the harness runs on PostgreSQL, else `Lite` on h.db.
template <typename Port, typename Pg, typename Lite, typename... Args>
std::unique_ptr<Port> on(EngineHarness& h, Args&... args) {
  if (h.pg) { return std::make_unique<Pg>(*h.pg, args...); }
  REQUIRE(h.db);
  return std::make_unique<Lite>(*h.db, args...);
}

}  // namespace

std::unique_ptr<BroadcastStore> broadcastStoreOf(EngineHarness& h) {
  return on<BroadcastStore, storage::pg::PgBroadcastStore, storage::SqliteBroadcastStore>(h);
}

std::unique_ptr<DataExportStore> dataExportOf(EngineHarness& h) {
  return on<DataExportStore, storage::pg::PgDataExport, storage::SqliteDataExport>(h);
}

std::unique_ptr<RetentionStore> retentionStoreOf(EngineHarness& h) {
  return on<RetentionStore, storage::pg::PgRetentionStore, storage::SqliteRetentionStore>(h);
}

std::unique_ptr<InboxStore> inboxStoreOf(EngineHarness& h) {
  return on<InboxStore, storage::pg::PgInboxStore, storage::SqliteInboxStore>(h);
}

std::unique_ptr<geo::Gazetteer> gazetteerOf(EngineHarness& h) {
  const Clock& clock = h.clock;
  return on<geo::Gazetteer, storage::pg::PgGazetteer, storage::SqliteGazetteer>(h, clock);
}

std::unique_ptr<TelegramOffsetStore> telegramOffsetsOf(EngineHarness& h) {
  return on<TelegramOffsetStore, storage::pg::PgTelegramOffsetStore,
            storage::SqliteTelegramOffsetStore>(h);
}

}  // namespace bb::test
