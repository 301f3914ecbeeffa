// The deliveries that need staff (dead back-office entries, failed messages to citizens, parked
// received events) on PostgreSQL: the twin of storage/sqlite_case_deliveries.cpp.

#include "storage/millis.hpp"
#include "storage/postgresql/pg_case_store.hpp"

namespace bb::storage::pg {
namespace {

// A citizen message that failed, or one held outside the WhatsApp window whose announcing
// template did not reach the citizen (Meta refused it or reported it undeliverable). ILIKE:
// SQLite's LIKE ignores the case of ASCII letters.
#define BB_PG_OUTBOX_PROBLEM(o)                                 \
  "(" o ".status IN ('failed', 'dead') OR (" o ".status = 'held' AND " o \
  ".error ILIKE '%notice:%')) "

constexpr const char* kProblems =
    "SELECT 'b', q.id, q.ticket_number, q.department, '', q.state, coalesce(q.last_error, ''), "
    "q.tries, q.created_at FROM case_queue q WHERE q.state = 'dead' "
    "UNION ALL "
    "SELECT 'm', o.id, coalesce(t.number, 0), coalesce(t.department, ''), o.channel, o.status, "
    "coalesce(o.error, ''), o.tries, o.created_at FROM outbox o "
    "LEFT JOIN tickets t ON t.id = o.ticket_id WHERE " BB_PG_OUTBOX_PROBLEM("o")
    "UNION ALL "
    // One row per citizen: the first parked event, with the number of later ones waiting
    // behind it.
    "SELECT 'e', i.id, 0, '', i.channel, 'parked', coalesce(i.park_reason, '') || "
    "CASE WHEN i.parked > 1 THEN '; ' || (i.parked - 1) || ' later waiting' ELSE '' END, "
    "coalesce(i.park_tries, 0), i.received_at FROM (SELECT DISTINCT ON (pseudonym) id, "
    "channel, park_reason, park_tries, received_at, count(*) OVER (PARTITION BY pseudonym) "
    "AS parked FROM inbound_events WHERE parked_at IS NOT NULL ORDER BY pseudonym, id) i "
    // The kind last: a back-office entry and a message of one id and time in one order.
    "ORDER BY 9, 2, 1 LIMIT $1";

//! The citizen of a parked event, when it is the first parked event of its citizen.
constexpr const char* kFirstParkedCitizen =
    "SELECT i.pseudonym FROM inbound_events i WHERE i.id = $1 AND i.parked_at IS NOT NULL AND "
    "i.id = (SELECT min(j.id) FROM inbound_events j WHERE j.pseudonym = i.pseudonym AND "
    "j.parked_at IS NOT NULL)";

//! Retry (`discard` false) or discard the first parked event `id` of a citizen; false when it is
//! not one. Either way the citizen's other parked events go back to processing; a discarded
//! event is marked processed without effects and its payload (the citizen's message) dropped.
bool settleParked(Session& s, std::int64_t id, SysTime now, bool discard) {
  Rows found = s.run(kFirstParkedCitizen, id);
  if (found.empty()) { return false; }
  const std::string pseudonym = found.text(0, 0);
  if (discard) {
    s.run("UPDATE inbound_events SET processed_at = $1, payload = NULL, parked_at = NULL, "
          "park_reason = 'discarded' WHERE id = $2",
          toMillis(now), id);
  }
  // Every parked event of the citizen back: the engine queues them again, in order.
  s.run("UPDATE inbound_events SET parked_at = NULL, park_reason = NULL, park_tries = NULL "
        "WHERE pseudonym = $1 AND parked_at IS NOT NULL",
        pseudonym);
  return true;
}

void insertAuditRow(Session& s, const AuditEntry& e) {
  s.run("INSERT INTO audit_log (at, staff_id, actor, action, ticket_number, detail) "
        "VALUES ($1, nullif($2::bigint, 0), $3, $4, nullif($5::bigint, 0), $6)",
        toMillis(e.at), e.staff_id, e.actor, e.action, e.ticket_number, e.detail);
}

//! The ticket number of a problem, for its audit entry (0: none).
std::int64_t ticketOf(Session& s, DeliveryProblem::Kind kind, std::int64_t id) {
  Rows rows = s.run(kind == DeliveryProblem::Kind::BackOffice
                        ? "SELECT ticket_number FROM case_queue WHERE id = $1"
                        : "SELECT coalesce(t.number, 0) FROM outbox o LEFT JOIN tickets t "
                          "ON t.id = o.ticket_id WHERE o.id = $1",
                    id);
  return rows.empty() ? 0 : rows.int64(0, 0);
}

DeliveryProblem readProblem(const Rows& q, int i) {
  DeliveryProblem p;
  const std::string kind = q.text(i, 0);
  p.kind = kind == "b"   ? DeliveryProblem::Kind::BackOffice
           : kind == "e" ? DeliveryProblem::Kind::Inbound
                         : DeliveryProblem::Kind::Message;
  p.id = q.int64(i, 1);
  p.ticket_number = q.int64(i, 2);
  p.department = q.text(i, 3);
  p.channel = q.text(i, 4);
  p.state = q.text(i, 5);
  p.reason = q.text(i, 6);
  p.tries = static_cast<int>(q.int64(i, 7));
  p.since = fromMillis(q.int64(i, 8));
  return p;
}

//! Retries (`discard` false) or discards a problem inside the running transaction; false when
//! it is not one (nothing changed). The audit entry is written with it.
bool settleProblem(Session& s, DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                   AuditEntry& audit, bool discard) {
  if (kind == DeliveryProblem::Kind::Inbound) {
    if (!settleParked(s, id, now, discard)) { return false; }
    insertAuditRow(s, audit);
    return true;
  }
  const bool entry = kind == DeliveryProblem::Kind::BackOffice;
  const char* sql =
      entry ? (discard ? "UPDATE case_queue SET state = 'discarded', next_attempt_at = $1 "
                         "WHERE id = $2 AND state = 'dead'"
                       : "UPDATE case_queue SET state = 'pending', tries = 0, next_attempt_at = $1 "
                         "WHERE id = $2 AND state = 'dead'")
      : discard
          ? "UPDATE outbox SET status = 'discarded', updated_at = $1 WHERE id = $2 AND "
            BB_PG_OUTBOX_PROBLEM("outbox")
          // A final outbox row lost its sealed address (data minimization): a retry takes it
          // from the citizen again; an erased citizen cannot be reached any more.
          : "UPDATE outbox SET status = 'queued', tries = 0, next_attempt_at = $1, error = NULL, "
            "updated_at = $1, address_ct = c.address_ct, key_id = c.key_id FROM citizens c "
            "WHERE outbox.id = $2 AND c.pseudonym = outbox.pseudonym AND "
            BB_PG_OUTBOX_PROBLEM("outbox");
  if (s.run(sql, toMillis(now), id).affected() != 1) { return false; }
  audit.ticket_number = ticketOf(s, kind, id);
  insertAuditRow(s, audit);
  return true;
}

Result<void> settle(PgDatabase& db, DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                    AuditEntry audit, bool discard, const char* refusal) {
  auto settled = db.transaction(
      [&](Session& s) { return settleProblem(s, kind, id, now, audit, discard); });
  if (!settled) { return Unexpected<Error>{settled.error()}; }
  if (!*settled) { return fail(ErrorCode::NotFound, refusal); }
  return {};
}

}  // namespace

Result<std::vector<DeliveryProblem>> PgCaseStore::deliveryProblems(int limit) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(kProblems, limit);
    std::vector<DeliveryProblem> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(readProblem(rows, i)); }
    return out;
  });
}

Result<std::int64_t> PgCaseStore::deliveryProblemCount() {
  return db_.withConnection([](Session& s) {
    return s
        .run("SELECT (SELECT count(*) FROM case_queue WHERE state = 'dead') + "
             "(SELECT count(*) FROM outbox o WHERE " BB_PG_OUTBOX_PROBLEM("o") ") + "
             "(SELECT count(DISTINCT pseudonym) FROM inbound_events WHERE parked_at IS NOT NULL)")
        .int64(0, 0);
  });
}

Result<void> PgCaseStore::retryDelivery(DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                                        AuditEntry audit) {
  return settle(db_, kind, id, now, std::move(audit), false,
                "no such failed delivery (or the citizen was erased)");
}

Result<void> PgCaseStore::discardDelivery(DeliveryProblem::Kind kind, std::int64_t id,
                                          SysTime now, AuditEntry audit) {
  return settle(db_, kind, id, now, std::move(audit), true, "no such failed delivery");
}

}  // namespace bb::storage::pg
