#pragma once
// The named parts of SqliteStore::commitStep: what one processed event changes, written inside
// its savepoint on the writer connection. Each part lives in its own file by what it touches:
// step_citizen.cpp (the citizen, the conversation, the photos they sent), step_tickets.cpp
// (new tickets and follows), step_outbox.cpp (the replies) and erasure.cpp (forgetting and
// erasing a citizen). Internal to storage/.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/conversation/store.hpp"
#include "storage/database.hpp"

namespace SQLite {
class Database;
class Statement;
}

namespace bb::storage {

//! What every part works with: the writer connection inside the step's savepoint and the step's
//! time (milliseconds since the epoch).
struct StepWriter {
  Database& database;
  SQLite::Database& db;
  std::int64_t now = 0;

  //! A statement every step runs, kept compiled on the writer (Database::writerStatement):
  //! compiling them was most of the writer's time under load (docs/performance.md).
  SQLite::Statement& compiled(const char* sql) const { return database.writerStatement(db, sql); }
};

// ---- step_citizen.cpp ----

//! Inserts or updates the citizen row; consent_at moves only when the consent version changes.
void upsertCitizen(const StepWriter& w, const CitizenRecord& citizen);
//! "stop" -> everything (stopped: the time is set unless it is) or "start" (cleared).
void setNotificationsStopped(const StepWriter& w, const std::string& pseudonym, bool stopped);
//! Inserts or replaces the conversation's state and data.
void saveConversation(const StepWriter& w, const std::string& pseudonym,
                      const ConversationRecord& conversation);
//! Media rows of the images the citizen sent on `channel` (pending until cleaned, or ready).
void insertMedia(const StepWriter& w, const std::string& pseudonym, Channel channel,
                 const std::vector<NewMedia>& media);

// ---- step_tickets.cpp ----

//! New tickets with their photos, the reporter as follower, the "created" thread event and the
//! case queue entry (same transaction). `grid_m`: the coordinate grid of case payloads.
void insertTickets(const StepWriter& w, const std::vector<NewTicket>& tickets, double grid_m);
//! The citizen follows the tickets `numbers` (unknown numbers are skipped).
void followTickets(const StepWriter& w, const std::string& pseudonym,
                   const std::vector<std::int64_t>& numbers);

//! The citizen's messages into ticket threads ("citizen_message", one event per photo beyond
//! the first); each ticket is marked unread for staff, the reply window notes the time, and a
//! case queue entry names the events for the back office (its text is read when it is sent).
void postTicketMessages(const StepWriter& w, const std::string& pseudonym,
                        const std::vector<NewTicketMessage>& messages, double grid_m);

// ---- step_outbox.cpp ----

//! Queues the step's messages; one linked to a ticket also becomes a "bot_message" event of that
//! ticket's thread.
void queueOutbound(const StepWriter& w, const std::vector<NewOutbound>& outbound);

// ---- erasure.cpp ----

//! A link to the citizen's data export (only the token's hash).
void insertExportLink(const StepWriter& w, const std::string& pseudonym, const NewExportLink& link);

//! Declined consent: the citizen row, the conversation and the media rows go.
void forgetCitizen(const StepWriter& w, const std::string& pseudonym);
//! "daten löschen": everything that points to the person goes; tickets and published
//! participation stay for the city's records, without the link to the person.
void eraseCitizen(const StepWriter& w, const std::string& pseudonym);

}  // namespace bb::storage
