#pragma once
// Telling the followers of a ticket (its reporter and everyone who joined it) what happened:
// one message per reachable follower, in their language. Status changes by staff or a back
// office and public notes use it alike.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/conversation/replies.hpp"
#include "bot/conversation/store.hpp"
#include "bot/result.hpp"

namespace bb {

//! The outbox rows that tell every reachable follower of ticket `number` that it has `status`
//! now, with the public `note` (may be empty). Unreachable followers get nothing.
Result<std::vector<NewOutbound>> followerNews(Store& store, const Replies& replies,
                                              std::int64_t number, const std::string& status,
                                              const std::string& note);

}  // namespace bb
