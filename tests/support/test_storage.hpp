#pragma once
// The storage backends a behaviour test runs against (DESIGN.md §4: one behaviour suite on both
// backends, parameterized, not copied). A test loops over allBackends() and reaches the ports
// through TestStorage, which opens the same data again on reopen() (durability checks).

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "bot/channels/matrix_transactions.hpp"
#include "bot/cases/case_store.hpp"
#include "bot/channels/telegram_offset.hpp"
#include "bot/conversation/store.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "support/server_process.hpp"

namespace bb::storage {
class Database;
}

namespace bb::test {

//! A new, empty database on the run's PostgreSQL server (support/temp_postgres.hpp), REQUIREd;
//! its connection string.
std::string freshPostgres();
//! The same, migrated to this build's PostgreSQL schema: a copy of the run's migrated template.
std::string migratedPostgres();
//! A connection pool on `url`, REQUIREd to open.
std::unique_ptr<storage::pg::PgDatabase> openPostgres(const std::string& url, int pool_size = 2,
                                                      int statement_timeout_ms = 5000);

//! Reads and writes on a PostgreSQL pool, each REQUIREd to work (the SQL in the message): the
//! first column of the first row as a number ('t'/'f' as 1/0) or as text ("" for no row), every
//! row as text, statements without results.
std::int64_t pgScalar(storage::pg::PgDatabase& db, const std::string& sql);
std::string pgText(storage::pg::PgDatabase& db, const std::string& sql);
std::vector<std::vector<std::string>> pgRows(storage::pg::PgDatabase& db, const std::string& sql);
void pgExecute(storage::pg::PgDatabase& db, const std::string& sql);

enum class Backend { Sqlite, Postgresql };

//! The backends as types, for behaviour tests that run on both:
//!   TEST_CASE_TEMPLATE("engine: ...", B, OnSqlite, OnPostgresql) { EngineHarness h(B::backend); }
//! Each backend is its own test case ("engine: ...<postgresql>").
struct OnSqlite {
  static constexpr Backend backend = Backend::Sqlite;
};
struct OnPostgresql {
  static constexpr Backend backend = Backend::Postgresql;
};

std::vector<Backend> allBackends();
const char* backendName(Backend backend);

//! Fresh, migrated storage of one backend: SQLite in a temporary directory, or a new database on
//! the process's own PostgreSQL server (support/temp_postgres.hpp). Opening it is REQUIREd.
class TestStorage {
public:
  explicit TestStorage(Backend backend);
  ~TestStorage();
  TestStorage(const TestStorage&) = delete;
  TestStorage& operator=(const TestStorage&) = delete;

  Backend backend() const { return backend_; }
  //! Closes every connection and opens (and migrates) the same data again. References handed
  //! out before are invalid afterwards.
  void reopen();

  MatrixTransactionLog& matrixTransactions(const Clock& clock);
  TelegramOffsetStore& telegramOffsets();
  //! The conversation store (SqliteStore or PgStore).
  Store& store();
  //! The case store (SqliteCaseStore or PgCaseStore) with the default public grid.
  CaseStore& caseStore();
  //! The staff inbox's store (SqliteInboxStore or PgInboxStore).
  InboxStore& inbox();
  //! The number of rows in `table`.
  std::int64_t rowCount(const std::string& table);
  //! Runs `sql` (statements without results), in one transaction.
  void execute(const std::string& sql);
  //! Every row of `sql`, each column as text ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql);

private:
  void open();
  void close();

  Backend backend_;
  TempDir dir_;        // SQLite's file
  std::string url_;    // PostgreSQL's database
  std::unique_ptr<storage::Database> sqlite_;
  std::unique_ptr<storage::pg::PgDatabase> postgres_;
  std::unique_ptr<MatrixTransactionLog> matrix_;
  std::unique_ptr<TelegramOffsetStore> telegram_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaseStore> cases_;
  std::unique_ptr<InboxStore> inbox_;
};

}  // namespace bb::test

TYPE_TO_STRING_AS("sqlite", bb::test::OnSqlite);
TYPE_TO_STRING_AS("postgresql", bb::test::OnPostgresql);
