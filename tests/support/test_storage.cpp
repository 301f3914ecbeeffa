#include "support/test_storage.hpp"

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <functional>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_case_store.hpp"
#include "storage/postgresql/pg_channel_state.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_inbox_store.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/postgresql/pg_store.hpp"
#include "storage/sqlite_case_store.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "storage/sqlite_store.hpp"
#include "support/temp_postgres.hpp"

namespace bb::test {

std::string freshPostgres() {
  TempPostgres& server = TempPostgres::shared();
  REQUIRE_MESSAGE(server.ok(), server.error());
  std::string url = server.newDatabase();
  REQUIRE_MESSAGE(!url.empty(), server.error());
  return url;
}

std::string migratedPostgres() {
  // Named after the migrations themselves, so a changed schema never reuses an old template.
  std::string all;
  for (const std::string& step : storage::pg::migrations()) { all += step; }
  const std::string name = "bb_template_" + std::to_string(std::hash<std::string>{}(all) % 99991);
  TempPostgres& server = TempPostgres::shared();
  REQUIRE_MESSAGE(server.ok(), server.error());
  std::string failure;
  const std::string url = server.newDatabaseFrom(name, [&](const std::string& template_url) {
    auto version = storage::pg::migrate(*openPostgres(template_url, 1));
    if (!version) { failure = version.error().detail; }
    return version.has_value();
  });
  REQUIRE_MESSAGE(!url.empty(), (failure + server.error()));
  return url;
}

std::unique_ptr<storage::pg::PgDatabase> openPostgres(const std::string& url, int pool_size,
                                                      int statement_timeout_ms) {
  storage::pg::PgOptions options;
  options.url = url;
  options.pool_size = pool_size;
  options.statement_timeout_ms = statement_timeout_ms;
  auto db = storage::pg::PgDatabase::open(options);
  REQUIRE_MESSAGE(db.has_value(), (db ? "" : db.error().detail));
  return std::move(*db);
}

std::int64_t pgScalar(storage::pg::PgDatabase& db, const std::string& sql) {
  auto r = db.withConnection([&](storage::pg::Session& s) {
    storage::pg::Rows rows = s.run(sql);
    REQUIRE_MESSAGE(rows.size() > 0, sql);
    const std::string value = rows.text(0, 0);
    if (value == "t" || value == "f") { return std::int64_t{value == "t"}; }
    return rows.int64(0, 0);
  });
  REQUIRE_MESSAGE(r.has_value(), sql << ": " << (r ? "" : r.error().detail));
  return *r;
}

std::string pgText(storage::pg::PgDatabase& db, const std::string& sql) {
  auto r = db.withConnection([&](storage::pg::Session& s) {
    storage::pg::Rows rows = s.run(sql);
    return rows.empty() ? std::string() : rows.text(0, 0);
  });
  REQUIRE_MESSAGE(r.has_value(), sql << ": " << (r ? "" : r.error().detail));
  return *r;
}

std::vector<std::vector<std::string>> pgRows(storage::pg::PgDatabase& db, const std::string& sql) {
  auto table = db.withConnection([&](storage::pg::Session& s) {
    storage::pg::Rows q = s.run(sql);
    std::vector<std::vector<std::string>> out;
    for (int i = 0; i < q.size(); ++i) {
      std::vector<std::string> row;
      for (int c = 0; c < q.columns(); ++c) { row.push_back(q.text(i, c)); }
      out.push_back(std::move(row));
    }
    return out;
  });
  REQUIRE_MESSAGE(table.has_value(), sql << ": " << (table ? "" : table.error().detail));
  return *table;
}

void pgExecute(storage::pg::PgDatabase& db, const std::string& sql) {
  auto r = db.withConnection([&](storage::pg::Session& s) { s.script(sql); });
  REQUIRE_MESSAGE(r.has_value(), sql << ": " << (r ? "" : r.error().detail));
}

std::vector<Backend> allBackends() { return {Backend::Sqlite, Backend::Postgresql}; }

const char* backendName(Backend backend) {
  return backend == Backend::Sqlite ? "sqlite" : "postgresql";
}

TestStorage::TestStorage(Backend backend) : backend_(backend) {
  if (backend_ == Backend::Postgresql) { url_ = migratedPostgres(); }
  open();
}

TestStorage::~TestStorage() { close(); }

void TestStorage::open() {
  if (backend_ == Backend::Sqlite) {
    storage::DatabaseOptions options;
    options.path = dir_.path() + "/db.sqlite";
    auto db = storage::Database::open(options);
    REQUIRE(db.has_value());
    Result<int> version = fail(ErrorCode::Internal);
    REQUIRE((*db)->exclusive([&](SQLite::Database& raw) { version = storage::migrate(raw); }));
    REQUIRE(version.has_value());
    sqlite_ = std::move(*db);
  } else {
    postgres_ = openPostgres(url_);
    auto version = storage::pg::migrate(*postgres_);
    REQUIRE_MESSAGE(version.has_value(), (version ? "" : version.error().detail));
  }
}

void TestStorage::close() {
  cases_.reset();
  store_.reset();
  inbox_.reset();
  matrix_.reset();
  telegram_.reset();
  sqlite_.reset();
  postgres_.reset();
}

void TestStorage::reopen() {
  close();
  open();
}

MatrixTransactionLog& TestStorage::matrixTransactions(const Clock& clock) {
  if (sqlite_) {
    matrix_ = std::make_unique<storage::SqliteMatrixTransactionLog>(*sqlite_, clock);
  } else {
    matrix_ = std::make_unique<storage::pg::PgMatrixTransactionLog>(*postgres_, clock);
  }
  return *matrix_;
}

TelegramOffsetStore& TestStorage::telegramOffsets() {
  if (sqlite_) {
    telegram_ = std::make_unique<storage::SqliteTelegramOffsetStore>(*sqlite_);
  } else {
    telegram_ = std::make_unique<storage::pg::PgTelegramOffsetStore>(*postgres_);
  }
  return *telegram_;
}

Store& TestStorage::store() {
  if (!store_) {
    if (sqlite_) {
      store_ = std::make_unique<storage::SqliteStore>(*sqlite_);
    } else {
      store_ = std::make_unique<storage::pg::PgStore>(*postgres_);
    }
  }
  return *store_;
}

CaseStore& TestStorage::caseStore() {
  if (!cases_) {
    if (sqlite_) {
      cases_ = std::make_unique<storage::SqliteCaseStore>(*sqlite_);
    } else {
      cases_ = std::make_unique<storage::pg::PgCaseStore>(*postgres_);
    }
  }
  return *cases_;
}

InboxStore& TestStorage::inbox() {
  if (!inbox_) {
    if (sqlite_) {
      inbox_ = std::make_unique<storage::SqliteInboxStore>(*sqlite_);
    } else {
      inbox_ = std::make_unique<storage::pg::PgInboxStore>(*postgres_);
    }
  }
  return *inbox_;
}

void TestStorage::execute(const std::string& sql) {
  if (sqlite_) {
    REQUIRE(sqlite_->write([&](SQLite::Database& raw) { raw.exec(sql); }).has_value());
    return;
  }
  auto done = postgres_->transaction([&](storage::pg::Session& s) { s.script(sql); });
  REQUIRE_MESSAGE(done.has_value(), sql << ": " << (done ? "" : done.error().detail));
}

std::vector<std::vector<std::string>> TestStorage::rows(const std::string& sql) {
  using Table = std::vector<std::vector<std::string>>;
  if (sqlite_) {
    auto table = sqlite_->read([&](SQLite::Database& raw) {
      SQLite::Statement q(raw, sql);
      Table out;
      while (q.executeStep()) {
        std::vector<std::string> row;
        for (int c = 0; c < q.getColumnCount(); ++c) { row.push_back(q.getColumn(c).getString()); }
        out.push_back(std::move(row));
      }
      return out;
    });
    REQUIRE(table.has_value());
    return *table;
  }
  return pgRows(*postgres_, sql);
}

std::int64_t TestStorage::rowCount(const std::string& table) {
  const std::string sql = "SELECT count(*) FROM " + table;
  if (sqlite_) {
    auto n = sqlite_->read([&](SQLite::Database& raw) { return raw.execAndGet(sql).getInt64(); });
    REQUIRE(n.has_value());
    return *n;
  }
  auto n = postgres_->withConnection(
      [&](storage::pg::Session& s) { return s.run(sql).int64(0, 0); });
  REQUIRE(n.has_value());
  return *n;
}

}  // namespace bb::test
