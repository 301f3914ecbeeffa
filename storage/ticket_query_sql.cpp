#include "storage/ticket_query_sql.hpp"

#include "storage/millis.hpp"

namespace bb::storage {
namespace {

//! "Contains the words" on a text column. SQLite's LIKE ignores the case of ASCII letters only;
//! PostgreSQL's ILIKE under the "C" collation folds exactly those, whatever the database's
//! locale, so both backends find the same tickets.
std::string containsClause(TicketFilter& f, const std::string& column, const std::string& text) {
  const std::string marker = f.bind(likePattern(text));
  if (f.dialect == SqlDialect::Sqlite) { return column + " LIKE " + marker + " ESCAPE '\\'"; }
  return column + " COLLATE \"C\" ILIKE " + marker + " ESCAPE '\\'";
}

void addSearch(const std::string& search, TicketFilter& f) {
  const bool numeric = search.size() <= 15 &&
                       search.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    // Digits only: a ticket number, found through the unique index. (Scanning every
    // description for the digits as well took seconds at a million tickets; a house number
    // is found together with its street: "Hauptstraße 12".)
    f.add("t.number = " + f.bind(static_cast<std::int64_t>(std::stoll(search))));
    return;
  }
  const std::string description = containsClause(f, "t.description", search);
  f.add("(" + description + " OR " + containsClause(f, "t.address_text", search) + ")");
}

void addCursor(const TicketQuery& q, TicketFilter& f) {
  if (q.after_id <= 0) { return; }
  switch (q.sort) {
    case TicketSort::Newest:
      f.add("t.id < " + f.bind(q.after_id));
      break;
    case TicketSort::Oldest:
      f.add("t.id > " + f.bind(q.after_id));
      break;
    case TicketSort::Updated: {
      const std::string before = f.bind(q.after_updated_ms);
      const std::string same = f.bind(q.after_updated_ms);
      f.add("(t.updated_at < " + before + " OR (t.updated_at = " + same +
            " AND t.id < " + f.bind(q.after_id) + "))");
      break;
    }
  }
}

}  // namespace

void TicketFilter::add(const std::string& clause) {
  where += where.empty() ? " WHERE " : " AND ";
  where += clause;
}

std::string TicketFilter::bind(Value value) {
  values.push_back(std::move(value));
  return dialect == SqlDialect::Sqlite ? "?" : "$" + std::to_string(values.size());
}

void addTicketScope(const TicketQuery& q, const std::string& prefix, TicketFilter& f) {
  if (!q.all_departments) {
    if (q.departments.empty()) {
      f.add("1 = 0");
    } else {
      std::string in = prefix + "department IN (";
      for (std::size_t i = 0; i < q.departments.size(); ++i) {
        in += (i == 0 ? "" : ", ") + f.bind(q.departments[i]);
      }
      f.add(in + ")");
    }
  }
  if (!q.category.empty()) { f.add(prefix + "category_id = " + f.bind(q.category)); }
  if (!q.department.empty()) { f.add(prefix + "department = " + f.bind(q.department)); }
}

void addTicketFilter(const TicketQuery& q, bool for_counts, TicketFilter& f) {
  addTicketScope(q, "t.", f);
  if (!for_counts && !q.status.empty()) {
    if (q.status == "open") {
      f.add("t.closed_at IS NULL");
    } else if (q.status == "closed") {
      f.add("t.closed_at IS NOT NULL");
    } else {
      f.add("t.status = " + f.bind(q.status));
    }
  }
  if (!q.channel.empty()) { f.add("t.channel = " + f.bind(q.channel)); }
  if (q.unassigned) {
    f.add("t.assignee_id IS NULL");
  } else if (q.assignee > 0) {
    f.add("t.assignee_id = " + f.bind(q.assignee));
  }
  if (q.unread) { f.add("t.unread_citizen_at IS NOT NULL"); }
  if (q.area) {
    const std::string south = f.bind(q.area->south);
    const std::string north = f.bind(q.area->north);
    const std::string west = f.bind(q.area->west);
    f.add("t.lat BETWEEN " + south + " AND " + north + " AND t.lon BETWEEN " + west + " AND " +
          f.bind(q.area->east));
  }
  if (q.created_before) { f.add("t.created_at <= " + f.bind(toMillis(*q.created_before))); }
  if (!q.search.empty()) { addSearch(q.search, f); }
  if (!for_counts) { addCursor(q, f); }
}

const char* ticketOrder(TicketSort sort) {
  switch (sort) {
    case TicketSort::Oldest:
      return " ORDER BY t.id ASC";
    case TicketSort::Updated:
      return " ORDER BY t.updated_at DESC, t.id DESC";
    case TicketSort::Newest:
      break;
  }
  return " ORDER BY t.id DESC";
}

bool countsFromTable(const TicketQuery& q) {
  return q.channel.empty() && !q.unassigned && q.assignee <= 0 && !q.unread &&
         !q.created_before && q.search.empty() && !q.area;
}

std::string likePattern(const std::string& s) {
  std::string out = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') { out.push_back('\\'); }
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace bb::storage
