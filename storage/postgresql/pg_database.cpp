#include "storage/postgresql/pg_database.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <string_view>
#include <exception>

#include "bot/log.hpp"
#include "bot/security/crypto.hpp"

namespace bb::storage::pg {

namespace {

//! libpq's message for the connection on one line. It may name the host
//! and the user of the connection string, never a password or a row's values.
std::string connectionMessage(PGconn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  for (char& ch : message) {
    if (ch == '\n' || ch == '\t') { ch = ' '; }  // one log line
  }
  while (!message.empty() && message.back() == ' ') { message.pop_back(); }
  return message;
}

bool startsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

PgOptions optionsFrom(const config::PostgresqlConfig& c) {
  PgOptions o;
  o.url = c.url;
  o.password = c.password;
  o.pool_size = c.pool_size;
  o.statement_timeout_ms = c.statement_timeout_ms;
  return o;
}

Error pgError(const PgError& e, const char* what) {
  const std::string& state = e.sqlstate();
  // Class 08: connection exceptions; 40001 serialization failure, 40P01 deadlock; 53: insufficient
  // resources (disk full, out of memory, too many connections); 57014: statement timeout or
  // cancel; 57P0x: the server is shutting down or restarting; 55P03: a lock was not available.
  const bool retry = state.empty() || startsWith(state, "08") || state == "40001" ||
                     state == "40P01" || startsWith(state, "53") || state == "57014" ||
                     startsWith(state, "57P0") || state == "55P03" || state == "25006";
  ErrorCode code = ErrorCode::Internal;
  if (retry) {
    code = ErrorCode::Unavailable;
  } else if (state == "23505") {
    code = ErrorCode::Conflict;
  }
  // PgError's message is value-free by construction (Rows::message).
  return Error{code, std::string(what) + ": postgresql " + (state.empty() ? "connection" : state) +
                         ": " + e.what()};
}

// ---- Rows ----

Rows::Rows(PGresult* result) : result_(result) {}
Rows::~Rows() { PQclear(result_); }
Rows::Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int Rows::size() const { return result_ != nullptr ? PQntuples(result_) : 0; }

int Rows::columns() const { return result_ != nullptr ? PQnfields(result_) : 0; }

std::string Rows::columnName(int column) const {
  const char* name = result_ != nullptr ? PQfname(result_, column) : nullptr;
  return name != nullptr ? name : "";
}

unsigned Rows::columnType(int column) const {
  return result_ != nullptr ? PQftype(result_, column) : 0;
}

bool Rows::isNull(int row, int column) const {
  return result_ == nullptr || PQgetisnull(result_, row, column) == 1;
}

std::string Rows::text(int row, int column) const {
  if (isNull(row, column)) { return {}; }
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::int64_t Rows::int64(int row, int column) const {
  if (isNull(row, column)) { return 0; }
  const char* begin = PQgetvalue(result_, row, column);
  const char* end = begin + PQgetlength(result_, row, column);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || ptr != end) { throw PgError("22P02", "column is not an integer"); }
  return value;
}

bool Rows::failed() const {
  const ExecStatusType status = result_ != nullptr ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
  return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
}

double Rows::real(int row, int column) const {
  if (isNull(row, column)) { return 0; }
  const char* begin = PQgetvalue(result_, row, column);
  const char* end = begin + PQgetlength(result_, row, column);
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || ptr != end) { throw PgError("22P02", "column is not a number"); }
  return value;
}

std::string Rows::bytes(int row, int column) const {
  const std::string hex = text(row, column);
  if (hex.empty()) { return {}; }
  if (hex.rfind("\\x", 0) != 0) { throw PgError("22P02", "column is not bytea in hex form"); }
  auto decoded = crypto::fromHex(std::string_view(hex).substr(2));
  if (!decoded) { throw PgError("22P02", "column is not bytea in hex form"); }
  return *decoded;
}

bool Rows::flag(int row, int column) const {
  const std::string value = text(row, column);
  return value == "t" || (!value.empty() && value != "f" && value != "0");
}

Param param(double value) {
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc{}) { throw PgError("22003", "number has no text form"); }
  return std::string(buf, end);
}

Param param(const Bytes& value) { return "\\x" + crypto::toHex(value.bytes); }

