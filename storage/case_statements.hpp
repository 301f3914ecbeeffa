#pragma once
// The SQL and the small helpers of the case store that read the same on SQLite and PostgreSQL
// (storage/sqlite_case_store.cpp, storage/postgresql/pg_case_store.cpp), so that the two
// backends cannot drift apart in what a queue entry or a public ticket is.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "bot/cases/case_store.hpp"
#include "storage/millis.hpp"

namespace bb::storage {

//! The public grid (metres) coordinates are rounded to (open311.public_grid_m).
inline constexpr double kDefaultPublicGridM = 25.0;

//! The columns of a case queue entry, in the order both stores read them.
inline constexpr const char* kCaseEntryColumns =
    "id, ticket_number, department, event_type, payload, created_at, state, tries, "
    "next_attempt_at, coalesce(last_status, 0), coalesce(last_error, ''), "
    "coalesce(thread_first, 0), coalesce(thread_last, 0)";

//! A ticket as the public may see it, followed by a WHERE clause. The latest public note: a
//! status change's note or a public note, never citizen text.
inline constexpr const char* kPublicTicketSelect =
    "SELECT t.number, t.kind, t.category_id, t.department, t.status, t.lat, t.lon, t.created_at, "
    "t.updated_at, t.closed_at, coalesce(p.public_description, ''), coalesce(p.external_ref, ''), "
    "coalesce((SELECT e.body FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind IN "
    "('status_changed', 'public_note') AND e.body <> '' ORDER BY e.id DESC LIMIT 1), ''), "
    "t.district_id FROM tickets t LEFT JOIN ticket_public p ON p.ticket_id = t.id ";

//! The SQL of a public ticket list and the values of its parameters: $1, $2, ... in the order
//! of the text, so that SQLite (which numbers named parameters as they appear) binds them alike.
struct PublicTicketsSql {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> values;
};

inline PublicTicketsSql publicTicketsSql(const PublicTicketQuery& query) {
  PublicTicketsSql out{std::string(kPublicTicketSelect) + "WHERE t.kind = 'defect'", {}};
  auto next = [&out](std::variant<std::int64_t, std::string> value) {
    out.values.push_back(std::move(value));
    return "$" + std::to_string(out.values.size());
  };
  auto in = [&](const char* column, const auto& items) {
    std::string list;
    for (const auto& i : items) { list += (list.empty() ? "" : ", ") + next(i); }
    out.sql += std::string(" AND ") + column + " IN (" + list + ")";
  };
  if (!query.numbers.empty()) {
    in("t.number", query.numbers);  // overrides every other filter (Open311)
  } else {
    if (!query.category_ids.empty()) { in("t.category_id", query.category_ids); }
    if (query.start) { out.sql += " AND t.created_at >= " + next(toMillis(*query.start)); }
    if (query.end) { out.sql += " AND t.created_at <= " + next(toMillis(*query.end)); }
    if (query.closed) {
      out.sql += *query.closed ? " AND t.closed_at IS NOT NULL" : " AND t.closed_at IS NULL";
    }
  }
  // One after the other: SQLite numbers the parameters in the order they appear in the text.
  const std::string limit = next(std::int64_t{query.limit});
  const std::string offset = next(std::int64_t{query.offset});
  out.sql += " ORDER BY t.created_at DESC, t.number DESC LIMIT " + limit + " OFFSET " + offset;
  return out;
}

//! An API key's departments as stored ("a,b"; "*" for all).
inline std::string joinDepartments(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) { out += ","; }
    out += i;
  }
  return out;
}

inline std::vector<std::string> splitDepartments(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const auto end = comma == std::string::npos ? s.size() : comma;
    if (end > start) { out.push_back(s.substr(start, end - start)); }
    if (comma == std::string::npos) { break; }
    start = comma + 1;
  }
  return out;
}

}  // namespace bb::storage
