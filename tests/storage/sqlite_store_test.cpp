// What only SqliteStore does: its hot reads keep their compiled statements (the behaviour both
// backends share is in tests/storage/store_test.cpp).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "support/server_process.hpp"

using bb::storage::Database;

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
