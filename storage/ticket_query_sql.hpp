#pragma once
// The WHERE clause of the inbox's ticket queries (bot/staff/inbox_store.hpp TicketQuery), one
// definition for SqliteInboxStore and PgInboxStore: the same filters, cursor and search on both
// backends. Only the parameter markers and the text search's case folding are the backend's.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "bot/staff/inbox_store.hpp"

namespace bb::storage {

enum class SqlDialect { Sqlite, Postgresql };

//! A WHERE clause being built and the values of its parameters, in order.
struct TicketFilter {
  using Value = std::variant<std::int64_t, std::string, double>;

  explicit TicketFilter(SqlDialect d) : dialect(d) {}
  //! Appends `clause` with AND (or as the first clause).
  void add(const std::string& clause);
  //! The marker of the next parameter, which is `value`: "?" on SQLite, "$n" on PostgreSQL.
  std::string bind(Value value);

  SqlDialect dialect;
  std::string where;  //!< "" or " WHERE ..."
  std::vector<Value> values;
};

//! The scope of a query: the staff member's departments and the category and department
//! filters. `prefix` names the table ("t." for tickets, "" for ticket_counts, which has the
//! same column names).
void addTicketScope(const TicketQuery& q, const std::string& prefix, TicketFilter& f);

//! The whole filter of `q` on tickets `t` (without status filter and cursor when `for_counts`).
void addTicketFilter(const TicketQuery& q, bool for_counts, TicketFilter& f);

//! " ORDER BY ..." of the sort, matching the keyset cursor of addTicketFilter.
const char* ticketOrder(TicketSort sort);

//! True when the counts table answers `q`: it is kept per department, category and status,
//! so only those filters (and the status filter, which counts ignore) can be read from it.
bool countsFromTable(const TicketQuery& q);

//! `s` as a LIKE pattern for "contains", its wildcards escaped (used with ESCAPE '\').
std::string likePattern(const std::string& s);

}  // namespace bb::storage
