#pragma once
// The participatory budget by chat on an EngineHarness: a campaign to take part in and the chat
// steps a citizen takes (submit a proposal, open one from the list).

#include <cstdint>
#include <string>

#include "support/engine_harness.hpp"

namespace bb::test {

//! A campaign in its collecting phase at the harness clock's now; the supporting phase starts
//! in 10 days, review in 20, decision in 30, implementation in 40, closed in 400.
std::int64_t seedCampaign(EngineHarness& h, int max_per_citizen = 3, int threshold = 2);

//! Submits a proposal by chat from the menu; returns the texts the citizen got.
std::string submitByChat(EngineHarness& h, const std::string& user, const std::string& title);

//! The id of the proposal titled `title`.
std::int64_t proposalId(EngineHarness& h, const std::string& title);

//! Opens proposal `id` from the campaign's list (after a long pause the old draft expired).
void openProposal(EngineHarness& h, const std::string& user, std::int64_t id);

}  // namespace bb::test
