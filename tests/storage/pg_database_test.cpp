// The PostgreSQL core (storage/postgresql/pg_database.hpp) and its migrations, against a real
// PostgreSQL 15 server of the test's own (support/temp_postgres.hpp).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "support/temp_postgres.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::pg::PgDatabase;
using bb::storage::pg::PgOptions;
using bb::storage::pg::Rows;
using bb::storage::pg::Session;

using bb::test::freshPostgres;

std::unique_ptr<PgDatabase> openDb(const std::string& url, int statement_timeout_ms = 5000) {
  return bb::test::openPostgres(url, 2, statement_timeout_ms);
}

std::int64_t count(PgDatabase& db, const std::string& sql) {
  auto n = db.withConnection([&](Session& s) { return s.run(sql).int64(0, 0); });
  REQUIRE_MESSAGE(n.has_value(), (n ? "" : n.error().detail));
  return *n;
}

}  // namespace

TEST_CASE("postgresql: parameters travel apart from the SQL and come back as they were") {
  auto db = openDb(freshPostgres());
  const std::string tricky = "O'Brien; DROP TABLE x; -- \"Straße\" 🚲";
  auto row = db->withConnection([&](Session& s) {
    Rows rows = s.run("SELECT $1::text, $2::bigint, $3::text IS NULL", tricky,
                      std::int64_t{-9'007'199'254'740'993}, nullptr);
    return std::make_tuple(rows.text(0, 0), rows.int64(0, 1), rows.text(0, 2));
  });
  REQUIRE(row.has_value());
  CHECK(std::get<0>(*row) == tricky);
  CHECK(std::get<1>(*row) == -9'007'199'254'740'993);
  CHECK(std::get<2>(*row) == "t");
}

TEST_CASE("postgresql: a transaction that throws leaves nothing behind") {
  auto db = openDb(freshPostgres());
  REQUIRE(db->withConnection([](Session& s) { s.run("CREATE TABLE t (id int PRIMARY KEY)"); }));
  auto failed = db->transaction([](Session& s) {
    s.run("INSERT INTO t VALUES (1)");
    s.run("INSERT INTO t VALUES (1)");  // unique violation: the whole transaction goes
  });
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == bb::ErrorCode::Conflict);
  CHECK(failed.error().detail.find("23505") != std::string::npos);
  CHECK(count(*db, "SELECT count(*) FROM t") == 0);
  // The connection is usable again (no transaction left open on it).
  REQUIRE(db->transaction([](Session& s) { s.run("INSERT INTO t VALUES (2)"); }));
  CHECK(count(*db, "SELECT count(*) FROM t") == 1);
}

TEST_CASE("postgresql: an error's detail names the SQLSTATE, never the row's values") {
  auto db = openDb(freshPostgres());
  REQUIRE(db->withConnection([](Session& s) { s.run("CREATE TABLE c (phone text UNIQUE)"); }));
  REQUIRE(db->withConnection([](Session& s) { s.run("INSERT INTO c VALUES ($1)", "+4915112345678"); }));
  auto again = db->withConnection([](Session& s) { s.run("INSERT INTO c VALUES ($1)", "+4915112345678"); });
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == bb::ErrorCode::Conflict);
  CHECK(again.error().detail.find("4915112345678") == std::string::npos);
  auto bad = db->withConnection([](Session& s) { s.run("SELECT $1::bigint", "+49151 12345678"); });
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().detail.find("22P02") != std::string::npos);
  CHECK(bad.error().detail.find("12345678") == std::string::npos);
  // PostgreSQL quotes this one before any colon: 'value "..." is out of range for type bigint'.
  auto huge = db->withConnection([](Session& s) { s.run("SELECT $1::bigint", "99999999999999999999"); });
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().detail.find("22003") != std::string::npos);
  CHECK(huge.error().detail.find("9999") == std::string::npos);
  // A malformed connection string is not echoed (it may hold a password).
  PgOptions malformed;
  malformed.url = "postgresql://bb:s3cret@%zz/x";
  auto refused = PgDatabase::open(malformed);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::InvalidInput);
  CHECK(refused.error().detail.find("s3cret") == std::string::npos);
}