std::string Rows::sqlstate() const {
  const char* state = result_ != nullptr ? PQresultErrorField(result_, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

std::string Rows::message(PGconn* conn) const {
  const std::string state = sqlstate();
  if (state.empty()) { return connectionMessage(conn); }  // libpq's own: the connection's state
  auto field = [&](int code) {
    const char* value = PQresultErrorField(result_, code);
    return value != nullptr ? std::string(value) : std::string();
  };
  // PostgreSQL's messages quote values ('value "..." is out of range', 'invalid input syntax
  // for type bigint: "..."', "Key (x)=(...)"): only the names of what failed are kept — except
  // for class 42 (syntax, unknown tables and columns), whose messages quote this program's SQL.
  if (state.rfind("42", 0) == 0) { return field(PG_DIAG_MESSAGE_PRIMARY); }
  std::string names;
  for (auto [label, code] : {std::pair{"constraint", PG_DIAG_CONSTRAINT_NAME},
                             std::pair{"table", PG_DIAG_TABLE_NAME},
                             std::pair{"column", PG_DIAG_COLUMN_NAME},
                             std::pair{"type", PG_DIAG_DATATYPE_NAME}}) {
    const std::string value = field(code);
    if (!value.empty()) { names += std::string(names.empty() ? "" : ", ") + label + " " + value; }
  }
  return names.empty() ? "no detail (values are not logged)" : names;
}

std::string Rows::commandTag() const {
  const char* tag = result_ != nullptr ? PQcmdStatus(result_) : nullptr;
  return tag != nullptr ? tag : "";
}

std::int64_t Rows::affected() const {
  const char* count = result_ != nullptr ? PQcmdTuples(result_) : "";
  std::int64_t value = 0;
  std::from_chars(count, count + std::char_traits<char>::length(count), value);
  return value;
}

// ---- Session ----

Rows Session::exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) { values.push_back(p ? p->c_str() : nullptr); }
  const std::string text(sql);
  PGresult* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  Rows rows(result);
  if (rows.failed()) { throw PgError(rows.sqlstate(), rows.message(conn_)); }
  return rows;
}

void Session::script(const std::string& sql) {
  // PQexecParams takes one statement; PQexec runs a script as one simple query, inside the
  // caller's transaction block when there is one.
  Rows rows(PQexec(conn_, sql.c_str()));  // the last statement's result, or the first failure
  if (rows.failed()) { throw PgError(rows.sqlstate(), rows.message(conn_)); }
}

// ---- PgDatabase ----

Result<PGconn*> connectSession(const PgOptions& options, const char* application_name) {
  // libpq's complaint about a malformed string may quote it (and a password in it): checked
  // first, and refused with a fixed text.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &parse_error);
  if (parsed == nullptr) {
    PQfreemem(parse_error);
    return fail(ErrorCode::InvalidInput, "storage.postgresql.url is not a valid libpq connection "
                                         "string or postgresql:// URI");
  }
  // A password in the connection string would end up in the config file, the process list or
  // a shell history: it comes only from the environment or a file.
  bool has_password = false;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(parsed);
  if (has_password) {
    return fail(ErrorCode::InvalidInput,
                "storage.postgresql.url must not contain a password: set "
                "BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD or BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD_FILE");
  }
  const std::string timeout = std::to_string(options.connect_timeout_s);
  // expand_dbname = 1: "dbname" carries the whole connection string; the keywords after it
  // (the password apart from the URL) override what it says.
  std::vector<const char*> keys{"dbname",          "connect_timeout",     "application_name",
                                "keepalives_idle", "keepalives_interval", "keepalives_count"};
  std::vector<const char*> values{options.url.c_str(), timeout.c_str(), application_name, "10",
                                  "5",                 "3"};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string message = connectionMessage(conn);
    PQfinish(conn);
    return fail(ErrorCode::Unavailable, "postgresql connect: " + message);
  }
  try {
    Session session(conn);
    session.exec("SET statement_timeout = " + std::to_string(options.statement_timeout_ms));
    session.exec("SET TIME ZONE 'UTC'");
    session.exec("SET client_min_messages = warning");  // no NOTICEs on stderr
    // Exact text forms whatever the role's defaults: doubles as their shortest exact digits,
    // bytes as hex (storage/postgresql/pg_copy.cpp compares values by them).
    session.exec("SET extra_float_digits = 1");
    session.exec("SET bytea_output = 'hex'");
  } catch (const PgError& e) {
    PQfinish(conn);
    return Unexpected<Error>{pgError(e, "postgresql session setup")};
  }
  return conn;
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(const PgOptions& options) {
  if (options.url.empty()) {
    return fail(ErrorCode::InvalidInput, "storage.postgresql.url is empty");
  }
  if (options.pool_size < 1 || options.statement_timeout_ms < 1 || options.acquire_timeout_ms < 1) {
    return fail(ErrorCode::InvalidInput,
                "pool size, statement timeout and acquire timeout must be positive");
  }
  std::unique_ptr<PgDatabase> db(new PgDatabase(options));
  for (int i = 0; i < options.pool_size; ++i) {
    auto conn = connectSession(options, "buergerbox");
    if (!conn) { return Unexpected<Error>{conn.error()}; }
    db->idle_.push_back(*conn);
  }
  return db;
}

