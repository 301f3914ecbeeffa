#include <doctest/doctest.h>

#include <chrono>

#include <SQLiteCpp/SQLiteCpp.h>

#include "config/config.hpp"
#include "storage/open.hpp"
#include "storage/sync_delay_vfs.hpp"
#include "support/server_process.hpp"

namespace {

// Commits `n` single-row transactions in WAL mode with synchronous=FULL (one sync each) and
// returns how long they took.
std::chrono::microseconds commitRows(const std::string& path, const std::string& vfs, int n) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 0, vfs);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE IF NOT EXISTS t (v INTEGER)");
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) { db.exec("INSERT INTO t VALUES (" + std::to_string(i) + ")"); }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t0);
}

}  // namespace

TEST_CASE("storage: the sync-delay VFS waits before every sync and keeps the data") {
  bb::test::TempDir dir;
  const auto vfs = bb::storage::syncDelayVfs(std::chrono::microseconds(5000));
  REQUIRE(vfs.has_value());
  CHECK(*vfs == "bb-sync-delay-5000");
  CHECK(*bb::storage::syncDelayVfs(std::chrono::microseconds(5000)) == *vfs);  // registered once

  // 20 commits each wait at least 5 ms before their sync: a lower bound, never flaky.
  const auto took = commitRows(dir.path() + "/slow.sqlite", *vfs, 20);
  CHECK(took >= std::chrono::microseconds(20 * 5000));

  // The rows are in the file, readable through the default VFS.
  SQLite::Database check(dir.path() + "/slow.sqlite", SQLite::OPEN_READONLY);
  CHECK(check.execAndGet("SELECT count(*) FROM t").getInt() == 20);
}

TEST_CASE("storage: no sync delay means the default VFS") {
  const auto vfs = bb::storage::syncDelayVfs(std::chrono::microseconds(0));
  REQUIRE(vfs.has_value());
  CHECK(vfs->empty());
}

TEST_CASE("storage: storage.sync_delay_us slows every commit of the real database") {
  bb::test::TempDir dir;
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/db.sqlite";
  storage.sync_delay_us = 5000;
  auto db = bb::storage::openDatabase(storage);
  REQUIRE(db.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {  // one after another: ten commits, ten syncs at least
    REQUIRE((*db)->write([i](SQLite::Database& raw) {
      raw.exec("INSERT INTO counters (name, value) VALUES ('sync-test-" + std::to_string(i) +
               "', 1)");
    }).has_value());
  }
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(10 * 5));
  (*db)->close();
}
