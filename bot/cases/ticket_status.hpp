#pragma once
// Ticket statuses in one table: id, whether it closes the ticket, the transitions allowed from
// it. The citizen text of each is the text key "status.<id>".

#include <string>
#include <vector>

namespace bb {

struct TicketStatus {
  const char* id;
  bool closed;
  std::vector<std::string> next;  //!< statuses allowed after this one
};

const std::vector<TicketStatus>& ticketStatuses();
const TicketStatus* findTicketStatus(const std::string& id);
bool transitionAllowed(const std::string& from, const std::string& to);

inline constexpr const char* kInitialTicketStatus = "eingegangen";

}  // namespace bb
