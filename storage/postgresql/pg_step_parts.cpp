// What one processed event changes, on PostgreSQL: the twins of storage/step_citizen.cpp,
// storage/step_tickets.cpp, storage/step_outbox.cpp and storage/erasure.cpp (the same rows, the
// same erasure policy), run inside PgStore::commitStep's transaction.

#include <initializer_list>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"

namespace bb::storage::pg {
namespace {

Param nullIfEmpty(const std::string& s) { return s.empty() ? Param() : Param(s); }

//! Runs each statement with the citizen's pseudonym as $1 and the step's time as $2.
void runForCitizen(const PgStep& w, const std::string& pseudonym,
                   std::initializer_list<std::string> statements) {
  for (const std::string& sql : statements) {
    if (sql.find("$2") != std::string::npos) {
      w.s.run(sql, pseudonym, w.now);
    } else {
      w.s.run(sql, pseudonym);
    }
  }
}

std::int64_t insertTicketRow(const PgStep& w, const NewTicket& t) {
  // A position is both coordinates or none.
  const bool located = t.lat && t.lon;
  return w.s
      .run("INSERT INTO tickets (number, kind, category_id, department, district_id, status, "
           "lat, lon, address_text, description, extra_answer, channel, reporter, "
           "follow_token_hash, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) "
           "RETURNING id",
           t.number, t.kind, t.category_id, t.department, t.district_id, t.status,
           located ? t.lat : std::nullopt, located ? t.lon : std::nullopt, t.address_text,
           t.description, t.extra_answer, t.source.empty() ? toString(t.channel) : "api",
           t.reporter, nullIfEmpty(t.follow_token_hash), w.now)
      .int64(0, 0);
}

void addFollower(const PgStep& w, std::int64_t ticket_id, const std::string& pseudonym) {
  w.s.run("INSERT INTO ticket_followers (ticket_id, pseudonym, created_at) VALUES ($1, $2, $3) "
          "ON CONFLICT DO NOTHING",
          ticket_id, pseudonym, w.now);
}

//! Tickets stay, without anything that points to the person (storage/erasure.cpp).
void eraseFromTickets(const PgStep& w, const std::string& pseudonym) {
  runForCitizen(
      w, pseudonym,
      {"INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) "
       "SELECT id, 'erased', 'citizen', '', $2 FROM tickets WHERE reporter = $1",
       "UPDATE ticket_events SET body = '' WHERE kind = 'created' AND ticket_id IN "
       "(SELECT id FROM tickets WHERE reporter = $1)",
       "DELETE FROM ticket_photos WHERE ticket_id IN (SELECT id FROM tickets WHERE reporter = $1)",
       "DELETE FROM ticket_followers WHERE pseudonym = $1",
       "UPDATE ticket_events SET body = '', media_id = NULL, author = NULL WHERE author = $1",
       "DELETE FROM reply_windows WHERE pseudonym = $1",
       // Last, since it drops the reporter the statements above select by.
       std::string("UPDATE tickets SET ") + kPgTicketAnonymousFields +
           ", updated_at = $2 WHERE reporter = $1"});
}

void eraseFromParticipation(const PgStep& w, const std::string& pseudonym) {
  runForCitizen(
      w, pseudonym,
      {"DELETE FROM proposal_supports WHERE pseudonym = $1",
       "DELETE FROM proposal_notices WHERE pseudonym = $1",
       "DELETE FROM proposal_comments WHERE author = $1 AND status <> 'published'",
       "UPDATE proposal_comments SET author = NULL WHERE author = $1",
       "DELETE FROM proposal_notices WHERE proposal_id IN (SELECT id FROM proposals "
       "WHERE author = $1 AND status IN ('pending', 'rejected'))",
       "DELETE FROM proposals WHERE author = $1 AND status IN ('pending', 'rejected')",
       std::string("UPDATE proposals SET author = NULL, photo_media_id = NULL, photo_public = 0, ") +
           kPgAnonymousPlaceFields + ", updated_at = $2 WHERE author = $1"});
}

void eraseOwnRows(const PgStep& w, const std::string& pseudonym) {
  runForCitizen(w, pseudonym,
                {"DELETE FROM sub_subscriptions WHERE pseudonym = $1",
                 "DELETE FROM consents WHERE pseudonym = $1",
                 "DELETE FROM outbox WHERE pseudonym = $1",
                 "DELETE FROM data_exports WHERE pseudonym = $1",
                 "DELETE FROM media WHERE pseudonym = $1",
                 "DELETE FROM conversations WHERE pseudonym = $1",
                 "DELETE FROM citizens WHERE pseudonym = $1",
                 "UPDATE inbound_events SET payload = NULL, pseudonym = '' WHERE pseudonym = $1"});
}

}  // namespace

void upsertCitizen(const PgStep& w, const CitizenRecord& c) {
  const std::optional<std::int64_t> consent_at =
      c.consent_version > 0 ? std::optional<std::int64_t>(w.now) : std::nullopt;
  const std::optional<std::int64_t> last_inbound =
      c.last_inbound_at ? std::optional<std::int64_t>(toMillis(*c.last_inbound_at)) : std::nullopt;
  w.s.run("INSERT INTO citizens (pseudonym, channel, address_ct, key_id, lang, consent_version, "
          "consent_at, created_at, last_inbound_at, unreachable) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (pseudonym) DO UPDATE SET "
          "address_ct = excluded.address_ct, key_id = excluded.key_id, lang = excluded.lang, "
          "consent_at = CASE WHEN excluded.consent_version <> citizens.consent_version "
          "  THEN excluded.consent_at ELSE citizens.consent_at END, "
          "consent_version = excluded.consent_version, "
          "last_inbound_at = excluded.last_inbound_at, unreachable = excluded.unreachable",
          c.pseudonym, toString(c.channel), Bytes{c.address_ct}, c.key_id, c.lang,
          c.consent_version, consent_at, w.now, last_inbound, c.unreachable ? 1 : 0);
}

void setNotificationsStopped(const PgStep& w, const std::string& pseudonym, bool stopped) {
  w.s.run("UPDATE citizens SET notifications_stopped_at = "
          "CASE WHEN $1 THEN coalesce(notifications_stopped_at, $2) ELSE NULL END "
          "WHERE pseudonym = $3",
          stopped, w.now, pseudonym);
  if (!stopped) { return; }
  // What still waited for them is not sent either (storage/step_citizen.cpp).
  w.s.run("UPDATE outbox SET status = 'withheld', error = 'notifications_stopped', "
          "address_ct = '\\x'::bytea, updated_at = $1 WHERE pseudonym = $2 "
          "AND status IN ('queued', 'held') AND kind IN ('status', 'staff', 'notice', 'broadcast')",
          w.now, pseudonym);
}

void saveConversation(const PgStep& w, const std::string& pseudonym,
                      const ConversationRecord& conversation) {
  w.s.run("INSERT INTO conversations (pseudonym, state, data, updated_at) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (pseudonym) DO UPDATE SET state = excluded.state, data = excluded.data, "
          "updated_at = excluded.updated_at",
          pseudonym, conversation.state, conversation.data, w.now);
}

void insertMedia(const PgStep& w, const std::string& pseudonym, Channel channel,
                 const std::vector<NewMedia>& media) {
  for (const auto& m : media) {
    const bool cleaned = !m.content_id.empty();
    w.s.run("INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, "
            "mime_type, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            m.id, pseudonym, toString(channel), m.source_ref, cleaned ? "ready" : "pending",
            nullIfEmpty(m.content_id), m.mime_type, w.now);
  }
}

void insertTickets(const PgStep& w, const std::vector<NewTicket>& tickets, double grid_m) {
  for (const auto& t : tickets) {
    const std::int64_t ticket_id = insertTicketRow(w, t);
    int position = 0;
    for (auto media_id : t.photo_media_ids) {
      w.s.run("INSERT INTO ticket_photos (ticket_id, media_id, position) VALUES ($1, $2, $3) "
              "ON CONFLICT DO NOTHING",
              ticket_id, media_id, position++);
    }
    if (!t.reporter.empty()) { addFollower(w, ticket_id, t.reporter); }
    addTicketEvent(w.s, ticket_id, "created", t.source.empty() ? "citizen" : t.source, t.status,
                   t.description, 0, w.now);
    if (!t.source.empty()) {
      w.s.run("INSERT INTO ticket_public (ticket_id, source) VALUES ($1, $2) "
              "ON CONFLICT (ticket_id) DO UPDATE SET source = excluded.source",
              ticket_id, t.source);
    }
    appendCaseEntry(w.s, ticket_id, "created", CaseChange{}, w.now, grid_m);  // same transaction
  }
}

void followTickets(const PgStep& w, const std::string& pseudonym,
                   const std::vector<std::int64_t>& numbers) {
  for (auto number : numbers) {
    const std::int64_t ticket_id = ticketIdOf(w.s, number);
    if (ticket_id == 0) { continue; }
    addFollower(w, ticket_id, pseudonym);
    addTicketEvent(w.s, ticket_id, "follower_added", "citizen", "", "", 0, w.now);
  }
}

void postTicketMessages(const PgStep& w, const std::string& pseudonym,
                        const std::vector<NewTicketMessage>& messages, double grid_m) {
  for (const auto& m : messages) {
    const std::int64_t ticket_id = ticketIdOf(w.s, m.number);
    if (ticket_id == 0) { continue; }
    std::size_t i = 0;
    CaseChange change;
    do {
      const std::optional<std::int64_t> media =
          i < m.media_ids.size() ? std::optional<std::int64_t>(m.media_ids[i]) : std::nullopt;
      change.thread_last =
          w.s.run("INSERT INTO ticket_events (ticket_id, kind, actor, body, media_id, author, "
                  "created_at) VALUES ($1, 'citizen_message', 'citizen', $2, $3, $4, $5) "
                  "RETURNING id",
                  ticket_id, i == 0 ? m.body : std::string(), media, pseudonym, w.now)
              .int64(0, 0);
      if (i == 0) { change.thread_first = change.thread_last; }
    } while (++i < m.media_ids.size());
    appendCaseEntry(w.s, ticket_id, "citizen_message", change, w.now, grid_m);
    w.s.run("UPDATE tickets SET unread_citizen_at = coalesce(unread_citizen_at, $1), "
            "updated_at = $1 WHERE id = $2",
            w.now, ticket_id);
    w.s.run("UPDATE reply_windows SET last_message_at = $1 WHERE pseudonym = $2 AND ticket_id = $3",
            w.now, pseudonym, ticket_id);
  }
}

void queueOutbound(const PgStep& w, const std::vector<NewOutbound>& outbound) {
  for (const auto& o : outbound) {
    const std::int64_t ticket_id = o.ticket_number > 0 ? ticketIdOf(w.s, o.ticket_number) : 0;
    const std::int64_t outbox_id = insertOutbound(w.s, o, ticket_id, w.now);
    if (ticket_id > 0) {
      addTicketEvent(w.s, ticket_id, "bot_message", "bot", "", "", outbox_id, w.now);
    }
  }
}

void insertExportLink(const PgStep& w, const std::string& pseudonym, const NewExportLink& link) {
  w.s.run("INSERT INTO data_exports (token_hash, pseudonym, created_at, expires_at) "
          "VALUES ($1, $2, $3, $4)",
          link.token_hash, pseudonym, w.now, toMillis(link.expires_at));
}

void forgetCitizen(const PgStep& w, const std::string& pseudonym) {
  runForCitizen(w, pseudonym,
                {"DELETE FROM reply_windows WHERE pseudonym = $1",
                 "DELETE FROM conversations WHERE pseudonym = $1",
                 "DELETE FROM citizens WHERE pseudonym = $1",
                 "DELETE FROM media WHERE pseudonym = $1",
                 "DELETE FROM data_exports WHERE pseudonym = $1"});
}

void eraseCitizen(const PgStep& w, const std::string& pseudonym) {
  eraseFromTickets(w, pseudonym);
  eraseFromParticipation(w, pseudonym);
  eraseOwnRows(w, pseudonym);
}

}  // namespace bb::storage::pg
