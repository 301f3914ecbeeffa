#include "storage/sqlite_case_store.hpp"

#include <algorithm>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"
#include "storage/case_statements.hpp"
#include "storage/rows.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

CaseEntry readEntry(SQLite::Statement& q) {
  CaseEntry e;
  e.id = q.getColumn(0).getInt64();
  e.ticket_number = q.getColumn(1).getInt64();
  e.department = q.getColumn(2).getString();
  e.event_type = q.getColumn(3).getString();
  e.payload = q.getColumn(4).getString();
  e.created_at = fromMillis(q.getColumn(5).getInt64());
  e.state = q.getColumn(6).getString();
  e.tries = q.getColumn(7).getInt();
  e.next_attempt_at = fromMillis(q.getColumn(8).getInt64());
  e.last_status = q.getColumn(9).getInt();
  e.last_error = q.getColumn(10).getString();
  e.thread_first = q.getColumn(11).getInt64();
  e.thread_last = q.getColumn(12).getInt64();
  return e;
}

PublicTicket readPublicTicket(SQLite::Statement& q) {
  PublicTicket t;
  t.number = q.getColumn(0).getInt64();
  t.kind = q.getColumn(1).getString();
  t.category_id = q.getColumn(2).getString();
  t.department = q.getColumn(3).getString();
  t.status = q.getColumn(4).getString();
  if (!q.getColumn(5).isNull() && !q.getColumn(6).isNull()) {
    t.lat = q.getColumn(5).getDouble();
    t.lon = q.getColumn(6).getDouble();
  }
  t.created_at = fromMillis(q.getColumn(7).getInt64());
  t.updated_at = fromMillis(q.getColumn(8).getInt64());
  if (!q.getColumn(9).isNull()) { t.closed_at = fromMillis(q.getColumn(9).getInt64()); }
  t.public_description = q.getColumn(10).getString();
  t.external_ref = q.getColumn(11).getString();
  t.status_note = q.getColumn(12).getString();
  t.district_id = q.getColumn(13).getString();
  return t;
}


//! A change of ticket `number`: `change` gets its row id and runs in one write job; an unknown
//! number is NotFound and changes nothing.
Result<void> changeTicket(Database& database, std::int64_t number,
                          const std::function<void(SQLite::Database&, std::int64_t)>& change) {
  return changeOrRefuse(database, ErrorCode::NotFound, "no such ticket",
                        [&](SQLite::Database& db) {
                          const std::int64_t ticket_id = ticketIdOf(db, number);
                          if (ticket_id == 0) { return false; }
                          change(db, ticket_id);
                          return true;
                        });
}


}  // namespace

void appendCaseEntry(SQLite::Database& db, std::int64_t ticket_id, const std::string& event_type,
                     const std::string& note, std::int64_t now_ms, double grid_m) {
  CaseChange change;
  change.note = note;
  appendCaseEntry(db, ticket_id, event_type, change, now_ms, grid_m);
}

