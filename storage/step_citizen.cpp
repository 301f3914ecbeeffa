// What a step keeps about the citizen: the citizen row, the conversation, the photos they sent.

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/step_parts.hpp"

namespace bb::storage {

void upsertCitizen(const StepWriter& w, const CitizenRecord& c) {
  SQLite::Statement& q = w.compiled(
      "INSERT INTO citizens (pseudonym, channel, address_ct, key_id, lang, "
      "consent_version, consent_at, created_at, last_inbound_at, unreachable) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pseudonym) DO UPDATE SET "
      "address_ct = excluded.address_ct, key_id = excluded.key_id, "
      "lang = excluded.lang, "
      "consent_at = CASE WHEN excluded.consent_version <> citizens.consent_version "
      "  THEN excluded.consent_at ELSE citizens.consent_at END, "
      "consent_version = excluded.consent_version, "
      "last_inbound_at = excluded.last_inbound_at, unreachable = excluded.unreachable");
  const std::optional<std::int64_t> consent_at =
      c.consent_version > 0 ? std::optional<std::int64_t>(w.now) : std::nullopt;
  bindAll(q, c.pseudonym, toString(c.channel), Blob{c.address_ct}, c.key_id, c.lang,
          c.consent_version, consent_at, w.now, c.last_inbound_at, c.unreachable);
  q.exec();
}

void setNotificationsStopped(const StepWriter& w, const std::string& pseudonym, bool stopped) {
  SQLite::Statement& q = w.compiled(
      "UPDATE citizens SET notifications_stopped_at = "
      "CASE WHEN ?1 THEN coalesce(notifications_stopped_at, ?2) ELSE NULL END "
      "WHERE pseudonym = ?3");
  bindAll(q, stopped, w.now, pseudonym);
  q.exec();
  if (!stopped) { return; }
  // What was still waiting for them (queued, or held outside the WhatsApp window) is not sent
  // either: staff see it as "withheld" in the thread; the address goes like on a final row.
  SQLite::Statement& withhold = w.compiled(
      "UPDATE outbox SET status = 'withheld', error = 'notifications_stopped', address_ct = X'', "
      "updated_at = ?1 WHERE pseudonym = ?2 AND status IN ('queued', 'held') "
      "AND kind IN ('status', 'staff', 'notice', 'broadcast')");
  bindAll(withhold, w.now, pseudonym);
  withhold.exec();
}

void saveConversation(const StepWriter& w, const std::string& pseudonym,
                      const ConversationRecord& conversation) {
  SQLite::Statement& q = w.compiled(
      "INSERT INTO conversations (pseudonym, state, data, updated_at) "
      "VALUES (?, ?, ?, ?) ON CONFLICT (pseudonym) DO UPDATE SET "
      "state = excluded.state, data = excluded.data, updated_at = excluded.updated_at");
  bindAll(q, pseudonym, conversation.state, conversation.data, w.now);
  q.exec();
}

void insertMedia(const StepWriter& w, const std::string& pseudonym, Channel channel,
                 const std::vector<NewMedia>& media) {
  for (const auto& m : media) {
    SQLite::Statement q(w.db,
                        "INSERT OR IGNORE INTO media (id, pseudonym, channel, source_ref, status, "
                        "content_id, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    const bool cleaned = !m.content_id.empty();
    bindAll(q, m.id, pseudonym, toString(channel), m.source_ref, cleaned ? "ready" : "pending",
            cleaned ? std::optional<std::string>(m.content_id) : std::nullopt, m.mime_type, w.now);
    q.exec();
  }
}

}  // namespace bb::storage
