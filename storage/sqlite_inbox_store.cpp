#include "storage/sqlite_inbox_store.hpp"

#include "storage/ticket_rows.hpp"

#include <map>
#include <variant>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/sqlite_case_store.hpp"
#include "storage/ticket_query_sql.hpp"

namespace bb::storage {
namespace {

void bindValues(SQLite::Statement& q, const std::vector<TicketFilter::Value>& values) {
  int i = 1;
  for (const auto& v : values) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      q.bind(i, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      q.bind(i, *d);
    } else {
      q.bind(i, std::get<std::string>(v));
    }
    ++i;
  }
}

//! A staff change: `change` answers false when the ticket or account it names does not exist.
Result<void> changeKnown(Database& database, const std::function<bool(SQLite::Database&)>& change) {
  return changeOrRefuse(database, ErrorCode::NotFound, "no such ticket or account", change);
}

std::vector<std::string> departmentsOf(SQLite::Database& db, std::int64_t staff_id) {
  std::vector<std::string> out;
  SQLite::Statement q(db,
                      "SELECT department FROM staff_departments WHERE staff_id = ? ORDER BY department");
  q.bind(1, staff_id);
  while (q.executeStep()) { out.push_back(q.getColumn(0).getString()); }
  return out;
}

constexpr const char* kStaffColumns =
    "id, login, role, password_hash, disabled, created_at, must_change_password";

StaffUser readStaff(SQLite::Database& db, SQLite::Statement& q) {
  StaffUser u;
  u.id = q.getColumn(0).getInt64();
  u.login = q.getColumn(1).getString();
  u.role = staffRoleFromString(q.getColumn(2).getString()).value_or(StaffRole::Agent);
  u.password_hash = q.getColumn(3).getString();
  u.disabled = q.getColumn(4).getInt() != 0;
  u.created_at = fromMillis(q.getColumn(5).getInt64());
  u.must_change_password = q.getColumn(6).getInt() != 0;
  u.departments = departmentsOf(db, u.id);
  return u;
}

void setDepartments(SQLite::Database& db, std::int64_t staff_id,
                    const std::vector<std::string>& departments) {
  SQLite::Statement d(db, "DELETE FROM staff_departments WHERE staff_id = ?");
  d.bind(1, staff_id);
  d.exec();
  SQLite::Statement q(db,
                      "INSERT OR IGNORE INTO staff_departments (staff_id, department) VALUES (?, ?)");
  for (const auto& dep : departments) {
    q.bind(1, staff_id);
    q.bind(2, dep);
    q.exec();
    q.reset();
  }
}

void insertAudit(SQLite::Database& db, const AuditEntry& e) {
  SQLite::Statement q(db,
                      "INSERT INTO audit_log (at, staff_id, actor, action, ticket_number, detail) "
                      "VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, toMillis(e.at));
  if (e.staff_id > 0) {
    q.bind(2, e.staff_id);
  } else {
    q.bind(2);
  }
  q.bind(3, e.actor);
  q.bind(4, e.action);
  if (e.ticket_number > 0) {
    q.bind(5, e.ticket_number);
  } else {
    q.bind(5);
  }
  q.bind(6, e.detail);
  q.exec();
}

AuditEntry readAudit(SQLite::Statement& q) {
  AuditEntry e;
  e.id = q.getColumn(0).getInt64();
  e.at = fromMillis(q.getColumn(1).getInt64());
  e.staff_id = optionalId(q.getColumn(2));
  e.actor = q.getColumn(3).getString();
  e.action = q.getColumn(4).getString();
  e.ticket_number = optionalId(q.getColumn(5));
  e.detail = q.getColumn(6).getString();
  return e;
}

constexpr const char* kAuditColumns = "id, at, staff_id, actor, action, ticket_number, detail";

StaffSession readSession(SQLite::Statement& q) {
  return StaffSession{q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                      q.getColumn(2).getString(), fromMillis(q.getColumn(3).getInt64()),
                      fromMillis(q.getColumn(4).getInt64())};
}

//! The inbox's ticket row: the ticket (kTicketColumns) and its assignee.
std::string inboxTicketColumns() {
  return std::string(kTicketColumns) +
         ", coalesce(t.assignee_id, 0), coalesce(s.login, ''), t.unread_citizen_at";
}

InboxTicket readInboxTicket(SQLite::Statement& q) {
  InboxTicket r;
  r.ticket = readTicketRow(q);
  r.assignee_id = q.getColumn(17).getInt64();
  r.assignee_login = q.getColumn(18).getString();
  r.unread_since = optionalTime(q.getColumn(19));
  return r;
}

//! A thread event without a status (staff actions).
void addEvent(SQLite::Database& db, std::int64_t ticket_id, const std::string& kind,
              const std::string& actor, const std::string& body, std::int64_t outbox_id,
              std::int64_t now) {
  addTicketEvent(db, ticket_id, kind, actor, "", body, outbox_id, now);
}

void touchTicket(SQLite::Database& db, std::int64_t ticket_id, std::int64_t now) {
  SQLite::Statement q(db, "UPDATE tickets SET updated_at = ? WHERE id = ?");
  q.bind(1, now);
  q.bind(2, ticket_id);
  q.exec();
}

std::string staffActor(const AuditEntry& audit) { return "staff:" + audit.actor; }

}  // namespace

// ---- staff accounts ----

Result<std::int64_t> SqliteInboxStore::createStaff(const StaffUser& user, SysTime now) {
  auto existing = staffByLogin(user.login);
  if (!existing) { return fail(existing.error().code, existing.error().detail); }
  if (*existing) { return fail(ErrorCode::Conflict, "login exists"); }
  std::int64_t id = 0;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO staff_users (login, role, password_hash, disabled, created_at, "
                        "updated_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, user.login);
    q.bind(2, toString(user.role));
    q.bind(3, user.password_hash);
    q.bind(4, user.disabled ? 1 : 0);
    q.bind(5, toMillis(now));
    q.bind(6, toMillis(now));
    q.bind(7, user.must_change_password ? 1 : 0);
    q.exec();
    id = db.getLastInsertRowid();
    setDepartments(db, id, user.departments);
  });
  if (!r) {
    if (r.error().detail.find("UNIQUE") != std::string::npos) {
      return fail(ErrorCode::Conflict, "login exists");
    }
    return fail(r.error().code, r.error().detail);
  }
  return id;
}

