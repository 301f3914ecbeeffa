#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bot/runtime/threads.hpp"

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/rows.hpp"
#include "support/server_process.hpp"

using bb::storage::Database;
using bb::storage::DatabaseOptions;

namespace {

std::unique_ptr<Database> openIn(const bb::test::TempDir& dir, const std::string& name = "db.sqlite") {
  DatabaseOptions o;
  o.path = dir.path() + "/" + name;
  auto db = Database::open(o);
  REQUIRE(db.has_value());
  return std::move(*db);
}

std::vector<std::string> tables(SQLite::Database& db) {
  std::vector<std::string> out;
  SQLite::Statement q(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
  while (q.executeStep()) { out.push_back(q.getColumn(0).getString()); }
  return out;
}

}  // namespace

TEST_CASE("storage: migration from an empty file creates the schema and sets user_version") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  REQUIRE(version.has_value());
  CHECK(*version == static_cast<int>(bb::storage::migrations().size()));
  auto names = db->read([](SQLite::Database& raw) { return tables(raw); });
  REQUIRE(names.has_value());
  for (const char* t : {"citizens", "conversations", "inbound_events", "outbox", "tickets"}) {
    CHECK(std::find(names->begin(), names->end(), t) != names->end());
  }
  // Pragmas of DESIGN.md §4.
  auto mode = db->read([](SQLite::Database& raw) {
    return raw.execAndGet("PRAGMA journal_mode").getString();
  });
  CHECK(*mode == "wal");
  // Running again is a no-op.
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  CHECK(*version == static_cast<int>(bb::storage::migrations().size()));
}

TEST_CASE("storage: a failed migration leaves the previous schema intact") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  const std::vector<std::string> v1 = {"CREATE TABLE a (x INTEGER);"};
  std::vector<std::string> broken = v1;
  broken.push_back("CREATE TABLE b (y INTEGER);");
  broken.push_back("CREATE TABLE c (this is not sql");
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw, v1); }));
  REQUIRE(*version == 1);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw, broken); }));
  CHECK_FALSE(version.has_value());
  auto state = db->read([](SQLite::Database& raw) {
    return std::make_pair(bb::storage::schemaVersion(raw), tables(raw));
  });
  CHECK(state->first == 1);
  REQUIRE(state->second.size() == 1);  // "b" was rolled back with "c"
  CHECK(state->second[0] == "a");
}

TEST_CASE("storage: a schema newer than the program is refused") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) {
    raw.exec("PRAGMA user_version = 99");
    version = bb::storage::migrate(raw);
  }));
  CHECK_FALSE(version.has_value());
}

TEST_CASE("storage: concurrent writers share commits and each sees its own durable row") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->exclusive([](SQLite::Database& raw) { raw.exec("CREATE TABLE t (v INTEGER)"); }));
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = db->write([v = t * 1000 + i](SQLite::Database& raw) {
          SQLite::Statement q(raw, "INSERT INTO t (v) VALUES (?)");
          q.bind(1, v);
          q.exec();
        });
        if (!r) { failures.fetch_add(1); }
      }
    });
  }
  for (auto& th : threads) { th.join(); }
  CHECK(failures.load() == 0);
  auto count = db->read([](SQLite::Database& raw) { return raw.execAndGet("SELECT count(*) FROM t").getInt(); });
  CHECK(*count == kThreads * kPerThread);
  auto s = db->stats();
  CHECK(s.jobs == kThreads * kPerThread);
  CHECK(s.commits < s.jobs);  // group commit: fewer flushes than jobs
}

