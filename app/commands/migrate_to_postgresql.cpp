// `migrate-to-postgresql [--from FILE] [--to URL] --config FILE` (docs/deploy/README.md):
// moves an installation from its SQLite file into a new, empty PostgreSQL database. The SQLite
// file is first brought to this build's schema, the PostgreSQL database to its own; then every
// table is copied and compared (row count and checksum) in one PostgreSQL transaction that
// commits only when all tables match (storage/postgresql/pg_copy.hpp).

#include <iomanip>
#include <iostream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "app/commands/commands.hpp"
#include "storage/open.hpp"
#include "storage/postgresql/pg_copy.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"

namespace bb::app {
namespace {

void printReport(const storage::pg::CopyReport& report) {
  std::int64_t rows = 0;
  std::cout << std::left << std::setw(28) << "table" << std::right << std::setw(10) << "rows"
            << "  checksum (SQLite = PostgreSQL)\n";
  for (const auto& t : report.tables) {
    std::cout << std::left << std::setw(28) << t.table << std::right << std::setw(10)
              << t.postgres_rows << "  " << t.postgres_checksum
              << (t.matches() ? "" : "  DIFFERS") << "\n";
    rows += t.postgres_rows;
  }
  std::cout << "copied " << report.tables.size() << " tables, " << rows
            << " rows; every table has the same row count and checksum on both sides\n";
}

}  // namespace

int runMigrateToPostgresql(const Args& args) {
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  if (const std::string from = argValue(args, "--from"); !from.empty()) {
    config.storage.path = from;
  }
  // The configured settings (password, statement timeout), one connection, --to if given.
  storage::pg::PgOptions options = storage::pg::optionsFrom(config.storage.postgresql);
  options.pool_size = 1;
  if (const std::string to = argValue(args, "--to"); !to.empty()) { options.url = to; }
  if (options.url.empty()) {
    std::cerr << "migrate-to-postgresql: name the target with --to URL or storage.postgresql.url\n";
    return kBadUsage;
  }

  auto sqlite = openDatabaseOrReport(config, "migrate-to-postgresql: SQLite " + config.storage.path);
  if (!sqlite) { return 1; }
  auto postgres = storage::pg::PgDatabase::open(options);
  if (!postgres) {
    std::cerr << "migrate-to-postgresql: " << postgres.error().detail << "\n";
    return 1;
  }
  if (auto migrated = storage::pg::migrate(**postgres); !migrated) {
    std::cerr << "migrate-to-postgresql: PostgreSQL schema: " << migrated.error().detail << "\n";
    return 1;
  }
  Result<storage::pg::CopyReport> report = fail(ErrorCode::Internal, "not run");
  auto ran = sqlite->exclusive([&](SQLite::Database& db) {
    report = storage::pg::copySqliteToPostgres(db, **postgres);
  });
  sqlite->close();
  if (!ran) {
    std::cerr << "migrate-to-postgresql: " << ran.error().detail << "\n";
    return 1;
  }
  if (!report) {
    std::cerr << "migrate-to-postgresql: nothing was committed: " << report.error().detail << "\n";
    return 1;
  }
  printReport(*report);
  return 0;
}

}  // namespace bb::app
