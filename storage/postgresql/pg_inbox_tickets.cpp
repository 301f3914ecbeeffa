// The inbox's ticket list, map, counts, thread and staff changes on PostgreSQL: the twins of the
// same parts of storage/sqlite_inbox_store.cpp, with the filters of storage/ticket_query_sql.hpp
// and the thread, outbox and case queue rows of storage/postgresql/pg_ticket_rows.cpp.

#include <algorithm>
#include <map>
#include <variant>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_inbox_store.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/ticket_query_sql.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage::pg {
namespace {

std::vector<Param> paramsOf(const TicketFilter& f) {
  std::vector<Param> out;
  out.reserve(f.values.size());
  for (const auto& v : f.values) {
    out.push_back(std::visit([](const auto& value) { return param(value); }, v));
  }
  return out;
}

//! The inbox's ticket row: the ticket (kTicketColumns) and its assignee.
std::string inboxTicketColumns() {
  return std::string(kTicketColumns) +
         ", coalesce(t.assignee_id, 0), coalesce(s.login, ''), t.unread_citizen_at";
}

InboxTicket readInboxTicket(const Rows& q, int i) {
  InboxTicket r;
  r.ticket = readTicketRow(q, i);
  r.assignee_id = q.int64(i, 17);
  r.assignee_login = q.text(i, 18);
  r.unread_since = timeAt(q, i, 19);
  return r;
}

//! Status and count pairs from rows of (status, count).
std::vector<std::pair<std::string, std::int64_t>> countsOf(const Rows& q) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (int i = 0; i < q.size(); ++i) { out.emplace_back(q.text(i, 0), q.int64(i, 1)); }
  return out;
}

void touchTicket(Session& s, std::int64_t ticket_id, std::int64_t now) {
  s.run("UPDATE tickets SET updated_at = $1 WHERE id = $2", now, ticket_id);
}

std::string staffActor(const AuditEntry& audit) { return "staff:" + audit.actor; }

//! A thread event without a status (staff actions).
void addEvent(Session& s, std::int64_t ticket_id, const std::string& kind, const AuditEntry& audit,
              const std::string& body, std::int64_t now) {
  addTicketEvent(s, ticket_id, kind, staffActor(audit), "", body, 0, now);
}

//! New tickets per department from the counts table.
void countNewTickets(Session& s, const TicketQuery& scope, std::map<std::string, NewWork>& out) {
  TicketFilter f(SqlDialect::Postgresql);
  addTicketScope(scope, "", f);
  f.add("status = 'eingegangen'");
  Rows c = s.exec("SELECT department, sum(n) FROM ticket_counts" + f.where +
                      " GROUP BY department HAVING sum(n) > 0",
                  paramsOf(f));
  for (int i = 0; i < c.size(); ++i) { out[c.text(i, 0)].new_tickets = c.int64(i, 1); }
}

//! Unread messages: the events since the oldest one no staff member opened the ticket after
//! (only such tickets have unread_citizen_at).
void countNewMessages(Session& s, const TicketQuery& scope, std::map<std::string, NewWork>& out) {
  TicketFilter f(SqlDialect::Postgresql);
  addTicketScope(scope, "t.", f);
  f.add("t.unread_citizen_at IS NOT NULL");
  Rows m = s.exec("SELECT t.department, count(*) FROM tickets t JOIN ticket_events e "
                  "ON e.ticket_id = t.id AND e.kind = 'citizen_message' "
                  "AND e.created_at >= t.unread_citizen_at" + f.where + " GROUP BY t.department",
                  paramsOf(f));
  for (int i = 0; i < m.size(); ++i) { out[m.text(i, 0)].new_messages = m.int64(i, 1); }
}

}  // namespace

// ---- tickets ----

Result<TicketPage> PgInboxStore::listTickets(const TicketQuery& query) {
  TicketFilter f(SqlDialect::Postgresql);
  addTicketFilter(query, false, f);
  const int limit = std::max(1, std::min(query.limit, 200));
  const std::string limit_marker = f.bind(static_cast<std::int64_t>(limit + 1));
  return db_.withConnection([&](Session& s) {
    Rows q = s.exec("SELECT " + inboxTicketColumns() +
                        " FROM tickets t LEFT JOIN staff_users s ON s.id = t.assignee_id" +
                        f.where + ticketOrder(query.sort) + " LIMIT " + limit_marker,
                    paramsOf(f));
    TicketPage page;
    for (int i = 0; i < q.size(); ++i) { page.rows.push_back(readInboxTicket(q, i)); }
    if (static_cast<int>(page.rows.size()) > limit) {
      page.rows.pop_back();
      page.has_more = true;
    }
    return page;
  });
}