TEST_CASE("storage: a failing job rolls back alone, the rest of its batch commits") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->exclusive([](SQLite::Database& raw) {
    raw.exec("CREATE TABLE t (v INTEGER UNIQUE)");
  }));
  REQUIRE(db->write([](SQLite::Database& raw) { raw.exec("INSERT INTO t VALUES (1)"); }));
  auto bad = db->write([](SQLite::Database& raw) {
    raw.exec("INSERT INTO t VALUES (2)");
    raw.exec("INSERT INTO t VALUES (1)");  // constraint violation
  });
  CHECK_FALSE(bad.has_value());
  CHECK(bad.error().code == bb::ErrorCode::Conflict);
  bool after_ran = false;
  REQUIRE(db->write(bb::storage::WriteJob{
      [](SQLite::Database& raw) { raw.exec("INSERT INTO t VALUES (3)"); },
      [&after_ran] { after_ran = true; }}));
  CHECK(after_ran);
  auto values = db->read([](SQLite::Database& raw) {
    return raw.execAndGet("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)").getString();
  });
  CHECK(*values == "1,3");
}

TEST_CASE("storage: healthy until closed, writes after close are refused") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  CHECK(db->healthy());
  db->close();
  CHECK_FALSE(db->healthy());
  auto r = db->write([](SQLite::Database&) {});
  CHECK_FALSE(r.has_value());
  CHECK(r.error().code == bb::ErrorCode::Unavailable);
}

TEST_CASE("storage: a kept statement whose last step failed serves the next job") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->write([](SQLite::Database& raw) {
    raw.exec("CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
  }));
  const std::string sql = "INSERT INTO kept (v) VALUES (?)";
  auto insert = [&](const std::string& v) {
    return db->write([&](SQLite::Database& raw) {
      SQLite::Statement& q = db->writerStatement(raw, sql);
      q.bind(1, v);
      q.exec();
    });
  };
  REQUIRE(insert("a"));
  CHECK_FALSE(insert("a"));  // UNIQUE: this job fails and is rolled back alone
  CHECK(insert("b"));        // the same kept statement, reset without the old error
  CHECK(insert("c"));
  auto n = db->read([](SQLite::Database& raw) {
    return raw.execAndGet("SELECT group_concat(v, ',') FROM (SELECT v FROM kept ORDER BY v)")
        .getString();
  });
  REQUIRE(n.has_value());
  CHECK(*n == "a,b,c");
}

TEST_CASE("storage: submit answers after the commit, without waiting, and at once when refused") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->write([](SQLite::Database& raw) { raw.exec("CREATE TABLE t (v INTEGER)"); }));
  std::promise<std::pair<bool, long long>> answered;
  db->submit(bb::storage::WriteJob{[](SQLite::Database& raw) { raw.exec("INSERT INTO t VALUES (7)"); },
                                   nullptr},
             [&](bb::Result<void> r) {
               // Runs after the commit: a reader already sees the row.
               auto seen = db->read([](SQLite::Database& raw) {
                 return raw.execAndGet("SELECT count(*) FROM t").getInt64();
               });
               answered.set_value({r.has_value(), seen ? *seen : -1});
             });
  auto got = answered.get_future();
  REQUIRE(got.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto [ok, seen] = got.get();
  CHECK(ok);
  CHECK(seen == 1);

  // A failing job reports its failure; the rest is unchanged.
  std::promise<bool> failed;
  db->submit(bb::storage::WriteJob{[](SQLite::Database& raw) { raw.exec("INSERT INTO nope VALUES (1)"); },
                                   nullptr},
             [&](bb::Result<void> r) { failed.set_value(r.has_value()); });
  CHECK_FALSE(failed.get_future().get());

  db->close();
  bool refused_at_once = false;
  db->submit(bb::storage::WriteJob{[](SQLite::Database&) {}, nullptr},
             [&](bb::Result<void> r) {
               refused_at_once = !r.has_value() && r.error().code == bb::ErrorCode::Unavailable;
             });
  CHECK(refused_at_once);  // on this thread, before submit returned
}

