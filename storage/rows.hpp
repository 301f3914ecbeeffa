#pragma once
// How every SQLite repository turns values into columns and rows back into values: times as
// milliseconds since the epoch, sealed bytes as blobs, NULL for "none", the citizen row, and the
// two shapes of a read (every row, the first row). Internal to storage/.

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/conversation/store.hpp"
#include "bot/types.hpp"
#include "storage/database.hpp"
#include "storage/millis.hpp"

namespace bb::storage {

// ---- reading columns ----

//! The column as a time; empty when it is NULL.
std::optional<SysTime> optionalTime(const SQLite::Column& c);
//! The column as text; empty when it is NULL.
std::string optionalText(const SQLite::Column& c);
//! The column as an id; 0 when it is NULL.
std::int64_t optionalId(const SQLite::Column& c);
//! The column's bytes (sealed addresses); empty when it is NULL.
std::string blob(const SQLite::Column& c);
//! The channel a column names; the web chat for a name this build does not know.
Channel channelOf(const SQLite::Column& c);

//! Readers of a row of one column.
std::string textColumn(SQLite::Statement& q);
std::int64_t int64Column(SQLite::Statement& q);

// ---- the citizen row ----

//! The columns readCitizen reads, from the table aliased `c`.
extern const char* const kCitizenColumns;
CitizenRecord readCitizen(SQLite::Statement& q);

// ---- binding ----

//! Bytes bound as a blob (a sealed address), not as text.
struct Blob {
  const std::string& bytes;
};

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

//! Binds one value: a time as milliseconds, an empty optional as NULL, a bool as 0 or 1.
template <class T>
void bindValue(SQLite::Statement& q, int index, const T& value) {
  if constexpr (detail::IsOptional<T>::value) {
    if (value) {
      bindValue(q, index, *value);
    } else {
      q.bind(index);
    }
  } else if constexpr (std::is_same_v<T, SysTime>) {
    q.bind(index, toMillis(value));
  } else if constexpr (std::is_same_v<T, Blob>) {
    q.bind(index, value.bytes.data(), static_cast<int>(value.bytes.size()));
  } else if constexpr (std::is_same_v<T, bool>) {
    q.bind(index, value ? 1 : 0);
  } else {
    q.bind(index, value);
  }
}

//! Binds `values` to ?1, ?2, ... in order.
template <class... Values>
void bindAll(SQLite::Statement& q, const Values&... values) {
  int index = 0;
  (bindValue(q, ++index, values), ...);
}

// ---- reading rows ----

//! Every row of statement `q` (with `values` bound to ?1, ?2, ...), each read by `reader`.
template <class Read, class... Values>
auto stepAll(SQLite::Statement& q, Read&& reader, const Values&... values) {
  using Row = std::decay_t<std::invoke_result_t<Read&, SQLite::Statement&>>;
  bindAll(q, values...);
  std::vector<Row> out;
  while (q.executeStep()) { out.push_back(reader(q)); }
  return out;
}

//! The first row of statement `q` (with `values` bound) read by `reader`; empty when none.
template <class Read, class... Values>
auto stepFirst(SQLite::Statement& q, Read&& reader, const Values&... values)
    -> std::optional<std::decay_t<std::invoke_result_t<Read&, SQLite::Statement&>>> {
  bindAll(q, values...);
  if (!q.executeStep()) { return std::nullopt; }
  return reader(q);
}

//! Every row of `sql` (with `values` bound to ?1, ?2, ...), each read by `reader`.
template <class Read, class... Values>
auto allRows(SQLite::Database& db, const std::string& sql, Read&& reader, const Values&... values) {
  SQLite::Statement q(db, sql);
  return stepAll(q, reader, values...);
}

//! The first row of `sql` (with `values` bound to ?1, ?2, ...) read by `reader`; empty when the
//! query finds none.
template <class Read, class... Values>
auto firstRow(SQLite::Database& db, const std::string& sql, Read&& reader, const Values&... values) {
  SQLite::Statement q(db, sql);
  return stepFirst(q, reader, values...);
}

//! The statement of `sql` on reader `db` for one use: the one the reader keeps compiled
//! (Database::readerStatement), reset and unbound when the use ends so it holds no read
//! snapshot, or one compiled for this use when the reader keeps none.
class ReaderQuery {
public:
  ReaderQuery(Database& database, SQLite::Database& db, const std::string& sql)
      : kept_(database.readerStatement(db, sql)) {
    if (kept_ == nullptr) { fresh_.emplace(db, sql); }
  }
  ~ReaderQuery() {
    if (kept_ != nullptr) {
      (void)kept_->tryReset();
      kept_->clearBindings();
    }
  }
  ReaderQuery(const ReaderQuery&) = delete;
  ReaderQuery& operator=(const ReaderQuery&) = delete;
  SQLite::Statement& get() { return kept_ != nullptr ? *kept_ : *fresh_; }

private:
  SQLite::Statement* kept_;
  std::optional<SQLite::Statement> fresh_;
};

//! allRows on a reader connection of `database`, with the reader's kept statement.
template <class Read, class... Values>
auto readAll(Database& database, const std::string& sql, Read&& reader, const Values&... values) {
  return database.read([&](SQLite::Database& db) {
    ReaderQuery query(database, db, sql);
    return stepAll(query.get(), reader, values...);
  });
}

//! firstRow on a reader connection of `database`, with the reader's kept statement.
template <class Read, class... Values>
auto readFirst(Database& database, const std::string& sql, Read&& reader, const Values&... values) {
  return database.read([&](SQLite::Database& db) {
    ReaderQuery query(database, db, sql);
    return stepFirst(query.get(), reader, values...);
  });
}

//! True when `sql` (with `values` bound to ?1, ?2, ...) finds a row, on a reader of `database`.
template <class... Values>
Result<bool> readExists(Database& database, const std::string& sql, const Values&... values) {
  return database.read([&](SQLite::Database& db) {
    ReaderQuery query(database, db, sql);
    SQLite::Statement& q = query.get();
    bindAll(q, values...);
    return q.executeStep();
  });
}

// ---- writing ----

//! Runs `change` as one write job. `change` answers false when it finds the rows not in a state
//! for it, before it changed anything; the answer is then `code` with `refusal`. (An expected
//! refusal is a value: a job throws only to roll back on a failure.)
Result<void> changeOrRefuse(Database& database, ErrorCode code, const char* refusal,
                            const std::function<bool(SQLite::Database&)>& change);

//! "SELECT <columns> FROM <rest>": a reader's column list with the rest of its query.
inline std::string selectFrom(const std::string& columns, const std::string& rest) {
  return "SELECT " + columns + " FROM " + rest;
}

}  // namespace bb::storage