void appendCaseEntry(SQLite::Database& db, std::int64_t ticket_id, const std::string& event_type,
                     const CaseChange& change, std::int64_t now_ms, double grid_m) {
  SQLite::Statement q(db,
                      "SELECT t.number, t.kind, t.category_id, t.department, t.district_id, "
                      "t.status, t.lat, t.lon, t.created_at, t.updated_at, t.closed_at, "
                      "coalesce(p.public_description, ''), coalesce(p.external_ref, '') "
                      "FROM tickets t LEFT JOIN ticket_public p ON p.ticket_id = t.id "
                      "WHERE t.id = ?");
  q.bind(1, ticket_id);
  // Called right after the ticket was written in the same transaction: a missing row is a bug,
  // and the throw rolls the change back.
  if (!q.executeStep()) { throw std::logic_error("case entry for a missing ticket"); }
  CaseSnapshot s;
  s.number = q.getColumn(0).getInt64();
  s.kind = q.getColumn(1).getString();
  s.category_id = q.getColumn(2).getString();
  s.department = q.getColumn(3).getString();
  s.district_id = q.getColumn(4).getString();
  s.status = q.getColumn(5).getString();
  if (!q.getColumn(6).isNull() && !q.getColumn(7).isNull()) {
    s.lat = q.getColumn(6).getDouble();
    s.lon = q.getColumn(7).getDouble();
  }
  s.created_at = fromMillis(q.getColumn(8).getInt64());
  s.updated_at = fromMillis(q.getColumn(9).getInt64());
  if (!q.getColumn(10).isNull()) { s.closed_at = fromMillis(q.getColumn(10).getInt64()); }
  s.public_description = q.getColumn(11).getString();
  s.external_ref = q.getColumn(12).getString();
  const std::string payload = casePayload(s, event_type, change, fromMillis(now_ms), grid_m);
  SQLite::Statement insert(db,
                           "INSERT INTO case_queue (ticket_number, department, event_type, "
                           "payload, created_at, thread_first, thread_last) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, s.number);
  insert.bind(2, s.department);
  insert.bind(3, event_type);
  insert.bind(4, payload);
  insert.bind(5, now_ms);
  if (change.thread_first != 0) {
    insert.bind(6, change.thread_first);
    insert.bind(7, change.thread_last);
  }
  insert.exec();
}

bool claimUpdate(SQLite::Database& db, const std::string& update_key, std::int64_t number,
                 std::int64_t now_ms) {
  if (update_key.empty()) { return true; }
  SQLite::Statement q(db,
                      "INSERT INTO api_updates (update_key, ticket_number, created_at) "
                      "VALUES (?, ?, ?) ON CONFLICT (update_key) DO NOTHING");
  bindAll(q, update_key, number, now_ms);
  return q.exec() == 1;
}

void recordTicketSource(SQLite::Database& db, std::int64_t ticket_id, const std::string& source) {
  SQLite::Statement q(db,
                      "INSERT INTO ticket_public (ticket_id, source) VALUES (?, ?) "
                      "ON CONFLICT (ticket_id) DO UPDATE SET source = excluded.source");
  q.bind(1, ticket_id);
  q.bind(2, source);
  q.exec();
}

Result<std::vector<CaseEntry>> SqliteCaseStore::dueCaseEntries(const std::string& department,
                                                               SysTime now, int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<CaseEntry> out;
    // Only the oldest undelivered entry of a ticket may go: a pending or dead entry holds back
    // every later entry of the same ticket ("<> 'delivered'" keeps the partial index usable).
    SQLite::Statement q(db, std::string("SELECT ") + kCaseEntryColumns +
                                " FROM case_queue q WHERE q.state = 'pending' AND q.department = ? "
                                "AND q.next_attempt_at <= ? AND q.id = (SELECT min(i.id) FROM "
                                "case_queue i WHERE i.ticket_number = q.ticket_number AND "
                                "i.state <> 'delivered' AND i.state <> 'discarded') "
                                "ORDER BY q.id LIMIT ?");
    q.bind(1, department);
    q.bind(2, toMillis(now));
    q.bind(3, limit);
    while (q.executeStep()) { out.push_back(readEntry(q)); }
    return out;
  });
}

Result<std::vector<std::string>> SqliteCaseStore::dueCaseDepartments(SysTime now) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<std::string> out;
    SQLite::Statement q(db,
                        "SELECT DISTINCT department FROM case_queue WHERE state = 'pending' "
                        "AND next_attempt_at <= ? ORDER BY department");
    q.bind(1, toMillis(now));
    while (q.executeStep()) { out.push_back(q.getColumn(0).getString()); }
    return out;
  });
}

Result<std::map<std::string, std::int64_t>> SqliteCaseStore::pendingByDepartment() {
  return db_.read([](SQLite::Database& db) {
    std::map<std::string, std::int64_t> out;
    SQLite::Statement q(db,
                        "SELECT department, count(*) FROM case_queue WHERE state = 'pending' "
                        "GROUP BY department");
    while (q.executeStep()) { out[q.getColumn(0).getString()] = q.getColumn(1).getInt64(); }
    return out;
  });
}

