#include "support/test_storage.hpp"

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_channel_state.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "support/temp_postgres.hpp"

namespace bb::test {

std::vector<Backend> allBackends() { return {Backend::Sqlite, Backend::Postgresql}; }

const char* backendName(Backend backend) {
  return backend == Backend::Sqlite ? "sqlite" : "postgresql";
}

TestStorage::TestStorage(Backend backend) : backend_(backend) {
  if (backend_ == Backend::Postgresql) {
    TempPostgres& server = TempPostgres::shared();
    REQUIRE_MESSAGE(server.ok(), server.error());
    url_ = server.newDatabase();
    REQUIRE_MESSAGE(!url_.empty(), server.error());
  }
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
    storage::pg::PgOptions options;
    options.url = url_;
    options.pool_size = 2;
    auto db = storage::pg::PgDatabase::open(options);
    REQUIRE_MESSAGE(db.has_value(), (db ? "" : db.error().detail));
    auto version = storage::pg::migrate(**db);
    REQUIRE_MESSAGE(version.has_value(), (version ? "" : version.error().detail));
    postgres_ = std::move(*db);
  }
}

void TestStorage::close() {
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

}  // namespace bb::test
