#pragma once
// The parts of a PostgreSQL step (PgStore::commitStep) and the ticket rows every PostgreSQL
// repository writes: the same rows as their SQLite twins (storage/step_parts.hpp,
// storage/ticket_rows.hpp), written inside the caller's transaction. Internal to storage/.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/cases/case_payload.hpp"
#include "bot/conversation/store.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! The running transaction and the step's time (milliseconds since the epoch).
struct PgStep {
  Session& s;
  std::int64_t now = 0;
};

// ---- ticket rows ----

//! The SET lists that take the person out of a ticket or a proposal's place (kTicketAnonymous-
//! Fields in storage/ticket_rows.hpp): PostgreSQL rounds only numerics, so the coordinates are
//! rounded as numeric and stored back as double.
extern const char* const kPgTicketAnonymousFields;
extern const char* const kPgAnonymousPlaceFields;

//! A bigint milliseconds column as a time; empty when it is NULL.
std::optional<SysTime> timeAt(const Rows& rows, int row, int column);
//! The citizen from a row of kCitizenColumns (storage/rows.hpp) starting at column 0.
CitizenRecord readCitizen(const Rows& rows, int row);
//! The ticket with its photos, from a row of kTicketColumns starting at column 0.
TicketRecord readTicket(Session& s, const Rows& rows, int row);
//! The same without its photos (a list's rows, as SQLite's readTicketRow).
TicketRecord readTicketRow(const Rows& rows, int row);
//! The media ids of the ticket's photos, in their order.
std::vector<std::string> ticketPhotoIds(Session& s, std::int64_t ticket_id);
//! The row id of ticket `number`, 0 when there is none.
std::int64_t ticketIdOf(Session& s, std::int64_t number);
//! Appends to the ticket's thread; an empty `status` or a 0 `outbox_id` is stored as NULL.
//! Returns the event's id.
std::int64_t addTicketEvent(Session& s, std::int64_t ticket_id, const std::string& kind,
                            const std::string& actor, const std::string& status,
                            const std::string& body, std::int64_t outbox_id, std::int64_t now);
//! Queues `o`; a 0 `ticket_id` links no ticket. Returns the outbox row id. Rows of one
//! recipient commit in the order of their ids (a lock per recipient until the commit): the web
//! chat reads them with the last id as its cursor and must never skip one that commits late.
std::int64_t insertOutbound(Session& s, const NewOutbound& o, std::int64_t ticket_id,
                            std::int64_t now);
//! Takes the recipient locks insertOutbound takes, for all `pseudonyms` at once and in one
//! order, before the transaction locks any row: two transactions then never wait for each
//! other's recipient and row locks in a cycle (a status change locks the ticket, a citizen's
//! step into the same ticket's thread its own recipient lock).
void lockRecipients(Session& s, const std::vector<std::string>& pseudonyms);
//! The recipient lock a citizen's rows share with others (of kRecipientLockSlots).
inline constexpr int kRecipientLockSlots = 1024;
int recipientLockSlot(const std::string& pseudonym);
void openReplyWindow(Session& s, const std::string& pseudonym, std::int64_t ticket_id,
                     std::int64_t now);
void noteWithheld(Session& s, std::int64_t ticket_id, int withheld, std::int64_t now);
//! The case queue entry built from the ticket as it is in the running transaction.
void appendCaseEntry(Session& s, std::int64_t ticket_id, const std::string& event_type,
                     const CaseChange& change, std::int64_t now, double grid_m);
//! A status change's rows: ticket, thread, case queue entry, one outbox row per follower.
void writeStatusChange(Session& s, std::int64_t ticket_id, const StatusChange& change,
                       double grid_m);

// ---- consents and subscriptions ----

void grantConsent(Session& s, const std::string& pseudonym, const std::string& purpose,
                  int notice_version, std::int64_t now);
void withdrawConsent(Session& s, const std::string& pseudonym, const std::string& purpose,
                     std::int64_t now);
//! Records `purpose` under the privacy-notice version the citizen accepted, unless a valid
//! consent for it is there already (the first act counts, later ones add no row); nothing for a
//! citizen who accepted no notice. The twin of grantConsentOnceIn (sqlite_subscription_store).
void grantConsentOnce(Session& s, const std::string& pseudonym, const std::string& purpose,
                      std::int64_t now);
void applySubscriptionChanges(Session& s, const std::string& pseudonym,
                              const std::vector<SubscriptionChange>& changes, std::int64_t now);

// ---- the step ----

void upsertCitizen(const PgStep& w, const CitizenRecord& citizen);
void setNotificationsStopped(const PgStep& w, const std::string& pseudonym, bool stopped);
void saveConversation(const PgStep& w, const std::string& pseudonym,
                      const ConversationRecord& conversation);
void insertMedia(const PgStep& w, const std::string& pseudonym, Channel channel,
                 const std::vector<NewMedia>& media);
void insertTickets(const PgStep& w, const std::vector<NewTicket>& tickets, double grid_m);
void followTickets(const PgStep& w, const std::string& pseudonym,
                   const std::vector<std::int64_t>& numbers);
void postTicketMessages(const PgStep& w, const std::string& pseudonym,
                        const std::vector<NewTicketMessage>& messages, double grid_m);
void queueOutbound(const PgStep& w, const std::vector<NewOutbound>& outbound);
void insertExportLink(const PgStep& w, const std::string& pseudonym, const NewExportLink& link);
//! Declined consent, and "daten löschen": the same policy as storage/erasure.cpp.
void forgetCitizen(const PgStep& w, const std::string& pseudonym);
void eraseCitizen(const PgStep& w, const std::string& pseudonym);

}  // namespace bb::storage::pg