TEST_CASE("postgresql: a transaction whose body swallowed a failure is not reported committed") {
  auto db = openDb(freshPostgres());
  REQUIRE(db->withConnection([](Session& s) { s.run("CREATE TABLE t (id int PRIMARY KEY)"); }));
  auto swallowed = db->transaction([](Session& s) {
    s.run("INSERT INTO t VALUES (1)");
    try {
      s.run("INSERT INTO t VALUES (1)");
    } catch (const bb::storage::pg::PgError&) {
      // carries on: PostgreSQL has aborted the transaction meanwhile
    }
  });
  CHECK_FALSE(swallowed.has_value());
  CHECK(count(*db, "SELECT count(*) FROM t") == 0);
}

TEST_CASE("postgresql: a statement past the timeout is cancelled and reported as unavailable") {
  auto db = openDb(freshPostgres(), 200);
  const auto start = std::chrono::steady_clock::now();
  auto slow = db->withConnection([](Session& s) { s.run("SELECT pg_sleep(5)"); });
  REQUIRE_FALSE(slow.has_value());
  CHECK(slow.error().code == bb::ErrorCode::Unavailable);
  CHECK(slow.error().detail.find("57014") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("postgresql: a connection the server ended is replaced on its next use") {
  auto db = openDb(freshPostgres());
  auto name = db->withConnection([](Session& s) { return s.run("SELECT current_database()").text(0, 0); });
  REQUIRE(name.has_value());
  // The server ends both pooled connections (as in its restart or a failover).
  auto admin = openDb(bb::test::TempPostgres::shared().url("postgres"));
  auto ended = admin->withConnection([&](Session& s) {
    return s.run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                 *name).int64(0, 0);
  });
  REQUIRE(ended.has_value());
  CHECK(*ended == 2);
  int failures = 0;
  for (int i = 0; i < 4; ++i) {
    auto one = db->withConnection([](Session& s) { return s.run("SELECT 1").int64(0, 0); });
    if (!one) {
      ++failures;
      CHECK(one.error().code == bb::ErrorCode::Unavailable);
    }
  }
  // Each ended connection fails at most the one call that finds it ended; then it is replaced.
  CHECK(failures <= 2);
  for (int i = 0; i < 4; ++i) {
    auto one = db->withConnection([](Session& s) { return s.run("SELECT 1").int64(0, 0); });
    CHECK(one.has_value());
  }
  CHECK(db->healthy());
}

TEST_CASE("postgresql: opening with a bad address or settings is a clear error") {
  PgOptions empty;
  auto none = PgDatabase::open(empty);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == bb::ErrorCode::InvalidInput);
  PgOptions closed;
  closed.url = "host=127.0.0.1 port=1 user=bb dbname=x connect_timeout=2";
  auto refused = PgDatabase::open(closed);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::Unavailable);
  CHECK(refused.error().detail.find("postgresql connect") != std::string::npos);
  PgOptions zero_pool;
  zero_pool.url = "host=127.0.0.1";
  zero_pool.pool_size = 0;
  CHECK_FALSE(PgDatabase::open(zero_pool).has_value());
}

TEST_CASE("postgresql: a password inside the connection string is refused without quoting it") {
  for (const std::string url : {"host=127.0.0.1 user=bb password=Geheim-42 dbname=x",
                                "postgresql://bb:Geheim-42@127.0.0.1/x"}) {
    PgOptions options;
    options.url = url;
    auto refused = PgDatabase::open(options);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == bb::ErrorCode::InvalidInput);
    CHECK(refused.error().detail.find("BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD") != std::string::npos);
    CHECK(refused.error().detail.find("Geheim") == std::string::npos);
  }
  // An empty password keyword is no password.
  PgOptions bare;
  bare.url = "host=127.0.0.1 port=1 user=bb password='' dbname=x connect_timeout=2";
  auto unreachable = PgDatabase::open(bare);
  REQUIRE_FALSE(unreachable.has_value());
  CHECK(unreachable.error().code == bb::ErrorCode::Unavailable);
}

