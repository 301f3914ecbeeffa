// The deliveries that need staff (dead back-office entries, failed messages to citizens): the
// part of SqliteCaseStore behind the delivery page and `buergerbox deliveries`.

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/sqlite_case_store.hpp"

namespace bb::storage {
namespace {

// A citizen message that failed, or one held outside the WhatsApp window whose announcing
// template did not reach the citizen (Meta refused it or reported it undeliverable).
#define BB_OUTBOX_PROBLEM \
  "(o.status IN ('failed', 'dead') OR (o.status = 'held' AND o.error LIKE '%notice:%')) "

constexpr const char* kProblems =
    "SELECT 'b', q.id, q.ticket_number, q.department, '', q.state, coalesce(q.last_error, ''), "
    "q.tries, q.created_at FROM case_queue q WHERE q.state = 'dead' "
    "UNION ALL "
    "SELECT 'm', o.id, coalesce(t.number, 0), coalesce(t.department, ''), o.channel, o.status, "
    "coalesce(o.error, ''), o.tries, o.created_at FROM outbox o "
    "LEFT JOIN tickets t ON t.id = o.ticket_id WHERE " BB_OUTBOX_PROBLEM
    "UNION ALL "
    // One row per citizen: the first parked event (SQLite takes the bare columns from the row
    // of min(id)), with the number of later ones waiting behind it.
    "SELECT 'e', min(i.id), 0, '', i.channel, 'parked', coalesce(i.park_reason, '') || "
    "CASE WHEN count(*) > 1 THEN '; ' || (count(*) - 1) || ' later waiting' ELSE '' END, "
    "coalesce(i.park_tries, 0), i.received_at FROM inbound_events i "
    "WHERE i.parked_at IS NOT NULL GROUP BY i.pseudonym "
    "ORDER BY 9, 2 LIMIT ?";

//! The citizen of a parked event, when it is the first parked event of its citizen.
constexpr const char* kFirstParkedCitizen =
    "SELECT i.pseudonym FROM inbound_events i WHERE i.id = ? AND i.parked_at IS NOT NULL AND "
    "i.id = (SELECT min(j.id) FROM inbound_events j WHERE j.pseudonym = i.pseudonym AND "
    "j.parked_at IS NOT NULL)";

//! Puts every parked event of the citizen back: the engine queues them again, in order.
void unparkCitizen(SQLite::Database& db, const std::string& pseudonym) {
  SQLite::Statement q(db,
                      "UPDATE inbound_events SET parked_at = NULL, park_reason = NULL, "
                      "park_tries = NULL WHERE pseudonym = ? AND parked_at IS NOT NULL");
  q.bind(1, pseudonym);
  q.exec();
}

//! Retry (`discard` false) or discard the first parked event `id` of a citizen; false when it is
//! not one. Either way the citizen's other parked events go back to processing; a discarded
//! event is marked processed without effects and its payload (the citizen's message) dropped.
bool settleParked(SQLite::Database& db, std::int64_t id, SysTime now, bool discard) {
  SQLite::Statement find(db, kFirstParkedCitizen);
  find.bind(1, id);
  if (!find.executeStep()) { return false; }
  const std::string pseudonym = find.getColumn(0).getString();
  if (discard) {
    SQLite::Statement q(db,
                        "UPDATE inbound_events SET processed_at = ?, payload = NULL, "
                        "parked_at = NULL, park_reason = 'discarded' WHERE id = ?");
    q.bind(1, toMillis(now));
    q.bind(2, id);
    q.exec();
  }
  unparkCitizen(db, pseudonym);
  return true;
}

void insertAuditRow(SQLite::Database& db, const AuditEntry& e) {
  SQLite::Statement q(db,
                      "INSERT INTO audit_log (at, staff_id, actor, action, ticket_number, detail) "
                      "VALUES (?, nullif(?, 0), ?, ?, nullif(?, 0), ?)");
  q.bind(1, toMillis(e.at));
  q.bind(2, e.staff_id);
  q.bind(3, e.actor);
  q.bind(4, e.action);
  q.bind(5, e.ticket_number);
  q.bind(6, e.detail);
  q.exec();
}

//! The ticket number of a problem, for its audit entry (0: none).
std::int64_t ticketOf(SQLite::Database& db, DeliveryProblem::Kind kind, std::int64_t id) {
  SQLite::Statement q(db, kind == DeliveryProblem::Kind::BackOffice
                              ? "SELECT ticket_number FROM case_queue WHERE id = ?"
                              : "SELECT coalesce(t.number, 0) FROM outbox o LEFT JOIN tickets t "
                                "ON t.id = o.ticket_id WHERE o.id = ?");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

}  // namespace

Result<std::vector<DeliveryProblem>> SqliteCaseStore::deliveryProblems(int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<DeliveryProblem> out;
    SQLite::Statement q(db, kProblems);
    q.bind(1, limit);
    while (q.executeStep()) {
      DeliveryProblem p;
      const std::string kind = q.getColumn(0).getString();
      p.kind = kind == "b"   ? DeliveryProblem::Kind::BackOffice
               : kind == "e" ? DeliveryProblem::Kind::Inbound
                             : DeliveryProblem::Kind::Message;
      p.id = q.getColumn(1).getInt64();
      p.ticket_number = q.getColumn(2).getInt64();
      p.department = q.getColumn(3).getString();
      p.channel = q.getColumn(4).getString();
      p.state = q.getColumn(5).getString();
      p.reason = q.getColumn(6).getString();
      p.tries = q.getColumn(7).getInt();
      p.since = fromMillis(q.getColumn(8).getInt64());
      out.push_back(std::move(p));
    }
    return out;
  });
}

