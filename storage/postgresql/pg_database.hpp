#pragma once
// The PostgreSQL core (the shared engine of several instances, DESIGN.md §4): a pool of libpq
// connections, statements with parameters sent apart from the SQL text, and transactions that
// commit before their caller is answered. Repositories run their SQL inside withConnection() or
// transaction(); a failure there becomes an Error (Unavailable for anything worth a retry), so no
// exception leaves this layer.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bot/result.hpp"
#include "config/config.hpp"

struct pg_conn;
struct pg_result;

namespace bb::storage::pg {

struct PgOptions {
  //! libpq connection string or URI ("postgresql://bb@db.example:5432/buergerbox"). The password
  //! is not part of it: it comes from `password` (read from the environment or a file by the
  //! caller) or from libpq's own PGPASSFILE.
  std::string url;
  std::string password;
  int pool_size = 4;                 //!< connections kept open; callers beyond wait for one
  int statement_timeout_ms = 5000;   //!< PostgreSQL cancels a statement running longer
  int connect_timeout_s = 5;
  //! A caller waits this long for a free connection of the pool, then gets Unavailable (the
  //! engine and the outbox retry), rather than waiting without end behind stuck statements.
  int acquire_timeout_ms = 10000;
};

//! The options storage.postgresql configures (url, password, pool size, statement timeout).
PgOptions optionsFrom(const config::PostgresqlConfig& c);

//! A failure PostgreSQL (or libpq) reported: the SQLSTATE and libpq's message. Thrown inside
//! withConnection()/transaction() and turned into an Error there.
class PgError : public std::runtime_error {
public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

private:
  std::string sqlstate_;
};

//! Opens one session: the connection string, the password apart from it, TCP keepalives (a
//! server that vanished is noticed within about 25 s), then the statement timeout and the UTC
//! time zone. The pool's connections and the leadership's own come from here.
Result<pg_conn*> connectSession(const PgOptions& options, const char* application_name);

//! Classifies a PostgreSQL failure: lost connections, serialization failures, deadlocks,
//! timeouts, shutdowns and a full disk → Unavailable (retry later); a unique violation →
//! Conflict; anything else → Internal. The detail names the SQLSTATE, never a value.
Error pgError(const PgError& e, const char* what);

//! The rows of one statement, as text (PostgreSQL's text format); owns the libpq result.
class Rows {
public:
  explicit Rows(pg_result* result);
  ~Rows();
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  int size() const;
  bool empty() const { return size() == 0; }
  int columns() const;
  std::string columnName(int column) const;
  //! The column's type as PostgreSQL's type oid (20 bigint, 23 integer, 701 double, 25 text...).
  unsigned columnType(int column) const;
  bool isNull(int row, int column) const;
  std::string text(int row, int column) const;     //!< "" for NULL
  std::int64_t int64(int row, int column) const;   //!< 0 for NULL
  double real(int row, int column) const;          //!< 0 for NULL
  //! A bytea column (hex text form, set by every session) as its bytes; "" for NULL.
  std::string bytes(int row, int column) const;
  //! A boolean column ('t') or a 0/1 integer column as bool; false for NULL.
  bool flag(int row, int column) const;
  //! Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;
  //! The command tag ("COMMIT", "INSERT 0 1", "ROLLBACK" for a COMMIT of an aborted one).
  std::string commandTag() const;
  //! The statement failed (or libpq had no result: out of memory, connection lost).
  bool failed() const;
  //! The failure's SQLSTATE; "" when PostgreSQL sent none (the connection was lost).
  std::string sqlstate() const;
  //! What failed, without a value: the names of the constraint, table, column or type (and the
  //! message itself for SQLSTATE class 42, which quotes only SQL text); libpq's message about
  //! the connection when the server sent no SQLSTATE.
  std::string message(pg_conn* conn) const;

private:
  pg_result* result_ = nullptr;
};

//! A statement parameter: text, or NULL when empty.
using Param = std::optional<std::string>;

//! Converts values to parameters: integers as decimal text, strings as they are, an empty
//! optional or nullptr as NULL.
inline Param param(std::nullptr_t) { return std::nullopt; }
inline Param param(const std::string& value) { return value; }
inline Param param(std::string_view value) { return std::string(value); }
inline Param param(const char* value) { return std::string(value); }
inline Param param(const Param& value) { return value; }
//! A double in its shortest text that reads back exactly.
Param param(double value);
//! Bytes for a bytea parameter (sealed addresses), sent in bytea's hex text form.
struct Bytes {
  const std::string& bytes;
};
Param param(const Bytes& value);
template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
Param param(T value) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::string(value ? "true" : "false");
  } else {
    return std::to_string(value);
  }
}

template <class T>
Param param(const std::optional<T>& value) {
  return value ? param(*value) : std::nullopt;
}

//! One pooled connection, lent to a withConnection() or transaction() callback.
class Session {
public:
  explicit Session(pg_conn* conn) : conn_(conn) {}
  //! Runs `sql` with $1, $2, ... bound to `params`; throws PgError on failure.
  Rows exec(std::string_view sql, const std::vector<Param>& params = {});
  //! Runs several statements without parameters (a migration step), in order; throws PgError.
  void script(const std::string& sql);
  template <class... Values>
  Rows run(std::string_view sql, const Values&... values) {
    return exec(sql, std::vector<Param>{param(values)...});
  }

private:
  pg_conn* conn_;
};

class PgDatabase {
public:
  //! Connects `pool_size` sessions (each with the statement timeout set) and checks them.
  static Result<std::unique_ptr<PgDatabase>> open(const PgOptions& options);
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  //! Runs `fn(Session&)` on a pooled connection, outside a transaction block (each statement is
  //! its own transaction): reads, and writes of one statement.
  template <class F>
  auto withConnection(F&& fn) -> Result<std::invoke_result_t<F, Session&>> {
    return withSession<std::invoke_result_t<F, Session&>>(std::forward<F>(fn), false);
  }
  //! Runs `fn(Session&)` between BEGIN and COMMIT; the caller is answered after the commit.
  //! A throw from `fn` rolls back and becomes the Error.
  template <class F>
  auto transaction(F&& fn) -> Result<std::invoke_result_t<F, Session&>> {
    return withSession<std::invoke_result_t<F, Session&>>(std::forward<F>(fn), true);
  }

  //! True when a pooled connection answers `SELECT 1`.
  bool healthy();

private:
  explicit PgDatabase(PgOptions options) : options_(std::move(options)) {}
  //! A free connection, or null when none came free within acquire_timeout_ms.
  pg_conn* acquire();
  void release(pg_conn* conn);
  //! Runs `body` on a connection; converts what it throws. A connection found broken afterwards
  //! is reconnected before the next caller gets it.
  Result<void> run(const std::function<void(Session&)>& body, bool in_transaction);

  template <class T, class F>
  Result<T> withSession(F&& fn, bool in_transaction) {
    if constexpr (std::is_void_v<T>) {
      return run([&](Session& s) { fn(s); }, in_transaction);
    } else {
      std::optional<T> out;
      Result<void> done = run([&](Session& s) { out.emplace(fn(s)); }, in_transaction);
      if (!done) { return Unexpected<Error>{done.error()}; }
      return std::move(*out);
    }
  }

  PgOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<pg_conn*> idle_;
};

}  // namespace bb::storage::pg
