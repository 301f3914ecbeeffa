// The messages a step queues in the outbox.

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/step_parts.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {

void queueOutbound(const StepWriter& w, const std::vector<NewOutbound>& outbound) {
  OutboundInserter insert(w.db, w.compiled(kInsertOutboundSql));
  for (const auto& o : outbound) {
    const std::int64_t ticket_id = o.ticket_number > 0 ? ticketIdOf(w.db, o.ticket_number) : 0;
    const std::int64_t outbox_id = insert.insert(o, ticket_id, w.now);
    if (ticket_id > 0) {
      addTicketEvent(w.db, ticket_id, "bot_message", "bot", "", "", outbox_id, w.now);
    }
  }
}

}  // namespace bb::storage
