#pragma once
// Row helpers every SQLite repository uses for tickets: one place for the ticket row reader and
// for the SQL that adds a thread event, queues an outbound message or finds a ticket's row id.
// Internal to storage/.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bot/conversation/store.hpp"

namespace SQLite {
class Database;
class Statement;
}

namespace bb::storage {

//! The SET list that takes the person out of a ticket, one definition for the retention job and
//! for erasure ("daten löschen"): reporter, follow link, description, typed address and extra
//! answer go; coordinates are rounded to 3 decimals (about 100 m: the city keeps where, not
//! whose door). Status, category and dates stay for the statistics.
extern const char* const kTicketAnonymousFields;
//! The place part of it, also for a proposal whose author asks for erasure.
extern const char* const kAnonymousPlaceFields;

//! The ticket columns readTicketRow reads, from the table aliased `t`.
extern const char* const kTicketColumns;
//! The ticket row of kTicketColumns (from column 0 on), without its photos.
TicketRecord readTicketRow(SQLite::Statement& q);
//! The media ids of the ticket's photos, in their order.
std::vector<std::string> ticketPhotoIds(SQLite::Database& db, std::int64_t ticket_id);

//! The row id of ticket `number`, 0 when there is none.
std::int64_t ticketIdOf(SQLite::Database& db, std::int64_t number);
//! Appends to the ticket's thread; an empty `status` or a 0 `outbox_id` is stored as NULL.
void addTicketEvent(SQLite::Database& db, std::int64_t ticket_id, const std::string& kind,
                    const std::string& actor, const std::string& status, const std::string& body,
                    std::int64_t outbox_id, std::int64_t now);
//! `withheld` > 0 followers stopped notifications and were not told of this change: the thread
//! says so ("notifications_withheld", the count as body), so staff know who did not hear it.
void noteWithheld(SQLite::Database& db, std::int64_t ticket_id, int withheld, std::int64_t now);
//! Staff wrote to `pseudonym` about the ticket: the citizen's reply window on it (re)starts.
void openReplyWindow(SQLite::Database& db, const std::string& pseudonym, std::int64_t ticket_id,
                     std::int64_t now);
//! Queues `o`; a 0 `ticket_id` links no ticket. Returns the outbox row id.
std::int64_t insertOutbound(SQLite::Database& db, const NewOutbound& o, std::int64_t ticket_id,
                            std::int64_t now);

//! insertOutbound for many rows in one job: the statement is prepared once (a broadcast queues
//! 100,000 rows; preparing per row cost 8x the inserts themselves, docs/performance.md).
class OutboundInserter {
public:
  explicit OutboundInserter(SQLite::Database& db);
  //! With the statement already compiled (Database::writerStatement(db, kInsertOutboundSql)).
  OutboundInserter(SQLite::Database& db, SQLite::Statement& prepared);
  ~OutboundInserter();
  OutboundInserter(const OutboundInserter&) = delete;
  OutboundInserter& operator=(const OutboundInserter&) = delete;
  std::int64_t insert(const NewOutbound& o, std::int64_t ticket_id, std::int64_t now);

private:
  SQLite::Database& db_;
  std::unique_ptr<SQLite::Statement> owned_;
  SQLite::Statement* statement_;
};

//! The INSERT an OutboundInserter runs.
extern const char* const kInsertOutboundSql;

}  // namespace bb::storage
