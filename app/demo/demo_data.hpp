#pragma once
// Demo mode (`"demo": true`, the README's first command): the data that makes the web chat, the
// public page and the inbox usable at once. Each step runs only on an empty database.

#include <string>
#include <vector>

#include "bot/participation/proposal_store.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"

namespace bb::app {

//! A participatory-budget campaign in its collecting phase, so the chat entry, the public page
//! and the moderation show something. Cities create theirs in the inbox (admin).
void seedDemoCampaign(ProposalStore& proposals, const Clock& clock);

//! A first admin "demo" for `departments`; its password is printed once on stdout.
void seedDemoAdmin(InboxStore& staff, const std::vector<std::string>& departments,
                   const std::string& public_url, const Clock& clock);

}  // namespace bb::app
