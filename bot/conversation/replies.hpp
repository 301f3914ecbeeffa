#pragma once
// The texts the engine side says to citizens, rendered in one place: ticket confirmations,
// status answers and news, the ticket list, the data export, the rate-limit notice. The flows
// render their own replies from the same text table (FlowData::texts); this class renders the
// ones that need what only the engine knows (ticket numbers, stored tickets, stored data).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/conversation/store.hpp"
#include "flows/flow_types.hpp"

namespace bb {

//! Everything stored about one citizen, gathered for the export ("meine daten").
struct CitizenExport {
  std::optional<CitizenRecord> citizen;
  std::vector<TicketRecord> tickets;  //!< reported or followed
  std::vector<TicketMessageRecord> messages;  //!< what they wrote into ticket threads
  std::optional<std::string> participation;  //!< the participation section; none: not offered
  std::string subscriptions;  //!< subscription and consent lines, each starting with a newline
  std::string link;  //!< the single-use link to the complete file
};

class Replies {
public:
  explicit Replies(const FlowData& flows) : flows_(flows) {}

  std::string statusLabel(flows::Lang lang, const std::string& status) const;
  std::string categoryLabel(flows::Lang lang, const std::string& category_id) const;
  std::vector<flows::Choice> mainMenu(flows::Lang lang) const;

  std::string ticketCreated(flows::Lang lang, std::int64_t number) const;
  std::string letterSent(flows::Lang lang, std::int64_t number) const;
  std::string ticketFollowed(flows::Lang lang, std::int64_t number) const;
  //! The public status of ticket `number` (category and status, never its content); `ticket`
  //! null: no such ticket.
  std::string ticketStatus(flows::Lang lang, std::int64_t number, const TicketRecord* ticket) const;
  //! The citizen's tickets, one line each, or that there are none.
  std::string myTickets(flows::Lang lang, const std::vector<TicketRecord>& tickets) const;
  //! "Status <n>" for each listed ticket and "Nachricht zu <n>" for those the citizen with
  //! `pseudonym` reported (the newest first, as many as a WhatsApp list holds), then "Menü".
  std::vector<flows::Choice> myTicketChoices(flows::Lang lang, const std::string& pseudonym,
                                             const std::vector<TicketRecord>& tickets) const;
  //! News to a follower: ticket `number` has `status` now, with the public note.
  std::string statusChanged(flows::Lang lang, std::int64_t number, const std::string& status,
                            const std::string& note) const;
  std::string rateLimited(flows::Lang lang) const;
  //! "Nachricht anzeigen" tapped when nothing is held (any more).
  std::string nothingHeld(flows::Lang lang) const;
  std::string erased(flows::Lang lang) const;
  //! The export of `data` for the citizen with `pseudonym` (their own tickets show the text).
  std::string dataExport(flows::Lang lang, const std::string& pseudonym,
                         const CitizenExport& data) const;

private:
  const FlowData& flows_;
};

}  // namespace bb
