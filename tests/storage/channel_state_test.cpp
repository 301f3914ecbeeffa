// The channel ports on SQLite: the Matrix transactions processed and the Telegram poller's offset
// (storage/sqlite_channel_state.hpp), durable across a reopen of the database.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "support/engine_harness.hpp"

namespace {

using bb::storage::Database;

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

}  // namespace

TEST_CASE("storage: a Matrix transaction is seen once recorded, also after a reopen") {
  bb::test::TempDir dir;
  bb::test::FakeClock clock;
  {
    auto db = openMigrated(dir);
    bb::storage::SqliteMatrixTransactionLog log(*db, clock);
    CHECK_FALSE(log.seen("txn-1").value());
    REQUIRE(log.record("txn-1"));
    REQUIRE(log.record("txn-1"));  // recorded again (a repeat): no error
    CHECK(log.seen("txn-1").value());
    CHECK_FALSE(log.seen("txn-2").value());
  }
  auto db = openMigrated(dir);
  bb::storage::SqliteMatrixTransactionLog log(*db, clock);
  CHECK(log.seen("txn-1").value());
}

TEST_CASE("storage: a Matrix transaction record is forgotten 30 days later") {
  bb::test::TempDir dir;
  bb::test::FakeClock clock;
  auto db = openMigrated(dir);
  bb::storage::SqliteMatrixTransactionLog log(*db, clock);
  REQUIRE(log.record("old"));
  clock.advance(std::chrono::hours(24 * 30) - std::chrono::minutes(1));
  REQUIRE(log.record("recent"));
  CHECK(log.seen("old").value());
  clock.advance(std::chrono::minutes(2));
  REQUIRE(log.record("newest"));
  CHECK_FALSE(log.seen("old").value());
  CHECK(log.seen("recent").value());
  CHECK(log.seen("newest").value());
}

TEST_CASE("storage: the Telegram offset is 0 until saved and survives a reopen") {
  bb::test::TempDir dir;
  {
    auto db = openMigrated(dir);
    bb::storage::SqliteTelegramOffsetStore offsets(*db);
    CHECK(offsets.load().value() == 0);
    REQUIRE(offsets.save(102));
    REQUIRE(offsets.save(103));
    CHECK(offsets.load().value() == 103);
  }
  auto db = openMigrated(dir);
  bb::storage::SqliteTelegramOffsetStore offsets(*db);
  CHECK(offsets.load().value() == 103);
}
