// Forgetting a citizen who declined consent, and erasing one who asked for it ("daten löschen").
// The erasure policy by domain: what goes, and what stays for the city's records without the
// link to the person.

#include <initializer_list>
#include <string_view>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/millis.hpp"
#include "storage/step_parts.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

//! Runs each statement with the citizen's pseudonym as :p (and the step's time as :now).
void runForCitizen(const StepWriter& w, const std::string& pseudonym,
                   std::initializer_list<const char*> statements) {
  for (const char* sql : statements) {
    SQLite::Statement q(w.db, sql);
    q.bind(":p", pseudonym);
    if (std::string_view(sql).find(":now") != std::string_view::npos) { q.bind(":now", w.now); }
    q.exec();
  }
}

//! Tickets stay, without anything that points to the person: no text, no photos, no reporter,
//! no follow link; the thread records that the citizen erased their data.
void eraseFromTickets(const StepWriter& w, const std::string& pseudonym) {
  runForCitizen(
      w, pseudonym,
      {"INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) "
       "SELECT id, 'erased', 'citizen', '', :now FROM tickets WHERE reporter = :p",
       "UPDATE ticket_events SET body = '' WHERE kind = 'created' AND ticket_id IN "
       "(SELECT id FROM tickets WHERE reporter = :p)",
       "DELETE FROM ticket_photos WHERE ticket_id IN (SELECT id FROM tickets WHERE reporter = :p)",
       "DELETE FROM ticket_followers WHERE pseudonym = :p",
       // Their messages to the city, in any ticket: that one was written stays, not what.
       "UPDATE ticket_events SET body = '', media_id = NULL, author = NULL WHERE author = :p",
       "DELETE FROM reply_windows WHERE pseudonym = :p"});
  // Last, since it drops the reporter the statements above select by.
  const std::string anonymize = std::string("UPDATE tickets SET ") + kTicketAnonymousFields +
                                ", updated_at = :now WHERE reporter = :p";
  runForCitizen(w, pseudonym, {anonymize.c_str()});
}

//! Supports go; what was published stays for the public record without the link to the person;
//! what never was public goes.
void eraseFromParticipation(const StepWriter& w, const std::string& pseudonym) {
  // The published text stays; the citizen's own words about the place, the exact point and the
  // photo go, the place exactly as a ticket's.
  const std::string anonymize =
      std::string("UPDATE proposals SET author = NULL, photo_media_id = NULL, photo_public = 0, ") +
      kAnonymousPlaceFields + ", updated_at = :now WHERE author = :p";
  runForCitizen(w, pseudonym,
                {"DELETE FROM proposal_supports WHERE pseudonym = :p",
                 "DELETE FROM proposal_notices WHERE pseudonym = :p",
                 "DELETE FROM proposal_comments WHERE author = :p AND status <> 'published'",
                 "UPDATE proposal_comments SET author = NULL WHERE author = :p",
                 "DELETE FROM proposal_notices WHERE proposal_id IN (SELECT id FROM proposals "
                 "WHERE author = :p AND status IN ('pending', 'rejected'))",
                 "DELETE FROM proposals WHERE author = :p AND status IN ('pending', 'rejected')",
                 anonymize.c_str()});
}

//! Subscriptions and every consent record go.
void eraseFromSubscriptions(const StepWriter& w, const std::string& pseudonym) {
  runForCitizen(w, pseudonym,
                {"DELETE FROM sub_subscriptions WHERE pseudonym = :p",
                 "DELETE FROM consents WHERE pseudonym = :p"});
}

//! The citizen's own rows go: messages, media, conversation, the citizen row; stored inbound
//! events keep only their ids (deduplication), without payload or pseudonym.
void eraseOwnRows(const StepWriter& w, const std::string& pseudonym) {
  runForCitizen(w, pseudonym,
                {"DELETE FROM outbox WHERE pseudonym = :p",
                 "DELETE FROM data_exports WHERE pseudonym = :p",
                 "DELETE FROM media WHERE pseudonym = :p",
                 "DELETE FROM conversations WHERE pseudonym = :p",
                 "DELETE FROM citizens WHERE pseudonym = :p",
                 "UPDATE inbound_events SET payload = NULL, pseudonym = '' WHERE pseudonym = :p"});
}

}  // namespace

void forgetCitizen(const StepWriter& w, const std::string& pseudonym) {
  runForCitizen(w, pseudonym,
                {"DELETE FROM reply_windows WHERE pseudonym = :p",
                 "DELETE FROM conversations WHERE pseudonym = :p",
                 "DELETE FROM citizens WHERE pseudonym = :p",
                 "DELETE FROM media WHERE pseudonym = :p",
                 "DELETE FROM data_exports WHERE pseudonym = :p"});
}

void insertExportLink(const StepWriter& w, const std::string& pseudonym, const NewExportLink& link) {
  SQLite::Statement q(w.db,
                      "INSERT INTO data_exports (token_hash, pseudonym, created_at, expires_at) "
                      "VALUES (?, ?, ?, ?)");
  q.bind(1, link.token_hash);
  q.bind(2, pseudonym);
  q.bind(3, w.now);
  q.bind(4, toMillis(link.expires_at));
  q.exec();
}

void eraseCitizen(const StepWriter& w, const std::string& pseudonym) {
  eraseFromTickets(w, pseudonym);
  eraseFromParticipation(w, pseudonym);
  eraseFromSubscriptions(w, pseudonym);
  eraseOwnRows(w, pseudonym);
}

}  // namespace bb::storage
