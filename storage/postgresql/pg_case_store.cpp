#include "storage/postgresql/pg_case_store.hpp"

#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>

#include "storage/case_statements.hpp"
#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"

namespace bb::storage::pg {
namespace {

CaseEntry readEntry(const Rows& q, int i) {
  CaseEntry e;
  e.id = q.int64(i, 0);
  e.ticket_number = q.int64(i, 1);
  e.department = q.text(i, 2);
  e.event_type = q.text(i, 3);
  e.payload = q.text(i, 4);
  e.created_at = fromMillis(q.int64(i, 5));
  e.state = q.text(i, 6);
  e.tries = static_cast<int>(q.int64(i, 7));
  e.next_attempt_at = fromMillis(q.int64(i, 8));
  e.last_status = static_cast<int>(q.int64(i, 9));
  e.last_error = q.text(i, 10);
  e.thread_first = q.int64(i, 11);
  e.thread_last = q.int64(i, 12);
  return e;
}

std::vector<CaseEntry> entriesOf(const Rows& rows) {
  std::vector<CaseEntry> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(readEntry(rows, i)); }
  return out;
}

std::string entrySelect(const std::string& rest) {
  return std::string("SELECT ") + kCaseEntryColumns + " FROM case_queue " + rest;
}

PublicTicket readPublicTicket(const Rows& q, int i) {
  PublicTicket t;
  t.number = q.int64(i, 0);
  t.kind = q.text(i, 1);
  t.category_id = q.text(i, 2);
  t.department = q.text(i, 3);
  t.status = q.text(i, 4);
  if (!q.isNull(i, 5) && !q.isNull(i, 6)) {
    t.lat = q.real(i, 5);
    t.lon = q.real(i, 6);
  }
  t.created_at = fromMillis(q.int64(i, 7));
  t.updated_at = fromMillis(q.int64(i, 8));
  t.closed_at = timeAt(q, i, 9);
  t.public_description = q.text(i, 10);
  t.external_ref = q.text(i, 11);
  t.status_note = q.text(i, 12);
  t.district_id = q.text(i, 13);
  return t;
}

//! Runs `change` in one transaction; when it answers false (the rows are not in a state for
//! it, before it changed anything) the answer is `code` with `refusal`.
Result<void> changeOrRefuse(PgDatabase& db, ErrorCode code, const char* refusal,
                            const std::function<bool(Session&)>& change) {
  auto changed = db.transaction(change);
  if (!changed) { return Unexpected<Error>{changed.error()}; }
  if (!*changed) { return fail(code, refusal); }
  return {};
}

//! A change of ticket `number`: `change` gets its row id and runs in one transaction; an
//! unknown number is NotFound and changes nothing.
Result<void> changeTicket(PgDatabase& db, std::int64_t number,
                          const std::function<void(Session&, std::int64_t)>& change) {
  return changeOrRefuse(db, ErrorCode::NotFound, "no such ticket", [&](Session& s) {
    const std::int64_t ticket_id = ticketIdOf(s, number);
    if (ticket_id == 0) { return false; }
    change(s, ticket_id);
    return true;
  });
}

ApiKeyRecord readApiKey(const Rows& q, int i) {
  ApiKeyRecord k;
  k.id = q.int64(i, 0);
  k.name = q.text(i, 1);
  k.hash = q.text(i, 2);
  k.departments = splitDepartments(q.text(i, 3));
  k.created_at = fromMillis(q.int64(i, 4));
  k.revoked = !q.isNull(i, 5);
  if (k.revoked) { k.revoked_at = fromMillis(q.int64(i, 5)); }
  return k;
}

}  // namespace

