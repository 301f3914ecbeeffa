#pragma once
// The stores of a test's backend on the database an EngineHarness opened (h.db or h.pg): the
// SQLite or the PostgreSQL implementation of each port, so a behaviour test runs on both
// (TEST_CASE_TEMPLATE with OnSqlite, OnPostgresql). Each is valid until the harness closes or
// restarts its database.

#include <memory>

#include "bot/channels/telegram_offset.hpp"
#include "bot/geo/gazetteer.hpp"
#include "bot/privacy/data_export.hpp"
#include "bot/privacy/retention.hpp"
#include "bot/staff/inbox_store.hpp"
#include "bot/subscriptions/broadcast.hpp"
#include "support/case_stores.hpp"
#include "support/engine_harness.hpp"

namespace bb::test {

std::unique_ptr<BroadcastStore> broadcastStoreOf(EngineHarness& h);
std::unique_ptr<DataExportStore> dataExportOf(EngineHarness& h);
std::unique_ptr<RetentionStore> retentionStoreOf(EngineHarness& h);
std::unique_ptr<InboxStore> inboxStoreOf(EngineHarness& h);
std::unique_ptr<geo::Gazetteer> gazetteerOf(EngineHarness& h);
std::unique_ptr<TelegramOffsetStore> telegramOffsetsOf(EngineHarness& h);

}  // namespace bb::test