Result<std::optional<StaffUser>> SqliteInboxStore::staffByLogin(const std::string& login) {
  return db_.read([&](SQLite::Database& db) {
    return firstRow(
        db, selectFrom(kStaffColumns, "staff_users WHERE login = ? COLLATE NOCASE"),
        [&db](SQLite::Statement& q) { return readStaff(db, q); }, login);
  });
}

Result<std::optional<StaffUser>> SqliteInboxStore::staffById(std::int64_t id) {
  return db_.read([&](SQLite::Database& db) {
    return firstRow(
        db, selectFrom(kStaffColumns, "staff_users WHERE id = ?"),
        [&db](SQLite::Statement& q) { return readStaff(db, q); }, id);
  });
}

Result<std::vector<StaffUser>> SqliteInboxStore::listStaff() {
  return db_.read([&](SQLite::Database& db) {
    return allRows(db, selectFrom(kStaffColumns, "staff_users ORDER BY login COLLATE NOCASE"),
                   [&db](SQLite::Statement& q) { return readStaff(db, q); });
  });
}

Result<std::int64_t> SqliteInboxStore::staffCount() {
  return db_.read([](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM staff_users").getInt64();
  });
}

Result<void> SqliteInboxStore::updateStaff(std::int64_t id, StaffRole role,
                                           const std::vector<std::string>& departments,
                                           bool disabled, const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE staff_users SET role = ?, disabled = ?, updated_at = ? WHERE id = ?");
    bindAll(q, toString(role), disabled, audit.at, id);
    if (q.exec() == 0) { return false; }
    setDepartments(db, id, departments);
    if (disabled) {
      SQLite::Statement d(db, "DELETE FROM staff_sessions WHERE staff_id = ?");
      d.bind(1, id);
      d.exec();
    }
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::setPassword(std::int64_t id, const std::string& password_hash,
                                           bool must_change, const std::string& keep_session_hash,
                                           const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE staff_users SET password_hash = ?, must_change_password = ?, "
                        "updated_at = ? WHERE id = ?");
    bindAll(q, password_hash, must_change, audit.at, id);
    if (q.exec() == 0) { return false; }
    // A password known elsewhere must not keep another browser signed in.
    SQLite::Statement d(db, "DELETE FROM staff_sessions WHERE staff_id = ? AND id_hash <> ?");
    bindAll(d, id, keep_session_hash);
    d.exec();
    insertAudit(db, audit);
    return true;
  });
}