bool claimUpdate(Session& s, const std::string& update_key, std::int64_t number,
                 std::int64_t now_ms) {
  if (update_key.empty()) { return true; }
  // The primary key decides: a second claim of one key waits for the first transaction and
  // then inserts nothing (or claims it after all when the first rolled back).
  return s.run("INSERT INTO api_updates (update_key, ticket_number, created_at) "
               "VALUES ($1, $2, $3) ON CONFLICT (update_key) DO NOTHING",
               update_key, number, now_ms)
             .affected() == 1;
}

Result<std::vector<CaseEntry>> PgCaseStore::dueCaseEntries(const std::string& department,
                                                           SysTime now, int limit) {
  return db_.withConnection([&](Session& s) {
    // Only the oldest undelivered entry of a ticket may go: a pending or dead entry holds back
    // every later entry of the same ticket ("<> 'delivered'" keeps the partial index usable).
    return entriesOf(s.run(
        entrySelect("q WHERE q.state = 'pending' AND q.department = $1 AND "
                    "q.next_attempt_at <= $2 AND q.id = (SELECT min(i.id) FROM case_queue i "
                    "WHERE i.ticket_number = q.ticket_number AND i.state <> 'delivered' AND "
                    "i.state <> 'discarded') ORDER BY q.id LIMIT $3"),
        department, toMillis(now), limit));
  });
}

Result<std::vector<std::string>> PgCaseStore::dueCaseDepartments(SysTime now) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT DISTINCT department FROM case_queue WHERE state = 'pending' "
                      "AND next_attempt_at <= $1 ORDER BY department",
                      toMillis(now));
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.text(i, 0)); }
    return out;
  });
}

Result<std::map<std::string, std::int64_t>> PgCaseStore::pendingByDepartment() {
  return db_.withConnection([](Session& s) {
    Rows rows = s.run("SELECT department, count(*) FROM case_queue WHERE state = 'pending' "
                      "GROUP BY department");
    std::map<std::string, std::int64_t> out;
    for (int i = 0; i < rows.size(); ++i) { out[rows.text(i, 0)] = rows.int64(i, 1); }
    return out;
  });
}

Result<void> PgCaseStore::markCaseEntry(std::int64_t id, const std::string& state, int tries,
                                        SysTime next_attempt_at, int last_status,
                                        const std::string& error, SysTime now) {
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE case_queue SET state = $1, tries = $2, next_attempt_at = $3, "
          "last_status = $4, last_error = nullif($5, ''), delivered_at = "
          "CASE WHEN $1 = 'delivered' THEN $6 ELSE delivered_at END WHERE id = $7",
          state, tries, toMillis(next_attempt_at), last_status, error, toMillis(now), id);
  });
}

Result<std::vector<CaseEntry>> PgCaseStore::deadCaseEntries(int limit) {
  return db_.withConnection([&](Session& s) {
    return entriesOf(s.run(entrySelect("WHERE state = 'dead' ORDER BY id LIMIT $1"), limit));
  });
}

Result<void> PgCaseStore::requeueCaseEntry(std::int64_t id, SysTime now) {
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE case_queue SET state = 'pending', tries = 0, next_attempt_at = $1 "
          "WHERE id = $2 AND state = 'dead'",
          toMillis(now), id);
  });
}

Result<void> PgCaseStore::discardCaseEntry(std::int64_t id, SysTime now) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such dead letter", [&](Session& s) {
    return s.run("UPDATE case_queue SET state = 'discarded', next_attempt_at = $1 "
                 "WHERE id = $2 AND state = 'dead'",
                 toMillis(now), id)
               .affected() == 1;
  });
}