TEST_CASE("storage: a reader keeps its statements compiled and holds no snapshot after a read") {
  bb::test::TempDir dir;
  DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  o.readers = 1;  // every read below runs on the same connection
  auto opened = Database::open(o);
  REQUIRE(opened.has_value());
  auto& db = **opened;
  REQUIRE(db.write([](SQLite::Database& raw) { raw.exec("CREATE TABLE t (v INTEGER)"); }));
  const std::string sql = "SELECT count(*) FROM t";
  auto count = [&] {
    return bb::storage::readFirst(db, sql, [](SQLite::Statement& q) { return q.getColumn(0).getInt64(); });
  };
  REQUIRE(count().has_value());
  // The same statement object serves the next read of the same text on that reader.
  auto first = db.read([&](SQLite::Database& raw) { return db.readerStatement(raw, sql); });
  auto again = db.read([&](SQLite::Database& raw) { return db.readerStatement(raw, sql); });
  REQUIRE(first.has_value());
  REQUIRE(*first != nullptr);
  CHECK(*first == *again);
  // Reset after use: the reader's connection holds no read transaction, so a write is visible
  // to a plain statement on it and a full checkpoint is not blocked.
  REQUIRE(db.write([](SQLite::Database& raw) { raw.exec("INSERT INTO t VALUES (1)"); }));
  auto plain = db.read(
      [](SQLite::Database& raw) { return raw.execAndGet("SELECT count(*) FROM t").getInt64(); });
  REQUIRE(plain.has_value());
  CHECK(*plain == 1);
  int busy = -1;
  REQUIRE(db.exclusive([&](SQLite::Database& raw) {
    busy = raw.execAndGet("PRAGMA wal_checkpoint(TRUNCATE)").getInt();
  }));
  CHECK(busy == 0);
  auto after = count();
  REQUIRE(after.has_value());
  REQUIRE(after->has_value());
  CHECK(**after == 1);
  // SQL built at run time: beyond the cap the reader compiles for one use and still answers.
  for (std::size_t i = 0; i < Database::kMaxReaderStatements + 5; ++i) {
    auto r = bb::storage::readFirst(db, "SELECT count(*) + " + std::to_string(i) + " FROM t",
                                    [](SQLite::Statement& q) { return q.getColumn(0).getInt64(); });
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK(**r == static_cast<long long>(i) + 1);
  }
  auto beyond = db.read([&](SQLite::Database& raw) { return db.readerStatement(raw, "SELECT 42"); });
  REQUIRE(beyond.has_value());
  CHECK(*beyond == nullptr);
}

namespace {

//! A database with one table `t (v BLOB)` whose checkpointer starts at 100 WAL pages (the
//! writer steps in at 400).
struct CheckpointFixture {
  bb::test::TempDir dir;
  DatabaseOptions o;
  std::unique_ptr<Database> db;
  CheckpointFixture() {
    o.path = dir.path() + "/db.sqlite";
    o.checkpoint_pages = 100;
    auto opened = Database::open(o);
    REQUIRE(opened.has_value());
    db = std::move(*opened);
    REQUIRE(db->exclusive([](SQLite::Database& raw) { raw.exec("CREATE TABLE t (v BLOB)"); }));
  }
};

}  // namespace

TEST_CASE_FIXTURE(CheckpointFixture, "storage: the WAL is checkpointed by its own thread, not in the writer's commits, and stays bounded") {
  // 2,000 commits of a 4 KiB row: 8 MiB through the WAL, 20 times the checkpoint threshold.
  // Four threads, so commits keep coming while the checkpointer copies.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto r = db->write([](SQLite::Database& raw) {
          SQLite::Statement q(raw, "INSERT INTO t (v) VALUES (zeroblob(4096))");
          q.exec();
        });
        if (!r) { failures.fetch_add(1); }
      }
    });
  }
  for (auto& th : threads) { th.join(); }
  CHECK(failures.load() == 0);
  const auto s = db->stats();
  MESSAGE("checkpoints: " << s.checkpoints << " by the checkpointer, " << s.writer_checkpoints
                          << " by the writer");
  // SQLite's automatic checkpoint would have run them all inside the writer's commits. Only
  // checkpoints that found the WAL count: on a connection that never read, SQLite returns OK
  // and copies nothing, and the writer did every copy itself.
  CHECK(s.checkpoints >= 5);
  CHECK(s.writer_checkpoints < s.checkpoints);
  // Bounded: the WAL never grew much beyond the writer's own limit of four times the threshold
  // (400 pages, 1.6 MiB) — without checkpoints it would hold all 8 MiB.
  const auto wal_bytes = std::filesystem::file_size(o.path + "-wal");
  CHECK(wal_bytes < 2u * 1024 * 1024);
  auto count = db->read([](SQLite::Database& raw) { return raw.execAndGet("SELECT count(*) FROM t").getInt(); });
  CHECK(*count == 2000);
}