Result<std::optional<DigestSetting>> SqliteInboxStore::digestSetting(std::int64_t staff_id) {
  return db_.read([&](SQLite::Database& db) -> std::optional<DigestSetting> {
    SQLite::Statement q(db,
                        "SELECT email, enabled, last_day, sent_at, failed_tries, last_error, "
                        "failed_at FROM staff_digests WHERE staff_id = ?");
    q.bind(1, staff_id);
    if (!q.executeStep()) { return std::nullopt; }
    DigestSetting d;
    d.email = q.getColumn(0).getString();
    d.enabled = q.getColumn(1).getInt() != 0;
    d.last_day = q.getColumn(2).getString();
    if (!q.getColumn(3).isNull()) { d.sent_at = fromMillis(q.getColumn(3).getInt64()); }
    d.failed_tries = q.getColumn(4).getInt();
    d.last_error = q.getColumn(5).getString();
    if (!q.getColumn(6).isNull()) { d.failed_at = fromMillis(q.getColumn(6).getInt64()); }
    return d;
  });
}

Result<void> SqliteInboxStore::setDigest(std::int64_t staff_id, const std::string& email,
                                         bool enabled, const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    SQLite::Statement known(db, "SELECT 1 FROM staff_users WHERE id = ?");
    known.bind(1, staff_id);
    if (!known.executeStep()) { return false; }
    SQLite::Statement q(db,
                        "INSERT INTO staff_digests (staff_id, email, enabled) VALUES (?, ?, ?) "
                        "ON CONFLICT (staff_id) DO UPDATE SET email = excluded.email, "
                        "enabled = excluded.enabled, failed_day = NULL, failed_tries = 0, "
                        "last_error = NULL, failed_at = NULL");
    bindAll(q, staff_id, email, enabled);
    q.exec();
    insertAudit(db, audit);
    return true;
  });
}

Result<std::vector<DigestDue>> SqliteInboxStore::digestsDue(const std::string& day) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<DigestDue> out;
    SQLite::Statement q(db,
                        "SELECT d.staff_id, d.email, CASE WHEN d.failed_day = ? THEN "
                        "d.failed_tries ELSE 0 END FROM staff_digests d JOIN staff_users u "
                        "ON u.id = d.staff_id WHERE d.enabled = 1 AND d.email <> '' AND "
                        "u.disabled = 0 AND (d.last_day IS NULL OR d.last_day < ?) "
                        "ORDER BY d.staff_id");
    bindAll(q, day, day);
    std::vector<std::tuple<std::int64_t, std::string, int>> rows;
    while (q.executeStep()) {
      rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                        q.getColumn(2).getInt());
    }
    for (auto& [id, email, tries] : rows) {
      SQLite::Statement u(db, selectFrom(kStaffColumns, "staff_users WHERE id = ?"));
      u.bind(1, id);
      if (!u.executeStep()) { continue; }
      out.push_back(DigestDue{readStaff(db, u), email, tries});
    }
    return out;
  });
}

Result<void> SqliteInboxStore::recordDigestDone(std::int64_t staff_id, const std::string& day,
                                                std::optional<SysTime> sent_at) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE staff_digests SET last_day = ?, sent_at = coalesce(?, sent_at), "
                        "failed_day = NULL, failed_tries = 0, last_error = NULL, failed_at = NULL "
                        "WHERE staff_id = ?");
    q.bind(1, day);
    if (sent_at) {
      q.bind(2, static_cast<std::int64_t>(toMillis(*sent_at)));
    } else {
      q.bind(2);
    }
    q.bind(3, staff_id);
    q.exec();
  });
}

