// Staff accounts, sessions, failed logins, the audit log and the digest settings on PostgreSQL:
// the twins of the same parts of storage/sqlite_inbox_store.cpp.

#include "storage/postgresql/pg_inbox_store.hpp"

#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"

namespace bb::storage::pg {
namespace {

constexpr const char* kStaffColumns =
    "id, login, role, password_hash, disabled, created_at, must_change_password";

constexpr const char* kAuditColumns = "id, at, staff_id, actor, action, ticket_number, detail";

//! The account's departments in byte order (SQLite's BINARY order, which StaffUser promises).
std::vector<std::string> departmentsOf(Session& s, std::int64_t staff_id) {
  Rows rows = s.run("SELECT department FROM staff_departments WHERE staff_id = $1 "
                    "ORDER BY department COLLATE \"C\"",
                    staff_id);
  std::vector<std::string> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.text(i, 0)); }
  return out;
}

//! The account from row `i` of kStaffColumns (from column 0 on), with its departments.
StaffUser readStaff(Session& s, const Rows& q, int i) {
  StaffUser u;
  u.id = q.int64(i, 0);
  u.login = q.text(i, 1);
  u.role = staffRoleFromString(q.text(i, 2)).value_or(StaffRole::Agent);
  u.password_hash = q.text(i, 3);
  u.disabled = q.int64(i, 4) != 0;
  u.created_at = fromMillis(q.int64(i, 5));
  u.must_change_password = q.int64(i, 6) != 0;
  u.departments = departmentsOf(s, u.id);
  return u;
}

std::vector<StaffUser> staffOf(Session& s, const Rows& rows) {
  std::vector<StaffUser> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(readStaff(s, rows, i)); }
  return out;
}

std::optional<StaffUser> firstStaff(Session& s, const Rows& rows) {
  if (rows.empty()) { return std::nullopt; }
  return readStaff(s, rows, 0);
}

void setDepartments(Session& s, std::int64_t staff_id, const std::vector<std::string>& departments) {
  s.run("DELETE FROM staff_departments WHERE staff_id = $1", staff_id);
  for (const auto& department : departments) {
    s.run("INSERT INTO staff_departments (staff_id, department) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          staff_id, department);
  }
}

AuditEntry readAudit(const Rows& q, int i) {
  AuditEntry e;
  e.id = q.int64(i, 0);
  e.at = fromMillis(q.int64(i, 1));
  e.staff_id = q.int64(i, 2);  // 0 for NULL
  e.actor = q.text(i, 3);
  e.action = q.text(i, 4);
  e.ticket_number = q.int64(i, 5);
  e.detail = q.text(i, 6);
  return e;
}

std::vector<AuditEntry> auditOf(const Rows& rows) {
  std::vector<AuditEntry> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(readAudit(rows, i)); }
  return out;
}

Param optionalId(std::int64_t id) { return id > 0 ? param(id) : Param(); }

}  // namespace

void PgInboxStore::insertAudit(Session& s, const AuditEntry& e) {
  s.run("INSERT INTO audit_log (at, staff_id, actor, action, ticket_number, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        toMillis(e.at), optionalId(e.staff_id), e.actor, e.action, optionalId(e.ticket_number),
        e.detail);
}

Result<void> PgInboxStore::changeKnown(const std::function<bool(Session&)>& change) {
  auto changed = db_.transaction(change);
  if (!changed) { return fail(changed.error().code, changed.error().detail); }
  if (!*changed) { return fail(ErrorCode::NotFound, "no such ticket or account"); }
  return {};
}

// ---- staff accounts ----

Result<std::int64_t> PgInboxStore::createStaff(const StaffUser& user, SysTime now) {
  auto existing = staffByLogin(user.login);
  if (!existing) { return fail(existing.error().code, existing.error().detail); }
  if (*existing) { return fail(ErrorCode::Conflict, "login exists"); }
  auto id = db_.transaction([&](Session& s) {
    const std::int64_t ms = toMillis(now);
    const std::int64_t created =
        s.run("INSERT INTO staff_users (login, role, password_hash, disabled, created_at, "
              "updated_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
              user.login, toString(user.role), user.password_hash, user.disabled ? 1 : 0, ms,
              user.must_change_password ? 1 : 0)
            .int64(0, 0);
    setDepartments(s, created, user.departments);
    return created;
  });
  // The same login created at the same moment elsewhere: the unique index refuses the second.
  if (!id && id.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "login exists");
  }
  return id;
}

Result<std::optional<StaffUser>> PgInboxStore::staffByLogin(const std::string& login) {
  // lower() finds the row through the unique index; the "C" collation then compares as
  // SQLite's NOCASE does (ASCII letters only), whatever the database's locale.
  return db_.withConnection([&](Session& s) {
    return firstStaff(s, s.run(std::string("SELECT ") + kStaffColumns +
                                   " FROM staff_users WHERE lower(login) = lower($1) AND "
                                   "lower(login COLLATE \"C\") = lower($1 COLLATE \"C\")",
                               login));
  });
}

