#include "storage/postgresql/pg_copy.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/security/crypto.hpp"

namespace bb::storage::pg {

namespace {

//! How a column's values are compared and sent: the declared type's family on either side.
enum class Family { Integer, Real, Text, Bytes };

struct TableShape {
  std::string name;
  std::vector<std::string> columns;
  std::vector<Family> families;
};

Family familyOf(std::string declared) {
  std::transform(declared.begin(), declared.end(), declared.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (declared == "integer" || declared == "bigint") { return Family::Integer; }
  if (declared == "real" || declared == "double precision") { return Family::Real; }
  if (declared == "blob" || declared == "bytea") { return Family::Bytes; }
  return Family::Text;
}

std::string quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

std::string columnList(const TableShape& t) {
  std::string out;
  for (const auto& c : t.columns) { out += (out.empty() ? "" : ", ") + quoted(c); }
  return out;
}

//! ticket_counts last: inserting tickets counts them by trigger, so its rows are replaced by
//! SQLite's after every ticket is in.
std::vector<TableShape> sqliteTables(SQLite::Database& db) {
  std::vector<TableShape> tables;
  SQLite::Statement names(db,
                          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                          "'sqlite_%' ORDER BY name = 'ticket_counts', name");
  while (names.executeStep()) {
    TableShape t;
    t.name = names.getColumn(0).getString();
    SQLite::Statement info(db, "SELECT name, type FROM pragma_table_info(?) ORDER BY cid");
    info.bind(1, t.name);
    while (info.executeStep()) {
      t.columns.push_back(info.getColumn(0).getString());
      t.families.push_back(familyOf(info.getColumn(1).getString()));
    }
    tables.push_back(std::move(t));
  }
  return tables;
}

std::string realText(double value) {
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

//! The order-independent checksum of a table: the sum of each row's SHA-256 prefix.
class RowSum {
public:
  //! A row as "<tag><length>:<value>" per column: N for NULL, I, R, T, B by family.
  void addValue(std::string& row, Family family, const std::optional<std::string>& value) {
    if (!value) {
      row += 'N';
      return;
    }
    static constexpr char kTags[] = {'I', 'R', 'T', 'B'};
    row += kTags[static_cast<int>(family)];
    row += std::to_string(value->size());
    row += ':';
    row += *value;
  }
  void addRow(const std::string& row) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(row.data()), row.size(), digest);
    std::uint64_t prefix = 0;
    std::memcpy(&prefix, digest, sizeof prefix);
    sum_ += prefix;  // wraps modulo 2^64: the order of the rows does not matter
    ++rows_;
  }
  std::int64_t rows() const { return rows_; }
  std::string hex() const {
    std::string bytes(reinterpret_cast<const char*>(&sum_), sizeof sum_);
    return crypto::toHex(bytes);
  }

private:
  std::uint64_t sum_ = 0;
  std::int64_t rows_ = 0;
};

//! The family a SQLite value really has (its storage class): SQLite lets a column hold a value
//! of another type than it declares, and such a value must not pass as converted.
Family storedFamily(const SQLite::Column& c) {
  if (c.isInteger()) { return Family::Integer; }
  if (c.isFloat()) { return Family::Real; }
  if (c.isBlob()) { return Family::Bytes; }
  return Family::Text;
}

//! A SQLite value in the canonical text of its storage class; nullopt for NULL. `family` is
//! set to that class, so a value of another type than its column checksums differently.
std::optional<std::string> sqliteValue(const SQLite::Column& c, Family& family) {
  if (c.isNull()) { return std::nullopt; }
  family = storedFamily(c);
  switch (family) {
    case Family::Integer: return std::to_string(c.getInt64());
    case Family::Real: return realText(c.getDouble());
    case Family::Bytes:
      return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
    case Family::Text: break;
  }
  return c.getString();
}

//! A PostgreSQL value (text format) in the same canonical text.
std::optional<std::string> postgresValue(const Rows& rows, int row, int column, Family family) {
  if (rows.isNull(row, column)) { return std::nullopt; }
  std::string text = rows.text(row, column);
  if (family == Family::Real) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size() ? realText(value) : "?" + text;
  }
  if (family == Family::Bytes && text.rfind("\\x", 0) == 0) {
    auto bytes = crypto::fromHex(std::string_view(text).substr(2));
    return bytes ? *bytes : "?";
  }
  return text;
}

TableComparison compareTable(SQLite::Database& sqlite, Session& postgres, const TableShape& t) {
  TableComparison out;
  out.table = t.name;
  RowSum left;
  SQLite::Statement q(sqlite, "SELECT " + columnList(t) + " FROM " + quoted(t.name));
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
      Family family = t.families[i];
      auto value = sqliteValue(q.getColumn(i), family);
      left.addValue(row, family, value);
    }
    left.addRow(row);
  }
  out.sqlite_rows = left.rows();
  out.sqlite_checksum = left.hex();

  // In batches through a cursor: a table of millions of rows never sits in memory at once.
  RowSum right;
  postgres.exec("DECLARE bb_compare NO SCROLL CURSOR FOR SELECT " + columnList(t) + " FROM " +
                quoted(t.name));
  for (;;) {
    Rows rows = postgres.exec("FETCH 2000 FROM bb_compare");
    if (rows.empty()) { break; }
    for (int r = 0; r < rows.size(); ++r) {
      std::string row;
      for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
        right.addValue(row, t.families[i], postgresValue(rows, r, i, t.families[i]));
      }
      right.addRow(row);
    }
  }
  postgres.exec("CLOSE bb_compare");
  out.postgres_rows = right.rows();
  out.postgres_checksum = right.hex();
  return out;
}