Result<void> SqliteInboxStore::recordDigestFailure(std::int64_t staff_id, const std::string& day,
                                                   const std::string& error, SysTime at,
                                                   int max_tries) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE staff_digests SET failed_tries = CASE WHEN failed_day = ? THEN "
                        "failed_tries + 1 ELSE 1 END, failed_day = ?, last_error = ?, failed_at = ? "
                        "WHERE staff_id = ?");
    bindAll(q, day, day, error, at, staff_id);
    q.exec();
    // Given up for today: the day counts as done, the error stays for the member to see.
    SQLite::Statement g(db,
                        "UPDATE staff_digests SET last_day = ? WHERE staff_id = ? AND "
                        "failed_tries >= ?");
    bindAll(g, day, staff_id, max_tries);
    g.exec();
  });
}

Result<void> SqliteInboxStore::endAllSessions(std::int64_t staff_id, const AuditEntry& audit) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement d(db, "DELETE FROM staff_sessions WHERE staff_id = ?");
    d.bind(1, staff_id);
    d.exec();
    insertAudit(db, audit);
  });
}

// ---- sessions ----

Result<void> SqliteInboxStore::createSession(const StaffSession& s) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO staff_sessions (id_hash, staff_id, csrf_token, created_at, "
                        "last_seen_at) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, s.id_hash);
    q.bind(2, s.staff_id);
    q.bind(3, s.csrf_token);
    q.bind(4, toMillis(s.created_at));
    q.bind(5, toMillis(s.last_seen_at));
    q.exec();
  });
}

Result<std::optional<StaffSession>> SqliteInboxStore::session(const std::string& id_hash) {
  return readFirst(db_,
                   "SELECT id_hash, staff_id, csrf_token, created_at, last_seen_at "
                   "FROM staff_sessions WHERE id_hash = ?",
                   readSession, id_hash);
}

Result<void> SqliteInboxStore::touchSession(const std::string& id_hash, SysTime now) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?");
    q.bind(1, toMillis(now));
    q.bind(2, id_hash);
    q.exec();
  });
}

Result<void> SqliteInboxStore::deleteSession(const std::string& id_hash) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM staff_sessions WHERE id_hash = ?");
    q.bind(1, id_hash);
    q.exec();
  });
}

// ---- failed logins ----

Result<void> SqliteInboxStore::recordLoginFailure(const std::string& key_hash, SysTime at,
                                                  SysTime forget_before) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement old(db, "DELETE FROM login_failures WHERE at < ?");
    old.bind(1, toMillis(forget_before));
    old.exec();
    SQLite::Statement q(db, "INSERT INTO login_failures (key_hash, at) VALUES (?, ?)");
    q.bind(1, key_hash);
    q.bind(2, toMillis(at));
    q.exec();
  });
}

Result<std::vector<std::pair<std::string, SysTime>>> SqliteInboxStore::loginFailuresSince(
    SysTime since) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<std::pair<std::string, SysTime>> out;
    SQLite::Statement q(db, "SELECT key_hash, at FROM login_failures WHERE at >= ? ORDER BY at");
    q.bind(1, toMillis(since));
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), fromMillis(q.getColumn(1).getInt64()));
    }
    return out;
  });
}

Result<void> SqliteInboxStore::clearLoginFailures(const std::string& key_hash) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM login_failures WHERE key_hash = ?");
    q.bind(1, key_hash);
    q.exec();
  });
}

// ---- audit ----

Result<void> SqliteInboxStore::addAudit(const AuditEntry& entry) {
  return db_.write([&](SQLite::Database& db) { insertAudit(db, entry); });
}

Result<std::vector<AuditEntry>> SqliteInboxStore::auditLog(std::int64_t before_id, int limit) {
  return db_.read([&](SQLite::Database& db) {
    const std::int64_t before = before_id > 0 ? before_id : INT64_MAX;
    return allRows(db, selectFrom(kAuditColumns, "audit_log WHERE id < ? ORDER BY id DESC LIMIT ?"),
                   readAudit, before, limit);
  });
}

Result<std::vector<AuditEntry>> SqliteInboxStore::auditOfTicket(std::int64_t number) {
  return readAll(
      db_, selectFrom(kAuditColumns, "audit_log WHERE ticket_number = ? ORDER BY id LIMIT 500"),
      readAudit, number);
}

// ---- tickets ----

