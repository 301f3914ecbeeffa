#pragma once
// The SQL of retention that reads the same on SQLite and PostgreSQL ($1 is a positional
// parameter on both), so that the two backends cannot drift apart in what they delete.

#include <string>
#include <vector>

namespace bb::storage {

//! Outbox rows whose delivery is over (the address is already wiped on these).
inline constexpr const char* kFinalOutboxStatuses =
    "status IN ('sent', 'delivered', 'read', 'failed', 'dead', 'discarded', 'withheld')";

//! What anonymizing the ticket with id $1 deletes and blanks besides the ticket row and its
//! photos' media rows, in order.
inline const std::vector<std::string>& ticketAnonymizationStatements() {
  static const std::vector<std::string> statements{
      "DELETE FROM ticket_photos WHERE ticket_id = $1",
      "DELETE FROM ticket_followers WHERE ticket_id = $1",
      // Message texts of the thread (citizen, staff, bot); kinds, statuses and dates stay.
      "UPDATE ticket_events SET body = '' WHERE ticket_id = $1 AND body <> ''",
      "UPDATE ticket_events SET media_id = NULL, author = NULL "
      "WHERE ticket_id = $1 AND (media_id IS NOT NULL OR author IS NOT NULL)",
      "DELETE FROM reply_windows WHERE ticket_id = $1",
      std::string("DELETE FROM outbox WHERE ticket_id = $1 AND ") + kFinalOutboxStatuses,
      // Delivered back-office entries carried the report's text; the back office has its copy.
      "UPDATE case_queue SET payload = '{}' WHERE state IN ('delivered', 'discarded') AND "
      "ticket_number = (SELECT number FROM tickets WHERE id = $1)",
  };
  return statements;
}

}  // namespace bb::storage