Result<std::optional<StaffUser>> PgInboxStore::staffById(std::int64_t id) {
  return db_.withConnection([&](Session& s) {
    return firstStaff(
        s, s.run(std::string("SELECT ") + kStaffColumns + " FROM staff_users WHERE id = $1", id));
  });
}

Result<std::vector<StaffUser>> PgInboxStore::listStaff() {
  return db_.withConnection([&](Session& s) {
    return staffOf(s, s.run(std::string("SELECT ") + kStaffColumns +
                            " FROM staff_users ORDER BY lower(login COLLATE \"C\"), id"));
  });
}

Result<std::int64_t> PgInboxStore::staffCount() {
  return db_.withConnection(
      [](Session& s) { return s.run("SELECT count(*) FROM staff_users").int64(0, 0); });
}

Result<void> PgInboxStore::updateStaff(std::int64_t id, StaffRole role,
                                       const std::vector<std::string>& departments, bool disabled,
                                       const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    if (s.run("UPDATE staff_users SET role = $1, disabled = $2, updated_at = $3 WHERE id = $4",
              toString(role), disabled ? 1 : 0, toMillis(audit.at), id)
            .affected() == 0) {
      return false;
    }
    setDepartments(s, id, departments);
    if (disabled) { s.run("DELETE FROM staff_sessions WHERE staff_id = $1", id); }
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::setPassword(std::int64_t id, const std::string& password_hash,
                                       bool must_change, const std::string& keep_session_hash,
                                       const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    if (s.run("UPDATE staff_users SET password_hash = $1, must_change_password = $2, "
              "updated_at = $3 WHERE id = $4",
              password_hash, must_change ? 1 : 0, toMillis(audit.at), id)
            .affected() == 0) {
      return false;
    }
    // A password known elsewhere must not keep another browser signed in.
    s.run("DELETE FROM staff_sessions WHERE staff_id = $1 AND id_hash <> $2", id,
          keep_session_hash);
    insertAudit(s, audit);
    return true;
  });
}

Result<void> PgInboxStore::endAllSessions(std::int64_t staff_id, const AuditEntry& audit) {
  return db_.transaction([&](Session& s) {
    s.run("DELETE FROM staff_sessions WHERE staff_id = $1", staff_id);
    insertAudit(s, audit);
  });
}

// ---- digest by mail ----

Result<std::optional<DigestSetting>> PgInboxStore::digestSetting(std::int64_t staff_id) {
  return db_.withConnection([&](Session& s) -> std::optional<DigestSetting> {
    Rows q = s.run("SELECT email, enabled, last_day, sent_at, failed_tries, last_error, "
                   "failed_at FROM staff_digests WHERE staff_id = $1",
                   staff_id);
    if (q.empty()) { return std::nullopt; }
    DigestSetting d;
    d.email = q.text(0, 0);
    d.enabled = q.int64(0, 1) != 0;
    d.last_day = q.text(0, 2);
    d.sent_at = timeAt(q, 0, 3);
    d.failed_tries = static_cast<int>(q.int64(0, 4));
    d.last_error = q.text(0, 5);
    d.failed_at = timeAt(q, 0, 6);
    return d;
  });
}

Result<void> PgInboxStore::setDigest(std::int64_t staff_id, const std::string& email, bool enabled,
                                     const AuditEntry& audit) {
  return changeKnown([&](Session& s) {
    // The account's row stays until the commit: a digest of a deleted account is never stored.
    if (s.run("SELECT 1 FROM staff_users WHERE id = $1 FOR KEY SHARE", staff_id).empty()) {
      return false;
    }
    s.run("INSERT INTO staff_digests (staff_id, email, enabled) VALUES ($1, $2, $3) "
          "ON CONFLICT (staff_id) DO UPDATE SET email = excluded.email, "
          "enabled = excluded.enabled, failed_day = NULL, failed_tries = 0, "
          "last_error = NULL, failed_at = NULL",
          staff_id, email, enabled ? 1 : 0);
    insertAudit(s, audit);
    return true;
  });
}

Result<std::vector<DigestDue>> PgInboxStore::digestsDue(const std::string& day) {
  return db_.withConnection([&](Session& s) {
    // Days are "YYYY-MM-DD": compared byte by byte, as SQLite does, not by the locale.
    Rows q = s.run("SELECT u.id, u.login, u.role, u.password_hash, u.disabled, u.created_at, "
                   "u.must_change_password, d.email, CASE WHEN d.failed_day = $1 THEN "
                   "d.failed_tries ELSE 0 END FROM staff_digests d JOIN staff_users u "
                   "ON u.id = d.staff_id WHERE d.enabled = 1 AND d.email <> '' AND "
                   "u.disabled = 0 AND (d.last_day IS NULL OR d.last_day < $1 COLLATE \"C\") "
                   "ORDER BY d.staff_id",
                   day);
    std::vector<DigestDue> out;
    for (int i = 0; i < q.size(); ++i) {
      out.push_back(DigestDue{readStaff(s, q, i), q.text(i, 7), static_cast<int>(q.int64(i, 8))});
    }
    return out;
  });
}