Result<CaseQueueCounts> PgCaseStore::caseQueueCounts() {
  return db_.withConnection([](Session& s) {
    Rows rows = s.run("SELECT state, count(*) FROM case_queue GROUP BY state");
    CaseQueueCounts c;
    for (int i = 0; i < rows.size(); ++i) {
      const std::string state = rows.text(i, 0);
      const std::int64_t n = rows.int64(i, 1);
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

Result<std::vector<CaseEntry>> PgCaseStore::caseEntriesOf(std::int64_t ticket_number) {
  return db_.withConnection([&](Session& s) {
    return entriesOf(s.run(entrySelect("WHERE ticket_number = $1 ORDER BY id"), ticket_number));
  });
}

Result<std::int64_t> PgCaseStore::addApiKey(const std::string& name, const std::string& hash,
                                            const std::vector<std::string>& departments,
                                            SysTime now) {
  auto id = db_.withConnection([&](Session& s) {
    return s
        .run("INSERT INTO api_keys (name, hash, departments, created_at) "
             "VALUES ($1, $2, $3, $4) RETURNING id",
             name, hash, joinDepartments(departments), toMillis(now))
        .int64(0, 0);
  });
  if (!id && id.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "an api key with this name exists");
  }
  return id;
}

Result<std::vector<ApiKeyRecord>> PgCaseStore::activeApiKeys() {
  return db_.withConnection([](Session& s) {
    Rows rows = s.run("SELECT id, name, hash, departments, created_at, revoked_at FROM api_keys "
                      "WHERE revoked_at IS NULL ORDER BY id");
    std::vector<ApiKeyRecord> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(readApiKey(rows, i)); }
    return out;
  });
}

Result<std::vector<ApiKeyRecord>> PgCaseStore::apiKeys() {
  return db_.withConnection([](Session& s) {
    // As SqliteCaseStore: the list of every key does not carry the hashes.
    Rows rows = s.run("SELECT id, name, '', departments, created_at, revoked_at FROM api_keys "
                      "ORDER BY name");
    std::vector<ApiKeyRecord> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(readApiKey(rows, i)); }
    return out;
  });
}

Result<void> PgCaseStore::revokeApiKey(const std::string& name, SysTime now) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no active api key with this name",
                        [&](Session& s) {
                          return s.run("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 "
                                       "AND revoked_at IS NULL",
                                       toMillis(now), name)
                                     .affected() == 1;
                        });
}

Result<std::vector<PublicTicket>> PgCaseStore::publicTickets(const PublicTicketQuery& query) {
  return db_.withConnection([&](Session& s) {
    const PublicTicketsSql list = publicTicketsSql(query);
    std::vector<Param> params;
    for (const auto& value : list.values) {
      std::visit([&params](const auto& v) { params.push_back(param(v)); }, value);
    }
    Rows rows = s.exec(list.sql, params);
    std::vector<PublicTicket> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(readPublicTicket(rows, i)); }
    return out;
  });
}

Result<std::optional<PublicTicket>> PgCaseStore::publicTicket(std::int64_t number) {
  return db_.withConnection([&](Session& s) -> std::optional<PublicTicket> {
    Rows rows = s.run(std::string(kPublicTicketSelect) + "WHERE t.number = $1", number);
    if (rows.empty()) { return std::nullopt; }
    return readPublicTicket(rows, 0);
  });
}

Result<std::vector<PublicUpdate>> PgCaseStore::publicUpdates(SysTime start, SysTime end,
                                                             int limit, int offset) {
  return db_.withConnection([&](Session& s) {
    Rows q = s.run("SELECT e.id, t.number, e.kind, coalesce(e.status, t.status), e.body, "
                   "e.created_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                   "WHERE t.kind = 'defect' AND e.kind IN ('status_changed', 'public_note') "
                   "AND e.created_at >= $1 AND e.created_at <= $2 ORDER BY e.id "
                   "LIMIT $3 OFFSET $4",
                   toMillis(start), toMillis(end), limit, offset);
    std::vector<PublicUpdate> out;
    for (int i = 0; i < q.size(); ++i) {
      out.push_back(PublicUpdate{q.int64(i, 0), q.int64(i, 1), q.text(i, 2), q.text(i, 3),
                                 q.text(i, 4), fromMillis(q.int64(i, 5))});
    }
    return out;
  });
}

