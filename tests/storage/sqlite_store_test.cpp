// SqliteStore::commitStep on its own (the engine tests drive it through whole conversations):
// an event processed before is answered as such and changes nothing, and a failed step is an
// error, not "processed before".
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "support/server_process.hpp"

namespace {

using bb::storage::Database;

const bb::SysTime kNow{std::chrono::seconds(1'795'000'000)};

std::unique_ptr<Database> openMigrated(const bb::test::TempDir& dir) {
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = Database::open(o);
  REQUIRE(db.has_value());
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE((*db)->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  REQUIRE(version.has_value());
  return std::move(*db);
}

std::int64_t ingestOne(bb::storage::SqliteStore& store, const std::string& external_id) {
  bb::NewInboundEvent e;
  e.channel = bb::Channel::WebChat;
  e.external_id = external_id;
  e.pseudonym = "p-anna";
  e.received_at = kNow;
  e.payload = "{}";
  auto ingested = store.ingest({e}, nullptr);
  REQUIRE(ingested.has_value());
  REQUIRE(ingested->size() == 1);
  return (*ingested)[0].id;
}

bb::NewOutbound reply(const std::string& payload) {
  bb::NewOutbound o;
  o.channel = bb::Channel::WebChat;
  o.pseudonym = "p-anna";
  o.address_ct = "sealed";
  o.key_id = "k1";
  o.payload = payload;
  return o;
}

std::int64_t rows(Database& db, const std::string& table) {
  auto n = db.read([&](SQLite::Database& raw) {
    return raw.execAndGet("SELECT count(*) FROM " + table).getInt64();
  });
  REQUIRE(n.has_value());
  return *n;
}

}  // namespace

TEST_CASE("storage: a step of an event processed before changes nothing and answers false") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  bb::storage::SqliteStore store(*db);
  const std::int64_t event = ingestOne(store, "web-1");

  bb::StepCommit step;
  step.event_id = event;
  step.pseudonym = "p-anna";
  step.now = kNow;
  step.counters = {"reports"};
  step.conversation = bb::ConversationRecord{"main_menu", "{}"};
  step.outbound = {reply("first")};
  auto first = store.commitStep(step);
  REQUIRE(first.has_value());
  CHECK(*first);

  // The same event again (a re-run after a crash), with other effects: none of them is kept.
  step.conversation = bb::ConversationRecord{"defect_report", "{}"};
  step.outbound = {reply("second")};
  auto again = store.commitStep(step);
  REQUIRE(again.has_value());
  CHECK_FALSE(*again);
  CHECK(store.counter("reports").value() == 1);
  CHECK(store.conversation("p-anna").value()->state == "main_menu");
  CHECK(rows(*db, "outbox") == 1);
  CHECK(store.pendingEvents(0, 10).value().empty());
}

TEST_CASE("storage: a step without an inbound event commits every time") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  bb::storage::SqliteStore store(*db);
  bb::StepCommit step;
  step.now = kNow;
  step.counters = {"api_reports"};
  CHECK(store.commitStep(step).value());
  CHECK(store.commitStep(step).value());
  CHECK(store.counter("api_reports").value() == 2);
}

TEST_CASE("storage: a step that fails is an error, not 'processed before', and keeps nothing") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  bb::storage::SqliteStore store(*db);
  bb::NewTicket ticket;
  ticket.number = 7;
  ticket.category_id = "pothole";
  ticket.department = "bauhof";
  bb::StepCommit api;
  api.now = kNow;
  api.tickets = {ticket};
  REQUIRE(store.commitStep(api).value());

  // A second ticket with the same number breaks the UNIQUE constraint after the event was marked
  // processed and the counter moved: the whole step rolls back and the event stays pending.
  const std::int64_t event = ingestOne(store, "web-2");
  bb::StepCommit step;
  step.event_id = event;
  step.pseudonym = "p-anna";
  step.now = kNow;
  step.counters = {"reports"};
  step.tickets = {ticket};
  auto failed = store.commitStep(step);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == bb::ErrorCode::Conflict);
  CHECK(store.counter("reports").value() == 0);
  CHECK(store.pendingEvents(0, 10).value().size() == 1);
}

TEST_CASE("storage: the held-message count read for every event uses the reader's kept statement") {
  bb::test::TempDir dir;
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  o.readers = 1;  // every read runs on the one connection looked at below
  auto opened = Database::open(o);
  REQUIRE(opened.has_value());
  auto& db = **opened;
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db.exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  bb::storage::SqliteStore store(db);
  const auto held = store.heldOutboxCount("p-anna");
  REQUIRE(held.has_value());
  CHECK(*held == 0);
  // A statement compiled for one use is finalized after it; a kept one stays on the connection.
  auto kept = db.read([](SQLite::Database& raw) {
    bool found = false;
    for (sqlite3_stmt* s = sqlite3_next_stmt(raw.getHandle(), nullptr); s != nullptr;
         s = sqlite3_next_stmt(raw.getHandle(), s)) {
      found = found || std::string(sqlite3_sql(s)).find("status = 'held'") != std::string::npos;
    }
    return found;
  });
  REQUIRE(kept.has_value());
  CHECK(*kept);
}