Result<void> SqliteCaseStore::markCaseEntry(std::int64_t id, const std::string& state, int tries,
                                            SysTime next_attempt_at, int last_status,
                                            const std::string& error, SysTime now) {
  return db_.write([=](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE case_queue SET state = ?, tries = ?, next_attempt_at = ?, "
                        "last_status = ?, last_error = nullif(?, ''), delivered_at = "
                        "CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?");
    q.bind(1, state);
    q.bind(2, tries);
    q.bind(3, toMillis(next_attempt_at));
    q.bind(4, last_status);
    q.bind(5, error);
    q.bind(6, state);
    q.bind(7, toMillis(now));
    q.bind(8, id);
    q.exec();
  });
}

Result<std::vector<CaseEntry>> SqliteCaseStore::deadCaseEntries(int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<CaseEntry> out;
    SQLite::Statement q(db, std::string("SELECT ") + kCaseEntryColumns +
                                " FROM case_queue WHERE state = 'dead' ORDER BY id LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) { out.push_back(readEntry(q)); }
    return out;
  });
}

Result<void> SqliteCaseStore::requeueCaseEntry(std::int64_t id, SysTime now) {
  return db_.write([=](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE case_queue SET state = 'pending', tries = 0, next_attempt_at = ? "
                        "WHERE id = ? AND state = 'dead'");
    q.bind(1, toMillis(now));
    q.bind(2, id);
    q.exec();
  });
}

Result<void> SqliteCaseStore::discardCaseEntry(std::int64_t id, SysTime now) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such dead letter",
                        [&](SQLite::Database& db) {
                          SQLite::Statement q(db,
                                              "UPDATE case_queue SET state = 'discarded', "
                                              "next_attempt_at = ? WHERE id = ? AND state = 'dead'");
                          q.bind(1, toMillis(now));
                          q.bind(2, id);
                          return q.exec() == 1;
                        });
}

Result<CaseQueueCounts> SqliteCaseStore::caseQueueCounts() {
  return db_.read([](SQLite::Database& db) {
    CaseQueueCounts c;
    SQLite::Statement q(db, "SELECT state, count(*) FROM case_queue GROUP BY state");
    while (q.executeStep()) {
      const std::string state = q.getColumn(0).getString();
      const std::int64_t n = q.getColumn(1).getInt64();
      if (state == "pending") {
        c.pending = n;
      } else if (state == "delivered") {
        c.delivered = n;
      } else if (state == "dead") {
        c.dead = n;
      }
    }
    return c;
  });
}

Result<std::vector<CaseEntry>> SqliteCaseStore::caseEntriesOf(std::int64_t ticket_number) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<CaseEntry> out;
    SQLite::Statement q(db, std::string("SELECT ") + kCaseEntryColumns +
                                " FROM case_queue WHERE ticket_number = ? ORDER BY id");
    q.bind(1, ticket_number);
    while (q.executeStep()) { out.push_back(readEntry(q)); }
    return out;
  });
}

Result<std::int64_t> SqliteCaseStore::addApiKey(const std::string& name, const std::string& hash,
                                                const std::vector<std::string>& departments,
                                                SysTime now) {
  auto id = std::make_shared<std::int64_t>(0);
  auto r = db_.write([&, id](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO api_keys (name, hash, departments, created_at) "
                        "VALUES (?, ?, ?, ?)");
    q.bind(1, name);
    q.bind(2, hash);
    q.bind(3, joinDepartments(departments));
    q.bind(4, toMillis(now));
    q.exec();
    *id = db.getLastInsertRowid();
  });
  if (!r) {
    if (r.error().detail.find("UNIQUE") != std::string::npos) {
      return fail(ErrorCode::Conflict, "an api key with this name exists");
    }
    return fail(r.error().code, r.error().detail);
  }
  return *id;
}

