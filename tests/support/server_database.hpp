#pragma once
// The database of a real `buergerbox serve` in a test, on either backend: a SQLite file in a
// test's folder or a migrated database of its own on the run's PostgreSQL server. It gives the
// server's environment for it, reads what the server stored, and names the files a privacy scan
// reads (SQLite's file with its WAL; on PostgreSQL the database's own data files after a
// checkpoint).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/postgresql/pg_database.hpp"
#include "support/test_storage.hpp"

namespace bb::test {

//! `sql` with its first `?` replaced by `value` as a quoted SQL string literal (either backend).
std::string withLiteral(const std::string& sql, const std::string& value);

class ServerDatabase {
public:
  //! `sqlite_path`: the file a SQLite server uses (ignored on PostgreSQL).
  ServerDatabase(Backend backend, std::string sqlite_path);
  ~ServerDatabase();

  Backend backend() const { return backend_; }
  bool postgresql() const { return backend_ == Backend::Postgresql; }
  //! The server's storage settings (BUERGERBOX_STORAGE_...).
  std::map<std::string, std::string> env() const;
  std::int64_t scalar(const std::string& sql);
  std::string text(const std::string& sql);  //!< first column of the first row; "" for none
  //! Every row, each column as text ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  void execute(const std::string& sql);
  //! The files that hold what was stored, for leaksInFiles(). On PostgreSQL a CHECKPOINT first
  //! writes every committed page; the shared WAL (other tests' databases too) is not read.
  std::vector<std::string> filesToScan();

private:
  storage::pg::PgDatabase& pg();

  Backend backend_;
  std::string sqlite_path_;
  std::string url_;
  std::unique_ptr<storage::pg::PgDatabase> pg_;
};

}  // namespace bb::test
