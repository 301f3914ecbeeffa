#pragma once
// One inbound event on its way through the engine, between the flow step and the commit
// (internal to bot/conversation/): who the replies go to, the conversation's language, and the
// commit that the effect handlers fill.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/conversation/store.hpp"
#include "bot/types.hpp"
#include "flows/flow_types.hpp"

namespace bb {

struct Step {
  Step(const PendingEvent& pending, const InboundEvent& event, SysTime now);
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

  const PendingEvent& pending;
  const InboundEvent& event;
  const SysTime now;
  //! The sender; replies go to their channel and the reply address sealed with this event.
  CitizenRecord citizen;
  StepCommit commit;
  flows::Lang lang = flows::Lang::De;  //!< the conversation's language after the flow step
  //! The choices offered last, saved with the conversation so that a typed number answers them.
  std::vector<flows::Choice> last_choices;
  //! Messages held outside the channel's reply window that this event released.
  int released_held = 0;
  bool forget = false;  //!< the citizen declined the privacy notice
  bool erase = false;   //!< the citizen confirmed "daten löschen"
  //! Something the step cannot go on without failed (no ticket number could be reserved, after
  //! retries): the step is not committed and the event is parked for staff to retry.
  std::optional<Error> failed;

  //! Queues a reply to the sender in this step's commit.
  void reply(std::string text, const std::vector<flows::Choice>& choices = {},
             std::int64_t ticket_number = 0, std::string follow_url = {},
             bool request_location = false);
};

}  // namespace bb