Result<std::vector<ApiKeyRecord>> SqliteCaseStore::activeApiKeys() {
  return db_.read([](SQLite::Database& db) {
    std::vector<ApiKeyRecord> out;
    SQLite::Statement q(db,
                        "SELECT id, name, hash, departments, created_at FROM api_keys "
                        "WHERE revoked_at IS NULL ORDER BY id");
    while (q.executeStep()) {
      ApiKeyRecord k;
      k.id = q.getColumn(0).getInt64();
      k.name = q.getColumn(1).getString();
      k.hash = q.getColumn(2).getString();
      k.departments = splitDepartments(q.getColumn(3).getString());
      k.created_at = fromMillis(q.getColumn(4).getInt64());
      out.push_back(std::move(k));
    }
    return out;
  });
}

Result<std::vector<ApiKeyRecord>> SqliteCaseStore::apiKeys() {
  return db_.read([](SQLite::Database& db) {
    std::vector<ApiKeyRecord> out;
    SQLite::Statement q(db,
                        "SELECT id, name, departments, created_at, revoked_at FROM api_keys "
                        "ORDER BY name");
    while (q.executeStep()) {
      ApiKeyRecord k;
      k.id = q.getColumn(0).getInt64();
      k.name = q.getColumn(1).getString();
      k.departments = splitDepartments(q.getColumn(2).getString());
      k.created_at = fromMillis(q.getColumn(3).getInt64());
      k.revoked = !q.getColumn(4).isNull();
      if (k.revoked) { k.revoked_at = fromMillis(q.getColumn(4).getInt64()); }
      out.push_back(std::move(k));
    }
    return out;
  });
}

Result<void> SqliteCaseStore::revokeApiKey(const std::string& name, SysTime now) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no active api key with this name",
                        [&](SQLite::Database& db) {
                          SQLite::Statement q(db,
                                              "UPDATE api_keys SET revoked_at = ? WHERE name = ? "
                                              "AND revoked_at IS NULL");
                          q.bind(1, toMillis(now));
                          q.bind(2, name);
                          return q.exec() == 1;
                        });
}

Result<std::vector<PublicTicket>> SqliteCaseStore::publicTickets(const PublicTicketQuery& query) {
  return db_.read([&](SQLite::Database& db) {
    const PublicTicketsSql list = publicTicketsSql(query);
    SQLite::Statement q(db, list.sql);
    int i = 1;
    for (const auto& value : list.values) {
      std::visit([&q, &i](const auto& v) { q.bind(i++, v); }, value);
    }
    std::vector<PublicTicket> out;
    while (q.executeStep()) { out.push_back(readPublicTicket(q)); }
    return out;
  });
}

Result<std::optional<PublicTicket>> SqliteCaseStore::publicTicket(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) -> std::optional<PublicTicket> {
    SQLite::Statement q(db, std::string(kPublicTicketSelect) + "WHERE t.number = ?");
    q.bind(1, number);
    if (!q.executeStep()) { return std::nullopt; }
    return readPublicTicket(q);
  });
}

Result<std::vector<PublicUpdate>> SqliteCaseStore::publicUpdates(SysTime start, SysTime end,
                                                                 int limit, int offset) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<PublicUpdate> out;
    SQLite::Statement q(db,
                        "SELECT e.id, t.number, e.kind, coalesce(e.status, t.status), e.body, "
                        "e.created_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                        "WHERE t.kind = 'defect' AND e.kind IN ('status_changed', 'public_note') "
                        "AND e.created_at >= ? AND e.created_at <= ? ORDER BY e.id LIMIT ? OFFSET ?");
    q.bind(1, toMillis(start));
    q.bind(2, toMillis(end));
    q.bind(3, limit);
    q.bind(4, offset);
    while (q.executeStep()) {
      out.push_back(PublicUpdate{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                                 q.getColumn(2).getString(), q.getColumn(3).getString(),
                                 q.getColumn(4).getString(),
                                 fromMillis(q.getColumn(5).getInt64())});
    }
    return out;
  });
}