Result<void> PgInboxStore::recordDigestDone(std::int64_t staff_id, const std::string& day,
                                            std::optional<SysTime> sent_at) {
  const std::optional<std::int64_t> sent =
      sent_at ? std::optional<std::int64_t>(toMillis(*sent_at)) : std::nullopt;
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE staff_digests SET last_day = $1, sent_at = coalesce($2, sent_at), "
          "failed_day = NULL, failed_tries = 0, last_error = NULL, failed_at = NULL "
          "WHERE staff_id = $3",
          day, sent, staff_id);
  });
}

Result<void> PgInboxStore::recordDigestFailure(std::int64_t staff_id, const std::string& day,
                                               const std::string& error, SysTime at,
                                               int max_tries) {
  // One statement: the count and the give-up decision read the same row.
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE staff_digests SET failed_tries = CASE WHEN failed_day = $1 THEN "
          "failed_tries + 1 ELSE 1 END, failed_day = $1, last_error = $2, failed_at = $3, "
          // Given up for today: the day counts as done, the error stays for the member to see.
          "last_day = CASE WHEN (CASE WHEN failed_day = $1 THEN failed_tries + 1 ELSE 1 END) "
          ">= $4 THEN $1 ELSE last_day END WHERE staff_id = $5",
          day, error, toMillis(at), max_tries, staff_id);
  });
}

// ---- sessions ----

Result<void> PgInboxStore::createSession(const StaffSession& session) {
  return db_.withConnection([&](Session& s) {
    s.run("INSERT INTO staff_sessions (id_hash, staff_id, csrf_token, created_at, last_seen_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          session.id_hash, session.staff_id, session.csrf_token, toMillis(session.created_at),
          toMillis(session.last_seen_at));
  });
}

Result<std::optional<StaffSession>> PgInboxStore::session(const std::string& id_hash) {
  return db_.withConnection([&](Session& s) -> std::optional<StaffSession> {
    Rows q = s.run("SELECT id_hash, staff_id, csrf_token, created_at, last_seen_at "
                   "FROM staff_sessions WHERE id_hash = $1",
                   id_hash);
    if (q.empty()) { return std::nullopt; }
    return StaffSession{q.text(0, 0), q.int64(0, 1), q.text(0, 2), fromMillis(q.int64(0, 3)),
                        fromMillis(q.int64(0, 4))};
  });
}

Result<void> PgInboxStore::touchSession(const std::string& id_hash, SysTime now) {
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE staff_sessions SET last_seen_at = $1 WHERE id_hash = $2", toMillis(now),
          id_hash);
  });
}

Result<void> PgInboxStore::deleteSession(const std::string& id_hash) {
  return db_.withConnection(
      [&](Session& s) { s.run("DELETE FROM staff_sessions WHERE id_hash = $1", id_hash); });
}

// ---- failed logins ----

Result<void> PgInboxStore::recordLoginFailure(const std::string& key_hash, SysTime at,
                                              SysTime forget_before) {
  return db_.transaction([&](Session& s) {
    s.run("DELETE FROM login_failures WHERE at < $1", toMillis(forget_before));
    s.run("INSERT INTO login_failures (key_hash, at) VALUES ($1, $2)", key_hash, toMillis(at));
  });
}

Result<std::vector<std::pair<std::string, SysTime>>> PgInboxStore::loginFailuresSince(
    SysTime since) {
  return db_.withConnection([&](Session& s) {
    // The table has no row id: failures of one moment come in key order (the throttle counts
    // them per key, so their order among keys means nothing).
    Rows q = s.run("SELECT key_hash, at FROM login_failures WHERE at >= $1 "
                   "ORDER BY at, key_hash COLLATE \"C\"",
                   toMillis(since));
    std::vector<std::pair<std::string, SysTime>> out;
    for (int i = 0; i < q.size(); ++i) { out.emplace_back(q.text(i, 0), fromMillis(q.int64(i, 1))); }
    return out;
  });
}

Result<void> PgInboxStore::clearLoginFailures(const std::string& key_hash) {
  return db_.withConnection(
      [&](Session& s) { s.run("DELETE FROM login_failures WHERE key_hash = $1", key_hash); });
}

// ---- audit ----

Result<void> PgInboxStore::addAudit(const AuditEntry& entry) {
  return db_.withConnection([&](Session& s) { insertAudit(s, entry); });
}

Result<std::vector<AuditEntry>> PgInboxStore::auditLog(std::int64_t before_id, int limit) {
  const std::int64_t before = before_id > 0 ? before_id : INT64_MAX;
  return db_.withConnection([&](Session& s) {
    return auditOf(s.run(std::string("SELECT ") + kAuditColumns +
                             " FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
                         before, limit));
  });
}

Result<std::vector<AuditEntry>> PgInboxStore::auditOfTicket(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    return auditOf(s.run(std::string("SELECT ") + kAuditColumns +
                             " FROM audit_log WHERE ticket_number = $1 ORDER BY id LIMIT 500",
                         number));
  });
}

}  // namespace bb::storage::pg