//! A SQLite value as a statement parameter, in the form of its storage class: PostgreSQL refuses
//! what does not fit the column ("1.5" for a bigint), so the copy fails instead of rounding.
Param parameter(const SQLite::Column& c) {
  if (c.isNull()) { return std::nullopt; }
  switch (storedFamily(c)) {
    case Family::Integer: return std::to_string(c.getInt64());
    case Family::Real: return realText(c.getDouble());
    case Family::Bytes:
      return "\\x" + crypto::toHex(std::string_view(static_cast<const char*>(c.getBlob()),
                                                    static_cast<std::size_t>(c.getBytes())));
    case Family::Text: break;
  }
  return c.getString();
}

void insertBatch(Session& postgres, const TableShape& t, std::vector<Param>& params) {
  if (params.empty()) { return; }
  const std::size_t width = t.columns.size();
  std::string sql = "INSERT INTO " + quoted(t.name) + " (" + columnList(t) + ") VALUES ";
  for (std::size_t row = 0; row < params.size() / width; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (std::size_t i = 0; i < width; ++i) {
      sql += (i == 0 ? "$" : ", $") + std::to_string(row * width + i + 1);
    }
    sql += ")";
  }
  postgres.exec(sql, params);
  params.clear();
}

void copyTable(SQLite::Database& sqlite, Session& postgres, const TableShape& t) {
  if (t.name == "ticket_counts") { postgres.exec("DELETE FROM ticket_counts"); }
  const std::size_t width = t.columns.size();
  const std::size_t rows_per_batch = std::max<std::size_t>(1, 4000 / width);
  std::vector<Param> params;
  SQLite::Statement q(sqlite, "SELECT " + columnList(t) + " FROM " + quoted(t.name));
  while (q.executeStep()) {
    for (std::size_t i = 0; i < width; ++i) {
      params.push_back(parameter(q.getColumn(static_cast<int>(i))));
    }
    if (params.size() >= rows_per_batch * width) { insertBatch(postgres, t, params); }
  }
  insertBatch(postgres, t, params);
}

//! Every identity column continues after the highest id SQLite gave out — including ids of
//! rows deleted since (sqlite_sequence): outbox ids are cursors and must never come again.
void advanceSequences(SQLite::Database& sqlite, Session& postgres) {
  Rows identities = postgres.exec(
      "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = current_schema() AND a.attidentity <> '' AND NOT a.attisdropped");
  const bool has_sequences =
      sqlite.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
          .getInt() > 0;
  for (int i = 0; i < identities.size(); ++i) {
    const std::string table = identities.text(i, 0);
    const std::string column = identities.text(i, 1);
    std::int64_t next = postgres.exec("SELECT coalesce(max(" + quoted(column) + "), 0) FROM " +
                                      quoted(table))
                            .int64(0, 0);
    if (has_sequences) {
      SQLite::Statement seq(sqlite, "SELECT seq FROM sqlite_sequence WHERE name = ?");
      seq.bind(1, table);
      if (seq.executeStep()) { next = std::max(next, seq.getColumn(0).getInt64()); }
    }
    if (next > 0) {
      postgres.run("SELECT setval(pg_get_serial_sequence($1, $2), $3)", quoted(table), column,
                   next);
    }
  }
  // The next ticket number follows the highest one copied (1001 for none: kFirstTicketNumber).
  postgres.exec("SELECT setval('ticket_numbers', greatest(coalesce(max(number), 0), 1000)) "
                "FROM tickets");
}

}  // namespace

bool CopyReport::matches() const {
  return std::all_of(tables.begin(), tables.end(),
                     [](const TableComparison& t) { return t.matches(); });
}

Result<CopyReport> compareDatabases(SQLite::Database& sqlite, Session& postgres) {
  try {
    CopyReport report;
    for (const TableShape& t : sqliteTables(sqlite)) {
      report.tables.push_back(compareTable(sqlite, postgres, t));
    }
    return report;
  } catch (const PgError& e) {
    return Unexpected<Error>{pgError(e, "compare")};
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("compare: ") + e.what());
  }
}

Result<CopyReport> copySqliteToPostgres(SQLite::Database& sqlite, PgDatabase& postgres) {
  std::optional<Error> refusal;
  CopyReport report;
  // One read transaction: every table comes from the same snapshot.
  SQLite::Transaction snapshot(sqlite, SQLite::TransactionBehavior::DEFERRED);
  const std::vector<TableShape> tables = sqliteTables(sqlite);
  auto copied = postgres.transaction([&](Session& s) {
    s.exec("SET LOCAL statement_timeout = 0");  // a large table's copy may take long
    s.exec("SET CONSTRAINTS ALL DEFERRED");     // references are checked at the commit
    for (const TableShape& t : tables) {
      if (!s.exec("SELECT 1 FROM " + quoted(t.name) + " LIMIT 1").empty()) {
        refusal = Error{ErrorCode::InvalidInput,
                        "the PostgreSQL database is not empty (table " + t.name +
                            " has rows): migrate into a new, empty database"};
        throw std::runtime_error("refused");
      }
    }
    for (const TableShape& t : tables) { copyTable(sqlite, s, t); }
    advanceSequences(sqlite, s);
    for (const TableShape& t : tables) { report.tables.push_back(compareTable(sqlite, s, t)); }
    for (const TableComparison& t : report.tables) {
      if (!t.matches()) {
        refusal = Error{ErrorCode::Conflict, "table " + t.table + " differs after the copy"};
        throw std::runtime_error("refused");
      }
    }
  });
  if (refusal) { return Unexpected<Error>{*refusal}; }
  if (!copied) { return Unexpected<Error>{copied.error()}; }
  return report;
}

}  // namespace bb::storage::pg