Result<std::vector<TicketPlace>> PgInboxStore::ticketPlaces(const TicketQuery& query, int limit) {
  TicketQuery all = query;
  all.after_id = 0;
  all.after_updated_ms = 0;
  TicketFilter f(SqlDialect::Postgresql);
  addTicketFilter(all, false, f);
  f.add("t.lat IS NOT NULL AND t.lon IS NOT NULL");
  const std::string limit_marker = f.bind(static_cast<std::int64_t>(std::max(limit, 0) + 1));
  return db_.withConnection([&](Session& s) {
    Rows q = s.exec("SELECT t.number, t.status, t.lat, t.lon FROM tickets t" + f.where +
                        ticketOrder(query.sort) + " LIMIT " + limit_marker,
                    paramsOf(f));
    std::vector<TicketPlace> out;
    for (int i = 0; i < q.size(); ++i) {
      out.push_back(TicketPlace{q.int64(i, 0), q.text(i, 1), q.real(i, 2), q.real(i, 3)});
    }
    return out;
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>> PgInboxStore::statusCounts(
    const TicketQuery& query) {
  TicketFilter f(SqlDialect::Postgresql);
  if (countsFromTable(query)) {
    addTicketScope(query, "", f);
    return db_.withConnection([&](Session& s) {
      return countsOf(s.exec("SELECT status, sum(n) FROM ticket_counts" + f.where +
                                 " GROUP BY status HAVING sum(n) > 0 ORDER BY status COLLATE \"C\"",
                             paramsOf(f)));
    });
  }
  addTicketFilter(query, true, f);
  return db_.withConnection([&](Session& s) {
    return countsOf(s.exec("SELECT t.status, count(*) FROM tickets t" + f.where +
                               " GROUP BY t.status ORDER BY t.status COLLATE \"C\"",
                           paramsOf(f)));
  });
}

Result<std::optional<InboxTicket>> PgInboxStore::inboxTicket(std::int64_t number) {
  return db_.withConnection([&](Session& s) -> std::optional<InboxTicket> {
    Rows q = s.run("SELECT " + inboxTicketColumns() +
                       " FROM tickets t LEFT JOIN staff_users s ON s.id = t.assignee_id "
                       "WHERE t.number = $1",
                   number);
    if (q.empty()) { return std::nullopt; }
    InboxTicket t = readInboxTicket(q, 0);
    t.ticket.photo_media_ids = ticketPhotoIds(s, t.ticket.id);
    return t;
  });
}

Result<std::vector<ThreadEntry>> PgInboxStore::thread(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    Rows q = s.run("SELECT e.id, e.kind, e.actor, coalesce(e.status, ''), e.body, "
                   "e.created_at, coalesce(e.outbox_id, 0), coalesce(o.status, ''), "
                   "coalesce(o.error, ''), coalesce(o.payload, ''), coalesce(e.media_id, 0) "
                   "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                   "LEFT JOIN outbox o ON o.id = e.outbox_id "
                   "WHERE t.number = $1 ORDER BY e.id LIMIT 1000",
                   number);
    std::vector<ThreadEntry> out;
    for (int i = 0; i < q.size(); ++i) {
      ThreadEntry e;
      e.id = q.int64(i, 0);
      e.kind = q.text(i, 1);
      e.actor = q.text(i, 2);
      e.status = q.text(i, 3);
      e.body = q.text(i, 4);
      e.at = fromMillis(q.int64(i, 5));
      e.outbox_id = q.int64(i, 6);
      e.outbox_status = q.text(i, 7);
      e.outbox_error = q.text(i, 8);
      e.outbox_payload = q.text(i, 9);
      e.media_id = q.int64(i, 10);
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<std::optional<InboxMedia>> PgInboxStore::ticketMedia(std::int64_t media_id) {
  return db_.withConnection([&](Session& s) -> std::optional<InboxMedia> {
    // The ticket a photo belongs to: the report's own photos first, then the thread's.
    Rows q = s.run("SELECT m.id, t.number, t.department, m.status, coalesce(m.content_id, ''), "
                   "coalesce(m.mime_type, '') FROM media m JOIN tickets t ON t.id = "
                   "coalesce((SELECT p.ticket_id FROM ticket_photos p WHERE p.media_id = m.id "
                   "ORDER BY p.ticket_id LIMIT 1), (SELECT e.ticket_id FROM ticket_events e "
                   "WHERE e.media_id = m.id ORDER BY e.id LIMIT 1)) WHERE m.id = $1 LIMIT 1",
                   media_id);
    if (q.empty()) { return std::nullopt; }
    return InboxMedia{q.int64(0, 0), q.int64(0, 1), q.text(0, 2),
                      q.text(0, 3),  q.text(0, 4),  q.text(0, 5)};
  });
}

Result<std::int64_t> PgInboxStore::unreadCount(const TicketQuery& query) {
  TicketQuery q = query;
  q.unread = true;
  TicketFilter f(SqlDialect::Postgresql);
  addTicketFilter(q, true, f);
  return db_.withConnection([&](Session& s) {
    return s.exec("SELECT count(*) FROM tickets t" + f.where, paramsOf(f)).int64(0, 0);
  });
}

Result<std::vector<NewWork>> PgInboxStore::newWork(const TicketQuery& scope) {
  TicketQuery q;
  q.all_departments = scope.all_departments;
  q.departments = scope.departments;
  return db_.withConnection([&](Session& s) {
    std::map<std::string, NewWork> by_department;
    countNewTickets(s, q, by_department);
    countNewMessages(s, q, by_department);
    std::vector<NewWork> out;
    for (auto& [department, w] : by_department) {
      w.department = department;
      out.push_back(std::move(w));
    }
    return out;
  });
}

Result<void> PgInboxStore::markCitizenMessagesRead(std::int64_t number) {
  return db_.withConnection([number](Session& s) {
    s.run("UPDATE tickets SET unread_citizen_at = NULL "
          "WHERE number = $1 AND unread_citizen_at IS NOT NULL",
          number);
  });
}

// ---- staff changes ----

Result<void> PgInboxStore::addStaffReply(std::int64_t number, const NewOutbound& o,
                                         const std::string& body, const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    // The recipient's lock before the ticket's row lock (touchTicket), as a status change takes
    // them: the outbox row commits in the order of the recipient's ids.
    lockRecipients(s, {o.pseudonym});
    const std::int64_t ticket_id = ticketIdOf(s, number);
    if (ticket_id == 0) { return false; }
    const std::int64_t outbox_id = insertOutbound(s, o, ticket_id, now);
    addTicketEvent(s, ticket_id, "staff_reply", staffActor(audit), "", body, outbox_id, now);
    openReplyWindow(s, o.pseudonym, ticket_id, now);
    touchTicket(s, ticket_id, now);
    CaseChange change;
    change.message = body;
    appendCaseEntry(s, ticket_id, "message", change, now, grid_m_);  // same transaction
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::addUnsentStaffReply(std::int64_t number, const std::string& body,
                                               const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(s, number);
    if (ticket_id == 0) { return false; }
    addTicketEvent(s, ticket_id, "staff_reply", staffActor(audit), "withheld", body, 0, now);
    touchTicket(s, ticket_id, now);
    CaseChange change;
    change.message = body;
    appendCaseEntry(s, ticket_id, "message", change, now, grid_m_);  // same transaction
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::addInternalNote(std::int64_t number, const std::string& body,
                                           const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(s, number);
    if (ticket_id == 0) { return false; }
    addEvent(s, ticket_id, "internal_note", audit, body, now);
    touchTicket(s, ticket_id, now);
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::assign(std::int64_t number, std::int64_t assignee,
                                  const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(s, number);
    if (ticket_id == 0) { return false; }
    std::string login;
    if (assignee > 0) {
      Rows active =
          s.run("SELECT login FROM staff_users WHERE id = $1 AND disabled = 0", assignee);
      if (active.empty()) { return false; }
      login = active.text(0, 0);
    }
    s.run("UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3",
          assignee > 0 ? param(assignee) : Param(), now, ticket_id);
    addEvent(s, ticket_id, "assigned", audit, login, now);
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::recategorize(std::int64_t number, const std::string& category,
                                        const std::string& department, const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    // Locked as the UPDATE below locks it: a change at the same moment cannot slip between
    // reading the old category and writing the new one.
    Rows before = s.run("SELECT id, category_id, department FROM tickets WHERE number = $1 "
                        "FOR NO KEY UPDATE",
                        number);
    if (before.empty()) { return false; }
    const std::int64_t ticket_id = before.int64(0, 0);
    CaseChange change;
    change.from_category = before.text(0, 1);
    change.from_department = before.text(0, 2);
    s.run("UPDATE tickets SET category_id = $1, department = $2, updated_at = $3 WHERE id = $4",
          category, department, now, ticket_id);
    addEvent(s, ticket_id, "recategorized", audit, category + " / " + department, now);
    // Routed to the new department, which now owns the ticket; `change.from` names the old one.
    appendCaseEntry(s, ticket_id, "recategorized", change, now, grid_m_);
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::mergeFollowers(std::int64_t duplicate, std::int64_t target,
                                          const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t dup_id = ticketIdOf(s, duplicate);
    const std::int64_t target_id = ticketIdOf(s, target);
    if (dup_id == 0 || target_id == 0) { return false; }
    s.run("INSERT INTO ticket_followers (ticket_id, pseudonym, created_at) "
          "SELECT $1::bigint, pseudonym, $2::bigint FROM ticket_followers WHERE ticket_id = $3 "
          "ON CONFLICT DO NOTHING",
          target_id, now, dup_id);
    addEvent(s, dup_id, "merged_into", audit, std::to_string(target), now);
    addEvent(s, target_id, "merged_from", audit, std::to_string(duplicate), now);
    touchTicket(s, target_id, now);
    CaseChange change;
    change.merged_into = target;
    appendCaseEntry(s, dup_id, "merged", change, now, grid_m_);  // same transaction
    insertAudit(s, audit);
    return true;
  });
}

}  // namespace bb::storage::pg
