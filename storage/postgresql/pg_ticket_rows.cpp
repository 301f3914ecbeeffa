// Ticket rows, consents and subscriptions on PostgreSQL: the twins of storage/ticket_rows.cpp,
// the case queue hook of storage/sqlite_case_store.cpp and the chat subscription changes of
// storage/sqlite_subscription_store.cpp.

#include <algorithm>
#include <cstdint>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage::pg {
namespace {

Param optionalText(const std::string& s) { return s.empty() ? Param() : Param(s); }
Param optionalId(std::int64_t id) { return id > 0 ? param(id) : Param(); }

bool isClosedStatus(const std::string& s) {
  return s == "erledigt" || s == "nicht_zustaendig" || s == "duplikat" || s == "geschlossen";
}

}  // namespace

std::optional<SysTime> timeAt(const Rows& rows, int row, int column) {
  if (rows.isNull(row, column)) { return std::nullopt; }
  return fromMillis(rows.int64(row, column));
}

#define BB_PG_ANONYMOUS_PLACE                                         \
  "address_text = '', lat = round(lat::numeric, 3)::double precision, " \
  "lon = round(lon::numeric, 3)::double precision"
const char* const kPgAnonymousPlaceFields = BB_PG_ANONYMOUS_PLACE;
const char* const kPgTicketAnonymousFields =
    "reporter = NULL, follow_token_hash = NULL, description = '', extra_answer = '', "
    BB_PG_ANONYMOUS_PLACE;
#undef BB_PG_ANONYMOUS_PLACE

CitizenRecord readCitizen(const Rows& q, int i) {
  CitizenRecord c;
  c.pseudonym = q.text(i, 0);
  c.channel = channelFromString(q.text(i, 1)).value_or(Channel::WebChat);
  c.address_ct = q.bytes(i, 2);
  c.key_id = q.text(i, 3);
  c.lang = q.text(i, 4);
  c.consent_version = static_cast<int>(q.int64(i, 5));
  c.unreachable = q.int64(i, 6) != 0;
  c.last_inbound_at = timeAt(q, i, 7);
  c.consent_at = timeAt(q, i, 8);
  c.notifications_stopped_at = timeAt(q, i, 9);
  return c;
}

TicketRecord readTicketRow(const Rows& rows, int row) {
  TicketRecord t;
  t.id = rows.int64(row, 0);
  t.number = rows.int64(row, 1);
  t.kind = rows.text(row, 2);
  t.category_id = rows.text(row, 3);
  t.department = rows.text(row, 4);
  t.district_id = rows.text(row, 5);
  t.status = rows.text(row, 6);
  if (!rows.isNull(row, 7)) { t.lat = rows.real(row, 7); }
  if (!rows.isNull(row, 8)) { t.lon = rows.real(row, 8); }
  t.address_text = rows.text(row, 9);
  t.description = rows.text(row, 10);
  t.extra_answer = rows.text(row, 11);
  t.channel = channelFromString(rows.text(row, 12)).value_or(Channel::WebChat);
  t.reporter = rows.text(row, 13);  // NULL once anonymized
  t.created_at = fromMillis(rows.int64(row, 14));
  t.updated_at = fromMillis(rows.int64(row, 15));
  t.closed_at = timeAt(rows, row, 16);
  return t;
}

std::vector<std::string> ticketPhotoIds(Session& s, std::int64_t ticket_id) {
  Rows photos =
      s.run("SELECT media_id FROM ticket_photos WHERE ticket_id = $1 ORDER BY position", ticket_id);
  std::vector<std::string> out;
  for (int i = 0; i < photos.size(); ++i) { out.push_back(photos.text(i, 0)); }
  return out;
}

TicketRecord readTicket(Session& s, const Rows& rows, int row) {
  TicketRecord t = readTicketRow(rows, row);
  t.photo_media_ids = ticketPhotoIds(s, t.id);
  return t;
}

std::int64_t ticketIdOf(Session& s, std::int64_t number) {
  Rows rows = s.run("SELECT id FROM tickets WHERE number = $1", number);
  return rows.empty() ? 0 : rows.int64(0, 0);
}

std::int64_t addTicketEvent(Session& s, std::int64_t ticket_id, const std::string& kind,
                            const std::string& actor, const std::string& status,
                            const std::string& body, std::int64_t outbox_id, std::int64_t now) {
  return s
      .run("INSERT INTO ticket_events (ticket_id, kind, actor, status, body, outbox_id, "
           "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
           ticket_id, kind, actor, optionalText(status), body, optionalId(outbox_id), now)
      .int64(0, 0);
}

