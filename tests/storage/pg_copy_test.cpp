// Moving an installation from SQLite to PostgreSQL (storage/postgresql/pg_copy.hpp): a database
// the engine filled through real conversations, copied into a PostgreSQL server of the test's own.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/postgresql/pg_copy.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/postgresql/pg_store.hpp"
#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::pg::PgDatabase;
using bb::storage::pg::Session;

std::unique_ptr<PgDatabase> migratedPostgres() {
  return bb::test::openPostgres(bb::test::migratedPostgres());
}

//! Two citizens with reports, one with a message of every awkward kind, and an outbox whose
//! newest row was deleted (its id must never come again).
void fill(bb::test::EngineHarness& h) {
  h.onboard("anna");
  h.report("anna", "schlagloch", bb::test::kMarktplatz);
  h.onboard("bernd");
  h.report("bernd", "strassenbeleuchtung", bb::test::kMarktplatz);
  h.text("bernd", "Tab\there, newline\nthere, backslash \\ and \"quotes\", Straße, 🚲, 'x'");
  REQUIRE(h.db->write([](SQLite::Database& db) {
    db.exec("INSERT INTO meta (key, value) VALUES ('awkward', 'a\\tb\\\\N\\x00 ''end''')");
    db.exec("DELETE FROM outbox WHERE id = (SELECT max(id) FROM outbox)");
  }));
}

}  // namespace

TEST_CASE("migrate to postgresql: every table arrives with the same rows, checked per table") {
  bb::test::EngineHarness h;
  fill(h);
  auto postgres = migratedPostgres();
  bb::Result<bb::storage::pg::CopyReport> report = bb::fail(bb::ErrorCode::Internal);
  std::int64_t outbox_sequence = 0;
  REQUIRE(h.db->exclusive([&](SQLite::Database& sqlite) {
    report = bb::storage::pg::copySqliteToPostgres(sqlite, *postgres);
    outbox_sequence = sqlite.execAndGet("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")
                          .getInt64();
  }));
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().detail));
  CHECK(report->matches());
  CHECK(report->tables.size() > 30);
  std::map<std::string, std::int64_t> rows;
  for (const auto& t : report->tables) { rows[t.table] = t.postgres_rows; }
  CHECK(rows["tickets"] == 2);
  CHECK(rows["citizens"] == 2);
  CHECK(rows["ticket_counts"] >= 1);
  CHECK(rows["outbox"] > 4);
  CHECK(rows["inbound_events"] > 4);
  CHECK(rows["meta"] >= 1);
  // The values themselves, read back on PostgreSQL.
  auto awkward = postgres->withConnection([](Session& s) {
    return s.run("SELECT value FROM meta WHERE key = 'awkward'").text(0, 0);
  });
  REQUIRE(awkward.has_value());
  CHECK(*awkward == "a\\tb\\\\N\\x00 'end'");
  // A new outbox row continues after every id SQLite gave out, also the deleted one's.
  auto next_id = postgres->transaction([](Session& s) {
    return s.run("INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, "
                  "created_at, updated_at) VALUES ('web', 'p', '\\x00', 'k', '{}', 0, 0) "
                  "RETURNING id")
        .int64(0, 0);
  });
  REQUIRE(next_id.has_value());
  CHECK(*next_id == outbox_sequence + 1);
  // The next ticket number follows the highest one copied.
  const auto highest = h.scalar("SELECT max(number) FROM tickets");
  CHECK(bb::storage::pg::PgStore(*postgres).reserveTicketNumber().value() == highest + 1);
}

TEST_CASE("migrate to postgresql: the comparison names a table whose rows differ") {
  bb::test::EngineHarness h;
  fill(h);
  auto postgres = migratedPostgres();
  REQUIRE(h.db->exclusive([&](SQLite::Database& sqlite) {
    REQUIRE(bb::storage::pg::copySqliteToPostgres(sqlite, *postgres).has_value());
  }));
  // One value changes on PostgreSQL (the same number of rows): only that table differs.
  REQUIRE(postgres->withConnection([](Session& s) {
    s.run("UPDATE citizens SET lang = 'en' WHERE pseudonym = (SELECT min(pseudonym) FROM citizens)");
  }));
  REQUIRE(h.db->exclusive([&](SQLite::Database& sqlite) {
    auto compared = postgres->transaction(
        [&](Session& s) { return bb::storage::pg::compareDatabases(sqlite, s); });
    REQUIRE(compared.has_value());
    REQUIRE(compared->has_value());
    std::vector<std::string> differing;
    for (const auto& t : (*compared)->tables) {
      if (!t.matches()) { differing.push_back(t.table); }
      if (t.table == "citizens") { CHECK(t.sqlite_rows == t.postgres_rows); }
    }
    CHECK(differing == std::vector<std::string>{"citizens"});
  }));
}

TEST_CASE("migrate to postgresql: a value of another type than its column stops the copy") {
  bb::test::EngineHarness h;
  fill(h);
  // SQLite keeps what does not fit the declared type as it came; PostgreSQL must not round it.
  REQUIRE(h.db->write([](SQLite::Database& db) {
    db.exec("UPDATE outbox SET tries = 1.5 WHERE id = (SELECT min(id) FROM outbox)");
  }));
  auto postgres = migratedPostgres();
  REQUIRE(h.db->exclusive([&](SQLite::Database& sqlite) {
    auto refused = bb::storage::pg::copySqliteToPostgres(sqlite, *postgres);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().detail.find("22P02") != std::string::npos);
  }));
  auto outbox = postgres->withConnection(
      [](Session& s) { return s.run("SELECT count(*) FROM outbox").int64(0, 0); });
  REQUIRE(outbox.has_value());
  CHECK(*outbox == 0);
}

TEST_CASE("migrate to postgresql: a database that holds rows already is refused, untouched") {
  bb::test::EngineHarness h;
  fill(h);
  auto postgres = migratedPostgres();
  REQUIRE(postgres->withConnection(
      [](Session& s) { s.run("INSERT INTO meta (key, value) VALUES ('other', 'install')"); }));
  REQUIRE(h.db->exclusive([&](SQLite::Database& sqlite) {
    auto refused = bb::storage::pg::copySqliteToPostgres(sqlite, *postgres);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == bb::ErrorCode::InvalidInput);
    CHECK(refused.error().detail.find("not empty") != std::string::npos);
  }));
  auto tickets = postgres->withConnection(
      [](Session& s) { return s.run("SELECT count(*) FROM tickets").int64(0, 0); });
  REQUIRE(tickets.has_value());
  CHECK(*tickets == 0);
}
