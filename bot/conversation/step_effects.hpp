#pragma once
// The engine's handlers for the flow's effects (internal to bot/conversation/): one named
// handler per effect kind, each adding to the step's commit or answering the citizen.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/conversation/replies.hpp"
#include "bot/conversation/step.hpp"
#include "bot/conversation/store.hpp"
#include "bot/ports.hpp"
#include "flows/flow_types.hpp"

namespace bb {

class Participation;
class SubscriptionStore;

//! What the handlers use besides the step: the Engine's parts.
struct EffectServices {
  Store& store;
  const FlowData& flows;
  const Replies& replies;
  Random& random;                    //!< follow tokens
  Participation* participation;      //!< null: no participatory budget
  SubscriptionStore* subscriptions;  //!< null: nobody is subscribed
  const std::string& public_url;  //!< base of the export link sent to messengers
  //! A ticket number for this step, retried while the store cannot give one out.
  std::function<Result<std::int64_t>()> reserve_ticket_number;
};

//! Runs `effects` in order against `step` (LookupNearby and Geocode are answered during the flow
//! step, so they do nothing here; RecordConsent adds the "service" consent row to the commit).
void applyEffects(const std::vector<flows::Effect>& effects, Step& step,
                  const EffectServices& services);

}  // namespace bb