Result<std::int64_t> SqliteCaseStore::deliveryProblemCount() {
  return db_.read([](SQLite::Database& db) {
    return db.execAndGet("SELECT (SELECT count(*) FROM case_queue WHERE state = 'dead') + "
                         "(SELECT count(*) FROM outbox o WHERE " BB_OUTBOX_PROBLEM ") + "
        "(SELECT count(DISTINCT pseudonym) FROM inbound_events WHERE parked_at IS NOT NULL)")
        .getInt64();
  });
}

Result<void> SqliteCaseStore::retryDelivery(DeliveryProblem::Kind kind, std::int64_t id,
                                            SysTime now, AuditEntry audit) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such failed delivery (or the citizen was erased)",
                        [&](SQLite::Database& db) {
    if (kind == DeliveryProblem::Kind::Inbound) {
      if (!settleParked(db, id, now, false)) { return false; }
      insertAuditRow(db, audit);
      return true;
    }
    const bool entry = kind == DeliveryProblem::Kind::BackOffice;
    // A final outbox row lost its sealed address (data minimization): a retry takes it from
    // the citizen again; an erased citizen cannot be reached any more.
    SQLite::Statement q(db, entry
        ? "UPDATE case_queue SET state = 'pending', tries = 0, next_attempt_at = ? "
          "WHERE id = ? AND state = 'dead'"
        : "UPDATE outbox SET status = 'queued', tries = 0, next_attempt_at = ?1, error = NULL, "
          "updated_at = ?1, address_ct = c.address_ct, key_id = c.key_id FROM citizens c "
          "WHERE outbox.id = ?2 AND (outbox.status IN ('failed', 'dead') OR "
          "(outbox.status = 'held' AND outbox.error LIKE '%notice:%')) AND "
          "c.pseudonym = outbox.pseudonym");
    q.bind(1, toMillis(now));
    q.bind(2, id);
    if (q.exec() != 1) { return false; }
    audit.ticket_number = ticketOf(db, kind, id);
    insertAuditRow(db, audit);
    return true;
  });
}

Result<void> SqliteCaseStore::discardDelivery(DeliveryProblem::Kind kind, std::int64_t id,
                                              SysTime now, AuditEntry audit) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such failed delivery",
                        [&](SQLite::Database& db) {
    if (kind == DeliveryProblem::Kind::Inbound) {
      if (!settleParked(db, id, now, true)) { return false; }
      insertAuditRow(db, audit);
      return true;
    }
    const bool entry = kind == DeliveryProblem::Kind::BackOffice;
    SQLite::Statement q(db, entry
        ? "UPDATE case_queue SET state = 'discarded', next_attempt_at = ? "
          "WHERE id = ? AND state = 'dead'"
        : "UPDATE outbox SET status = 'discarded', updated_at = ? "
          "WHERE id = ? AND (status IN ('failed', 'dead') OR "
          "(status = 'held' AND error LIKE '%notice:%'))");
    q.bind(1, toMillis(now));
    q.bind(2, id);
    if (q.exec() != 1) { return false; }
    audit.ticket_number = ticketOf(db, kind, id);
    insertAuditRow(db, audit);
    return true;
  });
}

}  // namespace bb::storage