Result<void> SqliteCaseStore::addPublicNote(const PublicNote& note) {
  const double grid = grid_m_;
  return changeTicket(db_, note.number, [&note, grid](SQLite::Database& db,
                                                      std::int64_t ticket_id) {
    const std::int64_t now = toMillis(note.now);
    if (!claimUpdate(db, note.update_key, note.number, now)) { return; }  // a repeat
    SQLite::Statement u(db, "UPDATE tickets SET updated_at = ? WHERE id = ?");
    bindAll(u, now, ticket_id);
    u.exec();
    addTicketEvent(db, ticket_id, "public_note", note.actor, "", note.note, 0, now);
    for (const auto& o : note.notifications) {
      const std::int64_t outbox_id = insertOutbound(db, o, ticket_id, now);
      addTicketEvent(db, ticket_id, "bot_message", "bot", "", "", outbox_id, now);
    }
    noteWithheld(db, ticket_id, note.withheld, now);
    appendCaseEntry(db, ticket_id, "note", note.note, now, grid);
  });
}

Result<void> SqliteCaseStore::changeStatusOnce(const StatusChange& change,
                                               const std::string& update_key) {
  const double grid = grid_m_;
  return changeTicket(db_, change.number, [&](SQLite::Database& db, std::int64_t ticket_id) {
    // A back-office update applied before: nothing changes, nobody is told again.
    if (!claimUpdate(db, update_key, change.number, toMillis(change.now))) { return; }
    writeStatusChange(db, ticket_id, change, grid);
  });
}

Result<bool> SqliteCaseStore::updateSeen(const std::string& update_key) {
  return db_.read([&update_key](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT 1 FROM api_updates WHERE update_key = ?");
    q.bind(1, update_key);
    return q.executeStep();
  });
}

Result<std::vector<CaseEntry>> SqliteCaseStore::caseEntriesAfter(
    std::int64_t after_id, const std::vector<std::string>& departments, int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<CaseEntry> out;
    const bool all = std::find(departments.begin(), departments.end(), "*") != departments.end();
    std::string sql = std::string("SELECT ") + kCaseEntryColumns + " FROM case_queue WHERE id > ?";
    if (!all) {
      sql += " AND department IN (SELECT value FROM json_each(?))";
    }
    sql += " ORDER BY id LIMIT ?";
    SQLite::Statement q(db, sql);
    int i = 1;
    q.bind(i++, after_id);
    if (!all) {
      nlohmann::json list = departments;
      q.bind(i++, list.dump());
    }
    q.bind(i, limit);
    while (q.executeStep()) { out.push_back(readEntry(q)); }
    return out;
  });
}

Result<void> SqliteCaseStore::setExternalRef(std::int64_t number, const std::string& ref,
                                             const std::string& actor, SysTime now) {
  return changeTicket(db_, number, [&](SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(db,
                        "INSERT INTO ticket_public (ticket_id, external_ref) VALUES (?, ?) "
                        "ON CONFLICT (ticket_id) DO UPDATE SET external_ref = excluded.external_ref");
    bindAll(q, ticket_id, ref);
    q.exec();
    addTicketEvent(db, ticket_id, "external_ref", actor, "", ref, 0, toMillis(now));
  });
}

Result<void> SqliteCaseStore::setPublicDescription(std::int64_t number, const std::string& text,
                                                   const std::string& actor, SysTime now) {
  return changeTicket(db_, number, [&](SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(db,
                        "INSERT INTO ticket_public (ticket_id, public_description) VALUES (?, "
                        "nullif(?, '')) ON CONFLICT (ticket_id) DO UPDATE SET "
                        "public_description = excluded.public_description");
    bindAll(q, ticket_id, text);
    q.exec();
    addTicketEvent(db, ticket_id, text.empty() ? "unpublished" : "published", actor, "", "", 0,
                   toMillis(now));
  });
}

}  // namespace bb::storage