int recipientLockSlot(const std::string& pseudonym) {
  // FNV-1a: the same slot on every instance and build (std::hash promises neither).
  std::uint32_t hash = 2166136261U;
  for (const unsigned char c : pseudonym) { hash = (hash ^ c) * 16777619U; }
  return static_cast<int>(hash % static_cast<std::uint32_t>(kRecipientLockSlots));
}

void lockRecipients(Session& s, const std::vector<std::string>& pseudonyms) {
  // A slot per recipient, not a lock: a status change to thousands of followers takes at most
  // kRecipientLockSlots locks (PostgreSQL's lock table is shared and small), at the price that
  // two citizens of one slot commit one after the other. Slots in ascending order.
  std::vector<int> slots;
  slots.reserve(pseudonyms.size());
  for (const auto& p : pseudonyms) { slots.push_back(recipientLockSlot(p)); }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  // Held until the commit; the two-key form keeps clear of the one-key leadership lock. Taking
  // one again in the same transaction returns at once.
  for (const int slot : slots) {
    s.run("SELECT pg_advisory_xact_lock(1, $1)", static_cast<std::int64_t>(slot));
  }
}

std::int64_t insertOutbound(Session& s, const NewOutbound& o, std::int64_t ticket_id,
                            std::int64_t now) {
  lockRecipients(s, {o.pseudonym});
  return s
      .run("INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, kind, "
           "ticket_id, status, next_attempt_at, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8) RETURNING id",
           toString(o.channel), o.pseudonym, Bytes{o.address_ct}, o.key_id, o.payload, o.kind,
           optionalId(ticket_id), now)
      .int64(0, 0);
}

void openReplyWindow(Session& s, const std::string& pseudonym, std::int64_t ticket_id,
                     std::int64_t now) {
  if (pseudonym.empty()) { return; }
  s.run("INSERT INTO reply_windows (pseudonym, ticket_id, opened_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (pseudonym, ticket_id) DO UPDATE SET opened_at = excluded.opened_at",
        pseudonym, ticket_id, now);
}

void noteWithheld(Session& s, std::int64_t ticket_id, int withheld, std::int64_t now) {
  if (withheld <= 0) { return; }
  addTicketEvent(s, ticket_id, "notifications_withheld", "bot", "", std::to_string(withheld), 0,
                 now);
}

void appendCaseEntry(Session& s, std::int64_t ticket_id, const std::string& event_type,
                     const CaseChange& change, std::int64_t now, double grid_m) {
  Rows q = s.run(
      "SELECT t.number, t.kind, t.category_id, t.department, t.district_id, t.status, t.lat, "
      "t.lon, t.created_at, t.updated_at, t.closed_at, coalesce(p.public_description, ''), "
      "coalesce(p.external_ref, '') FROM tickets t "
      "LEFT JOIN ticket_public p ON p.ticket_id = t.id WHERE t.id = $1",
      ticket_id);
  // Called right after the ticket was written in the same transaction: a missing row is a bug,
  // and the throw rolls the change back.
  if (q.empty()) { throw std::logic_error("case entry for a missing ticket"); }
  CaseSnapshot c;
  c.number = q.int64(0, 0);
  c.kind = q.text(0, 1);
  c.category_id = q.text(0, 2);
  c.department = q.text(0, 3);
  c.district_id = q.text(0, 4);
  c.status = q.text(0, 5);
  if (!q.isNull(0, 6) && !q.isNull(0, 7)) {
    c.lat = q.real(0, 6);
    c.lon = q.real(0, 7);
  }
  c.created_at = fromMillis(q.int64(0, 8));
  c.updated_at = fromMillis(q.int64(0, 9));
  c.closed_at = timeAt(q, 0, 10);
  c.public_description = q.text(0, 11);
  c.external_ref = q.text(0, 12);
  const std::string payload = casePayload(c, event_type, change, fromMillis(now), grid_m);
  s.run("INSERT INTO case_queue (ticket_number, department, event_type, payload, created_at, "
        "thread_first, thread_last) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        c.number, c.department, event_type, payload, now, optionalId(change.thread_first),
        optionalId(change.thread_first != 0 ? change.thread_last : 0));
}