PgDatabase::~PgDatabase() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (PGconn* conn : idle_) { PQfinish(conn); }
}

PGconn* PgDatabase::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!available_.wait_for(lock, std::chrono::milliseconds(options_.acquire_timeout_ms),
                           [&] { return !idle_.empty(); })) {
    return nullptr;
  }
  PGconn* conn = idle_.back();
  idle_.pop_back();
  return conn;
}

void PgDatabase::release(PGconn* conn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(conn);
  }
  available_.notify_one();
}

Result<void> PgDatabase::run(const std::function<void(Session&)>& body, bool in_transaction) {
  PGconn* conn = acquire();
  if (conn == nullptr) {
    log::warn("postgresql_pool_exhausted", {{"pool_size", std::to_string(options_.pool_size)}});
    return fail(ErrorCode::Unavailable,
                "postgresql: no free connection within " +
                    std::to_string(options_.acquire_timeout_ms) +
                    " ms (storage.postgresql.pool_size = " + std::to_string(options_.pool_size) +
                    ")");
  }
  // Back to the pool whatever leaves this function (a test's REQUIRE throws no std::exception).
  struct Lend {
    PgDatabase* pool;
    PGconn*& conn;
    ~Lend() { pool->release(conn); }
  } lend{this, conn};
  if (PQstatus(conn) != CONNECTION_OK) {
    // Lost since its last use (the server restarted, a failover): one new connection, with the
    // session settings, in its place.
    auto fresh = connectSession(options_, "buergerbox");
    if (!fresh) { return Unexpected<Error>{fresh.error()}; }
    PQfinish(conn);
    conn = *fresh;
  }
  Session session(conn);
  Result<void> result;
  try {
    if (in_transaction) { session.exec("BEGIN"); }
    body(session);
    if (in_transaction) {
      // A body that caught a failure and went on left the transaction aborted: its COMMIT
      // would answer "ROLLBACK", and nothing would be stored.
      if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        throw PgError("25P02", "the transaction was aborted by an earlier statement");
      }
      Rows done = session.exec("COMMIT");
      if (done.commandTag() != "COMMIT") { throw PgError("40000", "the commit rolled back"); }
    }
  } catch (const PgError& e) {
    result = Unexpected<Error>{pgError(e, in_transaction ? "transaction" : "read")};
  } catch (const std::exception& e) {
    result = fail(ErrorCode::Internal, std::string("postgresql: ") + e.what());
  } catch (...) {
    result = fail(ErrorCode::Internal, "postgresql: an exception of unknown type");
  }
  if (!result && in_transaction && PQstatus(conn) == CONNECTION_OK &&
      PQtransactionStatus(conn) != PQTRANS_IDLE) {
    try {
      session.exec("ROLLBACK");
    } catch (const PgError& e) {
      log::warn("postgresql_rollback_failed", {{"sqlstate", e.sqlstate()}});
    }
  }
  if (!result && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
    // Still inside a transaction (a failed ROLLBACK, or a body that began one itself): the
    // next caller must not inherit it.
    PQfinish(conn);
    auto fresh = connectSession(options_, "buergerbox");
    conn = fresh ? *fresh : nullptr;  // none: PQstatus(nullptr) is CONNECTION_BAD, replaced at next use
  }
  return result;
}

bool PgDatabase::healthy() {
  return run([](Session& s) { s.exec("SELECT 1"); }, false).has_value();
}

}  // namespace bb::storage::pg