Result<TicketPage> SqliteInboxStore::listTickets(const TicketQuery& query) {
  return db_.read([&](SQLite::Database& db) {
    TicketFilter f(SqlDialect::Sqlite);
    addTicketFilter(query, false, f);
    const int limit = std::max(1, std::min(query.limit, 200));
    const std::string limit_marker = f.bind(static_cast<std::int64_t>(limit + 1));
    SQLite::Statement q(db, selectFrom(inboxTicketColumns(),
                                       "tickets t LEFT JOIN staff_users s ON s.id = t.assignee_id" +
                                           f.where + ticketOrder(query.sort) + " LIMIT " +
                                           limit_marker));
    bindValues(q, f.values);
    TicketPage page;
    while (q.executeStep()) { page.rows.push_back(readInboxTicket(q)); }
    if (static_cast<int>(page.rows.size()) > limit) {
      page.rows.pop_back();
      page.has_more = true;
    }
    return page;
  });
}

Result<std::vector<TicketPlace>> SqliteInboxStore::ticketPlaces(const TicketQuery& query,
                                                                int limit) {
  TicketQuery all = query;
  all.after_id = 0;
  all.after_updated_ms = 0;
  TicketFilter f(SqlDialect::Sqlite);
  addTicketFilter(all, false, f);
  f.add("t.lat IS NOT NULL AND t.lon IS NOT NULL");
  const std::string limit_marker = f.bind(static_cast<std::int64_t>(std::max(limit, 0) + 1));
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT t.number, t.status, t.lat, t.lon FROM tickets t" + f.where +
                                ticketOrder(query.sort) + " LIMIT " + limit_marker);
    bindValues(q, f.values);
    std::vector<TicketPlace> out;
    while (q.executeStep()) {
      out.push_back(TicketPlace{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                                q.getColumn(2).getDouble(), q.getColumn(3).getDouble()});
    }
    return out;
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteInboxStore::statusCounts(
    const TicketQuery& query) {
  if (countsFromTable(query)) { return statusCountsFromTable(query); }
  return db_.read([&](SQLite::Database& db) {
    TicketFilter f(SqlDialect::Sqlite);
    addTicketFilter(query, true, f);
    SQLite::Statement q(db, "SELECT t.status, count(*) FROM tickets t" + f.where +
                                " GROUP BY t.status");
    bindValues(q, f.values);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
    return out;
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>>
SqliteInboxStore::statusCountsFromTable(const TicketQuery& query) {
  return db_.read([&](SQLite::Database& db) {
    TicketFilter f(SqlDialect::Sqlite);
    addTicketScope(query, "", f);
    SQLite::Statement q(db, "SELECT status, sum(n) FROM ticket_counts" + f.where +
                                " GROUP BY status HAVING sum(n) > 0 ORDER BY status");
    bindValues(q, f.values);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
    return out;
  });
}

Result<std::optional<InboxTicket>> SqliteInboxStore::inboxTicket(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) {
    return firstRow(
        db,
        selectFrom(inboxTicketColumns(),
                   "tickets t LEFT JOIN staff_users s ON s.id = t.assignee_id WHERE t.number = ?"),
        [&db](SQLite::Statement& q) {
          InboxTicket t = readInboxTicket(q);
          t.ticket.photo_media_ids = ticketPhotoIds(db, t.ticket.id);
          return t;
        },
        number);
  });
}

Result<std::vector<ThreadEntry>> SqliteInboxStore::thread(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<ThreadEntry> out;
    SQLite::Statement q(db,
                        "SELECT e.id, e.kind, e.actor, coalesce(e.status, ''), e.body, "
                        "e.created_at, coalesce(e.outbox_id, 0), coalesce(o.status, ''), "
                        "coalesce(o.error, ''), coalesce(o.payload, ''), coalesce(e.media_id, 0) "
                        "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                        "LEFT JOIN outbox o ON o.id = e.outbox_id "
                        "WHERE t.number = ? ORDER BY e.id LIMIT 1000");
    q.bind(1, number);
    while (q.executeStep()) {
      ThreadEntry e;
      e.id = q.getColumn(0).getInt64();
      e.kind = q.getColumn(1).getString();
      e.actor = q.getColumn(2).getString();
      e.status = q.getColumn(3).getString();
      e.body = optionalText(q.getColumn(4));
      e.at = fromMillis(q.getColumn(5).getInt64());
      e.outbox_id = q.getColumn(6).getInt64();
      e.outbox_status = q.getColumn(7).getString();
      e.outbox_error = q.getColumn(8).getString();
      e.outbox_payload = q.getColumn(9).getString();
      e.media_id = q.getColumn(10).getInt64();
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<std::optional<InboxMedia>> SqliteInboxStore::ticketMedia(std::int64_t media_id) {
  return db_.read([&](SQLite::Database& db) -> std::optional<InboxMedia> {
    SQLite::Statement q(db,
                        "SELECT m.id, t.number, t.department, m.status, coalesce(m.content_id, ''), "
                        "coalesce(m.mime_type, '') FROM media m JOIN tickets t ON t.id = "
                        "coalesce((SELECT p.ticket_id FROM ticket_photos p WHERE p.media_id = m.id "
                        "LIMIT 1), (SELECT e.ticket_id FROM ticket_events e WHERE e.media_id = m.id "
                        "LIMIT 1)) WHERE m.id = ? LIMIT 1");
    q.bind(1, media_id);
    if (!q.executeStep()) { return std::nullopt; }
    return InboxMedia{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                      q.getColumn(2).getString(), q.getColumn(3).getString(),
                      q.getColumn(4).getString(), q.getColumn(5).getString()};
  });
}

Result<std::int64_t> SqliteInboxStore::unreadCount(const TicketQuery& query) {
  TicketQuery q = query;
  q.unread = true;
  TicketFilter f(SqlDialect::Sqlite);
  addTicketFilter(q, true, f);
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement c(db, "SELECT count(*) FROM tickets t" + f.where);
    bindValues(c, f.values);
    return c.executeStep() ? c.getColumn(0).getInt64() : std::int64_t{0};
  });
}

Result<std::vector<NewWork>> SqliteInboxStore::newWork(const TicketQuery& scope) {
  TicketQuery q;
  q.all_departments = scope.all_departments;
  q.departments = scope.departments;
  return db_.read([&](SQLite::Database& db) {
    std::map<std::string, NewWork> by_department;
    {
      // New tickets from the counts table; unread messages: the events since the oldest one no
      // staff member opened the ticket after (tickets_unread holds only such tickets).
      TicketFilter f(SqlDialect::Sqlite);
      addTicketScope(q, "", f);
      f.add("status = 'eingegangen'");
      SQLite::Statement c(db, "SELECT department, sum(n) FROM ticket_counts" + f.where +
                                  " GROUP BY department HAVING sum(n) > 0");
      bindValues(c, f.values);
      while (c.executeStep()) {
        auto& w = by_department[c.getColumn(0).getString()];
        w.new_tickets = c.getColumn(1).getInt64();
      }
    }
    TicketFilter f(SqlDialect::Sqlite);
    addTicketScope(q, "t.", f);
    f.add("t.unread_citizen_at IS NOT NULL");
    SQLite::Statement m(db,
                        "SELECT t.department, count(*) FROM tickets t JOIN ticket_events e "
                        "ON e.ticket_id = t.id AND e.kind = 'citizen_message' "
                        "AND e.created_at >= t.unread_citizen_at" + f.where +
                            " GROUP BY t.department");
    bindValues(m, f.values);
    while (m.executeStep()) {
      by_department[m.getColumn(0).getString()].new_messages = m.getColumn(1).getInt64();
    }
    std::vector<NewWork> out;
    for (auto& [department, w] : by_department) {
      w.department = department;
      out.push_back(std::move(w));
    }
    return out;
  });
}

Result<void> SqliteInboxStore::markCitizenMessagesRead(std::int64_t number) {
  return db_.write([number](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE tickets SET unread_citizen_at = NULL "
                        "WHERE number = ? AND unread_citizen_at IS NOT NULL");
    q.bind(1, number);
    q.exec();
  });
}

