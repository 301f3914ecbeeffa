#pragma once
// Participatory budget (Bürgerhaushalt): campaigns, their phases and the rules that follow from
// the phase. Pure: the engine loads the active campaign and passes it in through
// Context::participation; nothing here does I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flows/flow_types.hpp"

namespace bb::flows {

//! A campaign's phases in their fixed order (CONSUL/Decidim style). Stored as snake_case.
enum class Phase {
  Upcoming,        //!< "upcoming": before collecting starts; nothing is possible yet
  Collecting,      //!< "collecting": citizens submit proposals
  Supporting,      //!< "supporting": citizens comment on and support published proposals
  Review,          //!< "review": committee review of proposals that reached the threshold
  Decision,        //!< "decision": the city council decides
  Implementation,  //!< "implementation": decided proposals are built
  Closed,          //!< "closed": archived; the public page still shows everything
};

const char* toString(Phase phase);
std::optional<Phase> phaseFromString(const std::string& name);

//! When each phase starts. A phase lasts until the next one starts.
struct PhaseDates {
  SysTime collecting_from{};
  SysTime supporting_from{};
  SysTime review_from{};
  SysTime decision_from{};
  SysTime implementation_from{};
  SysTime closed_from{};
};

//! The phase at `now`: the last phase whose start is not after `now`.
Phase phaseAt(const PhaseDates& dates, SysTime now);
//! Dates strictly in phase order (each start after the previous one).
bool datesOrdered(const PhaseDates& dates);

// What the phase allows (the single source of these rules; the engine and the store use it too).
bool canSubmit(Phase phase);   //!< Collecting
bool canSupport(Phase phase);  //!< Supporting (also withdrawing a support)
bool canComment(Phase phase);  //!< Supporting
bool canBrowse(Phase phase);   //!< every phase after Upcoming

//! The active campaign as a flow sees it (Context::participation; null: no campaign).
struct ParticipationContext {
  std::int64_t campaign_id = 0;
  std::string title;
  Phase phase = Phase::Upcoming;
  int max_proposals_per_citizen = 3;
  int support_threshold = 50;
  std::vector<std::string> topics;  //!< topic labels offered when submitting
  std::size_t max_title_chars = 80;
  std::size_t max_description_chars = 1500;
  std::size_t max_comment_chars = 1000;
};

//! Parses a typed cost in whole euros ("1500", "1.500 €", "1500 EUR", "1 500"); nullopt when it
//! is not a plain amount or exceeds one billion.
std::optional<std::int64_t> parseEuros(const std::string& text);

}  // namespace bb::flows
