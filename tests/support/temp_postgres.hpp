#pragma once
// A PostgreSQL 15 server of the test process's own: initdb into a temporary directory, `postgres`
// on a free port of 127.0.0.1, as an unprivileged user (PostgreSQL refuses root), stopped and
// removed when the process ends — and killed with it if the process dies first. Never the
// machine's system cluster, never a mock. The binaries come from /usr/lib/postgresql/15/bin (not
// on Debian's PATH; scripts/install-deps.sh installs them) or $BB_POSTGRES_BIN.
// Under ctest the run shares one server instead (fixture bb_postgres, support/postgres_fixture.sh):
// $BB_TEST_POSTGRES_DIR/url names it, and the databases a process made are dropped at its end.

#include <functional>
#include <string>
#include <vector>

namespace bb::test {

class TempPostgres {
public:
  //! The process's server, started on first use. A server that could not start is a test
  //! failure, not a skip: check ok() and show error().
  static TempPostgres& shared();
  //! A server of the process's own that flushes every commit (fsync, synchronous_commit and
  //! full_page_writes on, as in production): for benchmarks, whose commits must wait for the
  //! disk. Never the ctest fixture's server, which runs with fsync off.
  static TempPostgres& durable();

  bool ok() const { return pid_ > 0 || shared_; }
  const std::string& error() const { return error_; }
  //! A new empty database on the server; its libpq connection string. Each test takes its own,
  //! so tests never see each other's rows.
  std::string newDatabase();
  //! A new database copied from `template_name`. The first process of the run to ask makes the
  //! template with `fill` (given its connection string); the others wait for it under an
  //! advisory lock, since ctest's processes share one server. Copying is far cheaper than
  //! migrating each database. Empty (see error()) on failure.
  std::string newDatabaseFrom(const std::string& template_name,
                              const std::function<bool(const std::string& url)>& fill);
  //! The connection string of database `name`.
  std::string url(const std::string& name) const;

  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;
  ~TempPostgres();

private:
  explicit TempPostgres(bool durable);
  bool start();
  //! The run's shared server, when ctest's fixture started one.
  bool useShared();
  //! Runs `sql` on the server's maintenance database; false (error() says why) on failure.
  bool exec(const std::string& sql);
  //! Makes the template unless a complete one (marked IS_TEMPLATE) exists.
  bool ensureTemplate(const std::string& name,
                      const std::function<bool(const std::string& url)>& fill);
  //! CREATE DATABASE <a new name> plus `clause`; the new database's url, or empty.
  std::string createDatabase(const std::string& clause);

  std::string dir_;
  std::string base_url_;  //!< "host=... port=... user=bb"
  bool shared_ = false;
  std::vector<std::string> databases_;  //!< made on the shared server, dropped at the end
  int port_ = 0;
  int pid_ = -1;
  int next_database_ = 1;
  bool durable_ = false;  //!< see durable()
  std::string error_;
};

}  // namespace bb::test
