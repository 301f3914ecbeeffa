// storage::openDatabase: what every subcommand runs before it touches the database.

#include <doctest/doctest.h>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/migrations.hpp"
#include "storage/open.hpp"
#include "support/server_process.hpp"

TEST_CASE("storage: openDatabase creates the folder and migrates to the current schema") {
  bb::test::TempDir dir;
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/var/nested/db.sqlite";
  storage.synchronous = "NORMAL";
  auto db = bb::storage::openDatabase(storage);
  REQUIRE(db.has_value());
  CHECK(std::filesystem::exists(storage.path));
  auto version = (*db)->read([](SQLite::Database& raw) { return bb::storage::schemaVersion(raw); });
  REQUIRE(version.has_value());
  CHECK(*version == static_cast<int>(bb::storage::migrations().size()));
  CHECK((*db)->healthy());
  (*db)->close();

  // Opening again finds the schema current and changes nothing.
  auto again = bb::storage::openDatabase(storage);
  REQUIRE(again.has_value());
  (*again)->close();
}

TEST_CASE("storage: openDatabase returns a failed migration and leaves the old schema") {
  bb::test::TempDir dir;
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/db.sqlite";
  {
    // A table the first migration creates, at user_version 0: that migration fails.
    SQLite::Database raw(storage.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE meta (x INTEGER)");
  }
  auto db = bb::storage::openDatabase(storage);
  CHECK_FALSE(db.has_value());
  SQLite::Database raw(storage.path, SQLite::OPEN_READONLY);
  CHECK(bb::storage::schemaVersion(raw) == 0);
  CHECK(raw.execAndGet("SELECT count(*) FROM pragma_table_info('meta')").getInt() == 1);
}

TEST_CASE("storage: openDatabase reports a file it cannot open") {
  bb::test::TempDir dir;
  bb::test::writeFile(dir.path() + "/file", "not a folder");
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/file/db.sqlite";
  CHECK_FALSE(bb::storage::openDatabase(storage).has_value());
}