// ---- staff changes ----

Result<void> SqliteInboxStore::addStaffReply(std::int64_t number, const NewOutbound& o,
                                             const std::string& body, const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(db, number);
    if (ticket_id == 0) { return false; }
    const std::int64_t outbox_id = insertOutbound(db, o, ticket_id, now);
    addEvent(db, ticket_id, "staff_reply", staffActor(audit), body, outbox_id, now);
    openReplyWindow(db, o.pseudonym, ticket_id, now);
    touchTicket(db, ticket_id, now);
    CaseChange change;
    change.message = body;
    appendCaseEntry(db, ticket_id, "message", change, now, grid_m_);  // same transaction
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::addUnsentStaffReply(std::int64_t number, const std::string& body,
                                                   const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(db, number);
    if (ticket_id == 0) { return false; }
    addTicketEvent(db, ticket_id, "staff_reply", staffActor(audit), "withheld", body, 0, now);
    touchTicket(db, ticket_id, now);
    CaseChange change;
    change.message = body;
    appendCaseEntry(db, ticket_id, "message", change, now, grid_m_);  // same transaction
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::addInternalNote(std::int64_t number, const std::string& body,
                                               const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(db, number);
    if (ticket_id == 0) { return false; }
    addEvent(db, ticket_id, "internal_note", staffActor(audit), body, 0, now);
    touchTicket(db, ticket_id, now);
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::assign(std::int64_t number, std::int64_t assignee,
                                      const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(db, number);
    if (ticket_id == 0) { return false; }
    std::string login;
    if (assignee > 0) {
      auto active = firstRow(db, "SELECT login FROM staff_users WHERE id = ? AND disabled = 0",
                             textColumn, assignee);
      if (!active) { return false; }
      login = *active;
    }
    SQLite::Statement q(db, "UPDATE tickets SET assignee_id = ?, updated_at = ? WHERE id = ?");
    bindAll(q, assignee > 0 ? std::optional<std::int64_t>(assignee) : std::nullopt, now,
            ticket_id);
    q.exec();
    addEvent(db, ticket_id, "assigned", staffActor(audit), login, 0, now);
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::recategorize(std::int64_t number, const std::string& category,
                                            const std::string& department,
                                            const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t ticket_id = ticketIdOf(db, number);
    if (ticket_id == 0) { return false; }
    CaseChange change;
    {
      SQLite::Statement before(db, "SELECT category_id, department FROM tickets WHERE id = ?");
      before.bind(1, ticket_id);
      before.executeStep();
      change.from_category = before.getColumn(0).getString();
      change.from_department = before.getColumn(1).getString();
    }
    SQLite::Statement q(db,
                        "UPDATE tickets SET category_id = ?, department = ?, updated_at = ? "
                        "WHERE id = ?");
    bindAll(q, category, department, now, ticket_id);
    q.exec();
    addEvent(db, ticket_id, "recategorized", staffActor(audit), category + " / " + department, 0,
             now);
    // Routed to the new department, which now owns the ticket; `change.from` names the old one.
    appendCaseEntry(db, ticket_id, "recategorized", change, now, grid_m_);
    insertAudit(db, audit);
    return true;
  });
}

Result<void> SqliteInboxStore::mergeFollowers(std::int64_t duplicate, std::int64_t target,
                                              const AuditEntry& audit) {
  return changeKnown(db_, [&](SQLite::Database& db) {
    const std::int64_t now = toMillis(audit.at);
    const std::int64_t dup_id = ticketIdOf(db, duplicate);
    const std::int64_t target_id = ticketIdOf(db, target);
    if (dup_id == 0 || target_id == 0) { return false; }
    SQLite::Statement f(db,
                        "INSERT OR IGNORE INTO ticket_followers (ticket_id, pseudonym, created_at) "
                        "SELECT ?, pseudonym, ? FROM ticket_followers WHERE ticket_id = ?");
    bindAll(f, target_id, now, dup_id);
    f.exec();
    addEvent(db, dup_id, "merged_into", staffActor(audit), std::to_string(target), 0, now);
    addEvent(db, target_id, "merged_from", staffActor(audit), std::to_string(duplicate), 0, now);
    touchTicket(db, target_id, now);
    CaseChange change;
    change.merged_into = target;
    appendCaseEntry(db, dup_id, "merged", change, now, grid_m_);  // same transaction
    insertAudit(db, audit);
    return true;
  });
}

}  // namespace bb::storage