TEST_CASE("postgresql: migrations run once, record the version and a second run changes nothing") {
  auto db = openDb(freshPostgres());
  CHECK(bb::storage::pg::schemaVersion(*db).value() == 0);
  const auto steps = bb::storage::pg::migrations();
  auto first = bb::storage::pg::migrate(*db);
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().detail));
  CHECK(*first == static_cast<int>(steps.size()));
  CHECK(bb::storage::pg::schemaVersion(*db).value() == *first);
  auto second = bb::storage::pg::migrate(*db);
  REQUIRE(second.has_value());
  CHECK(*second == *first);
}

TEST_CASE("postgresql: a failed migration step leaves the schema as it was") {
  auto db = openDb(freshPostgres());
  std::vector<std::string> steps{"CREATE TABLE a (id int)"};
  REQUIRE(bb::storage::pg::migrate(*db, steps).value() == 1);
  steps.push_back("CREATE TABLE b (id int); INSERT INTO a VALUES (1); CREATE TABLE c (id nonsense)");
  auto failed = bb::storage::pg::migrate(*db, steps);
  REQUIRE_FALSE(failed.has_value());
  CHECK(bb::storage::pg::schemaVersion(*db).value() == 1);
  CHECK(count(*db, "SELECT count(*) FROM a") == 0);
  CHECK(count(*db, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'") == 0);
}

TEST_CASE("postgresql: an older build refuses a database migrated by a newer one") {
  auto db = openDb(freshPostgres());
  REQUIRE(bb::storage::pg::migrate(*db, {"SELECT 1", "SELECT 2"}).value() == 2);
  auto older = bb::storage::pg::migrate(*db, {"SELECT 1"});
  REQUIRE_FALSE(older.has_value());
  CHECK(older.error().detail.find("newer") != std::string::npos);
}

TEST_CASE("postgresql: two instances migrating at once apply every step once") {
  const std::string url = freshPostgres();
  auto setup = openDb(url);
  REQUIRE(setup->withConnection([](Session& s) { s.run("CREATE TABLE applied (step int)"); }));
  // Each step records itself and sleeps: without the lock both instances would run it.
  const std::vector<std::string> steps{
      "INSERT INTO applied VALUES (1); SELECT pg_sleep(0.3)",
      "INSERT INTO applied VALUES (2); SELECT pg_sleep(0.3)",
  };
  std::atomic<int> ok{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 2; ++i) {
    instances.emplace_back([&] {
      PgOptions options;
      options.url = url;
      options.pool_size = 1;
      auto db = PgDatabase::open(options);
      if (db && bb::storage::pg::migrate(**db, steps).value_or(0) == 2) { ++ok; }
    });
  }
  for (auto& t : instances) { t.join(); }
  CHECK(ok.load() == 2);
  CHECK(count(*setup, "SELECT count(*) FROM applied") == 2);
  CHECK(count(*setup, "SELECT count(DISTINCT step) FROM applied") == 2);
}

TEST_CASE("postgresql: a caller finding every pooled connection busy gets Unavailable after the wait") {
  PgOptions options;
  options.url = bb::test::migratedPostgres();
  options.pool_size = 1;
  options.acquire_timeout_ms = 300;
  auto opened = PgDatabase::open(options);
  REQUIRE(opened.has_value());
  PgDatabase& db = **opened;
  std::promise<void> holding;
  std::thread busy([&] {
    (void)db.withConnection([&](Session& s) {
      holding.set_value();
      s.exec("SELECT pg_sleep(1.5)");
    });
  });
  holding.get_future().wait();
  const auto asked = std::chrono::steady_clock::now();
  auto refused = db.withConnection([](Session& s) { return s.exec("SELECT 1").int64(0, 0); });
  const auto waited = std::chrono::steady_clock::now() - asked;
  busy.join();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::Unavailable);
  CHECK(refused.error().detail.find("pool_size = 1") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::milliseconds(1200));  // not behind the busy statement
  // Free again: the next caller is served.
  auto served = db.withConnection([](Session& s) { return s.exec("SELECT 1").int64(0, 0); });
  REQUIRE(served.has_value());
  CHECK(*served == 1);
}