void writeStatusChange(Session& s, std::int64_t ticket_id, const StatusChange& change,
                       double grid_m) {
  const std::int64_t now = toMillis(change.now);
  std::vector<std::string> recipients;
  for (const auto& o : change.notifications) { recipients.push_back(o.pseudonym); }
  lockRecipients(s, recipients);
  s.run("UPDATE tickets SET status = $1, updated_at = $2, closed_at = "
        "CASE WHEN $3 THEN coalesce(closed_at, $2) ELSE NULL END WHERE id = $4",
        change.new_status, now, isClosedStatus(change.new_status), ticket_id);
  addTicketEvent(s, ticket_id, "status_changed", change.actor, change.new_status, change.note, 0,
                 now);
  CaseChange note;
  note.note = change.note;
  appendCaseEntry(s, ticket_id, "status_changed", note, now, grid_m);  // same transaction
  for (const auto& o : change.notifications) {
    const std::int64_t outbox_id = insertOutbound(s, o, ticket_id, now);
    addTicketEvent(s, ticket_id, "bot_message", "bot", "", "", outbox_id, now);
    // A status change with text is the city writing to the citizen: they may answer.
    if (!change.note.empty()) { openReplyWindow(s, o.pseudonym, ticket_id, now); }
  }
  noteWithheld(s, ticket_id, change.withheld, now);
}

void withdrawConsent(Session& s, const std::string& pseudonym, const std::string& purpose,
                     std::int64_t now) {
  s.run("UPDATE consents SET withdrawn_at = $1 "
        "WHERE pseudonym = $2 AND purpose = $3 AND withdrawn_at IS NULL",
        now, pseudonym, purpose);
}

void grantConsent(Session& s, const std::string& pseudonym, const std::string& purpose,
                  int notice_version, std::int64_t now) {
  // Two grants of one purpose at once (two instances, or the web chat beside a step) would both
  // find nothing to withdraw and both insert: the citizen's lock puts them one after the other
  // (held already inside a step, then this returns at once).
  lockRecipients(s, {pseudonym});
  withdrawConsent(s, pseudonym, purpose, now);
  s.run("INSERT INTO consents (pseudonym, purpose, notice_version, granted_at) "
        "VALUES ($1, $2, $3, $4)",
        pseudonym, purpose, notice_version, now);
}

void grantConsentOnce(Session& s, const std::string& pseudonym, const std::string& purpose,
                      std::int64_t now) {
  // Under the citizen's lock a grant of the same purpose elsewhere commits first or waits; the
  // unique index on valid consents would refuse a second row anyway.
  lockRecipients(s, {pseudonym});
  s.run("INSERT INTO consents (pseudonym, purpose, notice_version, granted_at) "
        "SELECT pseudonym, $2, consent_version, $3 FROM citizens "
        "WHERE pseudonym = $1 AND consent_version > 0 AND NOT EXISTS "
        "(SELECT 1 FROM consents WHERE pseudonym = $1 AND purpose = $2 "
        "AND withdrawn_at IS NULL)",
        pseudonym, purpose, now);
}

void applySubscriptionChanges(Session& s, const std::string& pseudonym,
                              const std::vector<SubscriptionChange>& changes, std::int64_t now) {
  using Op = SubscriptionChange::Op;
  for (const SubscriptionChange& c : changes) {
    switch (c.op) {
      case Op::Subscribe:
        s.run("INSERT INTO sub_subscriptions (pseudonym, topic, created_at) VALUES ($1, $2, $3) "
              "ON CONFLICT (pseudonym, topic) DO UPDATE SET reminded_at = NULL",
              pseudonym, c.topic, now);
        grantConsent(s, pseudonym, broadcastPurpose(c.topic), c.notice_version, now);
        break;
      case Op::Unsubscribe:
        s.run("DELETE FROM sub_subscriptions WHERE pseudonym = $1 AND topic = $2", pseudonym,
              c.topic);
        withdrawConsent(s, pseudonym, broadcastPurpose(c.topic), now);
        break;
      case Op::UnsubscribeAll:
        s.run("DELETE FROM sub_subscriptions WHERE pseudonym = $1", pseudonym);
        s.run("UPDATE consents SET withdrawn_at = $1 WHERE pseudonym = $2 AND "
              "purpose LIKE 'broadcast:%' AND withdrawn_at IS NULL",
              now, pseudonym);
        break;
    }
  }
}

}  // namespace bb::storage::pg