Result<void> PgCaseStore::addPublicNote(const PublicNote& note) {
  return changeTicket(db_, note.number, [&note, grid = grid_m_](Session& s,
                                                                std::int64_t ticket_id) {
    const std::int64_t now = toMillis(note.now);
    if (!claimUpdate(s, note.update_key, note.number, now)) { return; }  // a repeat
    // The followers' locks before the ticket's row (lockRecipients): a citizen's step into
    // this ticket's thread takes them in the same order.
    std::vector<std::string> recipients;
    for (const auto& o : note.notifications) { recipients.push_back(o.pseudonym); }
    lockRecipients(s, recipients);
    s.run("UPDATE tickets SET updated_at = $1 WHERE id = $2", now, ticket_id);
    addTicketEvent(s, ticket_id, "public_note", note.actor, "", note.note, 0, now);
    for (const auto& o : note.notifications) {
      const std::int64_t outbox_id = insertOutbound(s, o, ticket_id, now);
      addTicketEvent(s, ticket_id, "bot_message", "bot", "", "", outbox_id, now);
    }
    noteWithheld(s, ticket_id, note.withheld, now);
    CaseChange change;
    change.note = note.note;
    appendCaseEntry(s, ticket_id, "note", change, now, grid);
  });
}

Result<void> PgCaseStore::changeStatusOnce(const StatusChange& change,
                                           const std::string& update_key) {
  return changeTicket(db_, change.number, [&, grid = grid_m_](Session& s, std::int64_t ticket_id) {
    // A back-office update applied before: nothing changes, nobody is told again. The claim
    // comes first: a second claimant waits on it holding no other lock.
    if (!claimUpdate(s, update_key, change.number, toMillis(change.now))) { return; }
    writeStatusChange(s, ticket_id, change, grid);
  });
}

Result<bool> PgCaseStore::updateSeen(const std::string& update_key) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM api_updates WHERE update_key = $1", update_key).empty();
  });
}

Result<std::vector<CaseEntry>> PgCaseStore::caseEntriesAfter(
    std::int64_t after_id, const std::vector<std::string>& departments, int limit) {
  return db_.withConnection([&](Session& s) {
    const bool all = std::find(departments.begin(), departments.end(), "*") != departments.end();
    if (all) {
      return entriesOf(s.run(entrySelect("WHERE id > $1 ORDER BY id LIMIT $2"), after_id, limit));
    }
    const nlohmann::json list = departments;
    return entriesOf(s.run(entrySelect("WHERE id > $1 AND department IN (SELECT "
                                       "jsonb_array_elements_text($2::jsonb)) ORDER BY id LIMIT $3"),
                           after_id, list.dump(), limit));
  });
}

Result<void> PgCaseStore::setExternalRef(std::int64_t number, const std::string& ref,
                                         const std::string& actor, SysTime now) {
  return changeTicket(db_, number, [&](Session& s, std::int64_t ticket_id) {
    s.run("INSERT INTO ticket_public (ticket_id, external_ref) VALUES ($1, $2) "
          "ON CONFLICT (ticket_id) DO UPDATE SET external_ref = excluded.external_ref",
          ticket_id, ref);
    addTicketEvent(s, ticket_id, "external_ref", actor, "", ref, 0, toMillis(now));
  });
}

Result<void> PgCaseStore::setPublicDescription(std::int64_t number, const std::string& text,
                                               const std::string& actor, SysTime now) {
  return changeTicket(db_, number, [&](Session& s, std::int64_t ticket_id) {
    s.run("INSERT INTO ticket_public (ticket_id, public_description) VALUES ($1, "
          "nullif($2, '')) ON CONFLICT (ticket_id) DO UPDATE SET "
          "public_description = excluded.public_description",
          ticket_id, text);
    addTicketEvent(s, ticket_id, text.empty() ? "unpublished" : "published", actor, "", "", 0,
                   toMillis(now));
  });
}

}  // namespace bb::storage::pg
