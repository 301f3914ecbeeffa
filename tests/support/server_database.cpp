#include "support/server_database.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "support/privacy_checks.hpp"

namespace bb::test {

std::string withLiteral(const std::string& sql, const std::string& value) {
  std::string literal = "'";
  for (char c : value) { literal += c == '\'' ? std::string("''") : std::string(1, c); }
  literal += "'";
  const auto at = sql.find('?');
  REQUIRE_MESSAGE(at != std::string::npos, sql);
  return sql.substr(0, at) + literal + sql.substr(at + 1);
}

ServerDatabase::ServerDatabase(Backend backend, std::string sqlite_path)
    : backend_(backend), sqlite_path_(std::move(sqlite_path)) {
  if (postgresql()) { url_ = migratedPostgres(); }
}

ServerDatabase::~ServerDatabase() = default;

std::map<std::string, std::string> ServerDatabase::env() const {
  if (!postgresql()) { return {{"BUERGERBOX_STORAGE_PATH", sqlite_path_}}; }
  return {{"BUERGERBOX_STORAGE_BACKEND", "postgresql"},
          {"BUERGERBOX_STORAGE_POSTGRESQL_URL", url_}};
}

storage::pg::PgDatabase& ServerDatabase::pg() {
  if (!pg_) { pg_ = openPostgres(url_, 1); }
  return *pg_;
}

std::int64_t ServerDatabase::scalar(const std::string& sql) {
  if (postgresql()) { return pgScalar(pg(), sql); }
  SQLite::Database db(sqlite_path_, SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  return db.execAndGet(sql).getInt64();
}

std::string ServerDatabase::text(const std::string& sql) {
  if (postgresql()) { return pgText(pg(), sql); }
  SQLite::Database db(sqlite_path_, SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, sql);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

std::vector<std::vector<std::string>> ServerDatabase::rows(const std::string& sql) {
  if (postgresql()) { return pgRows(pg(), sql); }
  std::vector<std::vector<std::string>> out;
  SQLite::Database db(sqlite_path_, SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, sql);
  while (q.executeStep()) {
    std::vector<std::string> row;
    for (int i = 0; i < q.getColumnCount(); ++i) { row.push_back(q.getColumn(i).getString()); }
    out.push_back(std::move(row));
  }
  return out;
}

void ServerDatabase::execute(const std::string& sql) {
  if (postgresql()) {
    pgExecute(pg(), sql);
    return;
  }
  SQLite::Database db(sqlite_path_, SQLite::OPEN_READWRITE);
  db.setBusyTimeout(5000);
  db.exec(sql);
}

std::vector<std::string> ServerDatabase::filesToScan() {
  if (!postgresql()) { return databaseFiles(sqlite_path_); }
  execute("CHECKPOINT");
  const std::string dir =
      text("SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database "
           "WHERE datname = current_database()");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) { files.push_back(entry.path().string()); }
  }
  REQUIRE_MESSAGE(files.size() > 10, dir);  // the tables, their indexes and TOAST
  return files;
}

}  // namespace bb::test