TEST_CASE_FIXTURE(CheckpointFixture, "storage: the checkpointer thread copies the WAL into the database file, not the writer") {
  const auto db_bytes_before = std::filesystem::file_size(o.path);
  // Past the checkpointer's threshold (100 frames of 4 KiB) and below twice it, where the writer
  // copied them itself before 5 Dec 2026 (four times now): only the checkpointer thread can move
  // these pages.
  const auto wal_frames = [&] {
    return std::filesystem::exists(o.path + "-wal")
               ? (std::filesystem::file_size(o.path + "-wal") - 32) / (4096 + 24)
               : 0;
  };
  int rows = 0;
  while (wal_frames() < 110 && rows < 1000) {
    REQUIRE(db->write([](SQLite::Database& raw) {
      raw.exec("INSERT INTO t (v) VALUES (zeroblob(3000))");
    }));
    ++rows;
  }
  REQUIRE(wal_frames() < 150);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(o.path) < db_bytes_before + 100u * 1024 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  MESSAGE(rows << " rows, database file " << db_bytes_before << " -> "
               << std::filesystem::file_size(o.path) << " bytes");
  CHECK(std::filesystem::file_size(o.path) >= db_bytes_before + 100u * 1024);
  CHECK(db->stats().writer_checkpoints == 0);
  CHECK(db->stats().checkpoints >= 1);
}

namespace {

// SQLite's temporary files (the sub-journal a savepoint spills into) open as "etilqs_..." and
// are unlinked at once: only the process's open descriptors still show them.
int openTemporaryFiles() {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.find("etilqs_") != std::string::npos) { ++n; }
  }
  return n;
}

}  // namespace

TEST_CASE("storage: the writer keeps a batch's savepoint journal in memory, not in a temporary file") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->exclusive([](SQLite::Database& raw) {
    raw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    raw.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
             "INSERT INTO t (id, v) SELECT i, zeroblob(2000) FROM n");
  }));
  int seen = -1;
  // One job (inside its savepoint) changes ~150 existing pages: 600 KiB of original pages,
  // far past the 64 KiB after which SQLite's default spills them into a file.
  REQUIRE(db->write([&](SQLite::Database& raw) {
    raw.exec("UPDATE t SET v = randomblob(2000)");
    seen = openTemporaryFiles();
  }));
  CHECK(seen == 0);
  auto count = db->read([](SQLite::Database& raw) {
    return raw.execAndGet("SELECT count(*) FROM t WHERE v != zeroblob(2000)").getInt();
  });
  CHECK(*count == 300);
}

TEST_CASE("storage: the writer thread runs 10 nice steps above the process when it may") {
  // Whether this process may raise a thread: ask on a thread of our own.
  bool may = false;
  std::thread([&] { may = bb::raiseThreadPriority(bb::kWriterRaise); }).join();
  if (geteuid() == 0) { REQUIRE(may); }  // root may always (CAP_SYS_NICE)
  const int process_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(getpid()));
  bb::test::TempDir dir;
  auto db = openIn(dir);
  REQUIRE(db->write([](SQLite::Database&) {}));  // the writer has started
  int writer_nice = 1000;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (bb::test::readFile(task.path().string() + "/comm").rfind("bb-db-writer", 0) == 0) {
      writer_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(std::stoi(task.path().filename())));
    }
  }
  REQUIRE(writer_nice != 1000);
  CHECK(writer_nice == (may ? process_nice - bb::kWriterRaise : process_nice));
}
