// The PostgreSQL schema (storage/postgresql/pg_migrations.cpp) is the SQLite schema
// (storage/migrations.cpp) in the other dialect: the same tables, columns, NOT NULL constraints,
// indexes and triggers. A SQLite migration without its PostgreSQL counterpart fails here.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::pg::Session;

//! A column as both schemas can say it: its type's family and whether it may be NULL.
struct Column {
  std::string family;  //!< integer, real, text, bytes
  bool not_null = false;
  bool operator==(const Column& o) const { return family == o.family && not_null == o.not_null; }
};

struct Schema {
  std::map<std::string, std::map<std::string, Column>> tables;
  std::set<std::string> indexes;
  std::set<std::string> triggers;
};

std::string family(std::string type) {
  for (char& c : type) { c = static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
  if (type == "integer" || type == "bigint") { return "integer"; }
  if (type == "real" || type == "double precision") { return "real"; }
  if (type == "text") { return "text"; }
  if (type == "blob" || type == "bytea") { return "bytes"; }
  return "unknown:" + type;
}

Schema sqliteSchema() {
  bb::test::TempDir dir;
  bb::storage::DatabaseOptions options;
  options.path = dir.path() + "/db.sqlite";
  auto db = bb::storage::Database::open(options);
  REQUIRE(db.has_value());
  Schema schema;
  REQUIRE((*db)->exclusive([&](SQLite::Database& raw) {
    REQUIRE(bb::storage::migrate(raw).has_value());
    SQLite::Statement objects(raw, "SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL "
                                   "AND name NOT LIKE 'sqlite_%'");
    while (objects.executeStep()) {
      const std::string type = objects.getColumn(0).getString();
      const std::string name = objects.getColumn(1).getString();
      if (type == "index") { schema.indexes.insert(name); }
      if (type == "trigger") { schema.triggers.insert(name); }
      if (type != "table") { continue; }
      auto& columns = schema.tables[name];
      SQLite::Statement info(raw, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)");
      info.bind(1, name);
      while (info.executeStep()) {
        // A single-column INTEGER PRIMARY KEY is the rowid: never NULL, whatever it declares.
        const bool pk = info.getColumn(3).getInt() > 0;
        columns[info.getColumn(0).getString()] =
            Column{family(info.getColumn(1).getString()), info.getColumn(2).getInt() == 1 || pk};
      }
    }
  }));
  return schema;
}

Schema postgresSchema() {
  auto db = bb::test::openPostgres(bb::test::migratedPostgres());
  Schema schema;
  auto read = db->withConnection([&](Session& s) {
    auto columns = s.run(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'bb_schema_version'");
    for (int i = 0; i < columns.size(); ++i) {
      schema.tables[columns.text(i, 0)][columns.text(i, 1)] =
          Column{family(columns.text(i, 2)), columns.text(i, 3) == "NO"};
    }
    // Indexes that constraints make (primary keys, UNIQUE) are implicit in SQLite's list too.
    auto indexes = s.run(
        "SELECT indexname FROM pg_indexes i WHERE schemaname = 'public' AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)");
    for (int i = 0; i < indexes.size(); ++i) { schema.indexes.insert(indexes.text(i, 0)); }
    auto triggers = s.run("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal");
    for (int i = 0; i < triggers.size(); ++i) { schema.triggers.insert(triggers.text(i, 0)); }
  });
  REQUIRE_MESSAGE(read.has_value(), (read ? "" : read.error().detail));
  return schema;
}

}  // namespace

TEST_CASE("postgresql schema: the same tables, columns and NOT NULLs as the SQLite schema") {
  const Schema sqlite = sqliteSchema();
  const Schema postgres = postgresSchema();
  REQUIRE(sqlite.tables.size() > 30);
  for (const auto& [table, columns] : sqlite.tables) {
    INFO("table " << table);
    auto found = postgres.tables.find(table);
    REQUIRE_MESSAGE(found != postgres.tables.end(), "missing on postgresql: " << table);
    for (const auto& [name, column] : columns) {
      INFO("column " << name);
      auto other = found->second.find(name);
      REQUIRE_MESSAGE(other != found->second.end(), "missing on postgresql: " << table << "." << name);
      CHECK(other->second.family == column.family);
      CHECK(other->second.not_null == column.not_null);
    }
    CHECK(found->second.size() == columns.size());
  }
  // Only what several instances need is PostgreSQL's own.
  std::set<std::string> own;
  for (const auto& [table, columns] : postgres.tables) {
    if (sqlite.tables.count(table) == 0) { own.insert(table); }
  }
  CHECK(own == std::set<std::string>{"channel_rates", "instances", "partition_leases"});
}

TEST_CASE("postgresql schema: the same indexes and triggers as the SQLite schema") {
  const Schema sqlite = sqliteSchema();
  Schema postgres = postgresSchema();
  // SQLite's UNIQUE COLLATE NOCASE login is a unique index on lower(login) there.
  CHECK(postgres.indexes.erase("staff_users_login") == 1);
  CHECK(postgres.indexes == sqlite.indexes);
  CHECK(postgres.triggers == sqlite.triggers);
}

TEST_CASE("postgresql schema: ticket_counts follow inserts, moves and deletes of tickets") {
  auto db = bb::test::openPostgres(bb::test::migratedPostgres());
  auto counts = [&] {
    auto rows = db->withConnection([](Session& s) {
      auto r = s.run("SELECT department || '/' || category_id || '/' || status || '=' || n "
                     "FROM ticket_counts WHERE n <> 0 ORDER BY 1");
      std::string all;
      for (int i = 0; i < r.size(); ++i) { all += r.text(i, 0) + " "; }
      return all;
    });
    REQUIRE(rows.has_value());
    return *rows;
  };
  auto exec = [&](const std::string& sql) {
    auto done = db->withConnection([&](Session& s) { s.run(sql); });
    REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().detail));
  };
  exec("INSERT INTO tickets (number, category_id, department, status, channel, created_at, "
       "updated_at) VALUES (1, 'light', 'roads', 'open', 'web', 0, 0), "
       "(2, 'light', 'roads', 'open', 'web', 0, 0), (3, 'waste', 'clean', 'open', 'web', 0, 0)");
  CHECK(counts() == "clean/waste/open=1 roads/light/open=2 ");
  exec("UPDATE tickets SET status = 'closed' WHERE number = 2");
  exec("UPDATE tickets SET description = 'x' WHERE number = 1");  // no counted column: no change
  CHECK(counts() == "clean/waste/open=1 roads/light/closed=1 roads/light/open=1 ");
  exec("DELETE FROM tickets WHERE number = 3");
  CHECK(counts() == "roads/light/closed=1 roads/light/open=1 ");
}
