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

//! What a change of ticket `number` tells its followers.
struct FollowerNews {
  std::vector<NewOutbound> messages;  //!< one per reachable follower who wants news
  //! Followers (the reporter too) who stopped notifications ("stop" -> everything): they are
  //! told nothing, and the thread says how many were left out.
  int withheld = 0;
};

//! The outbox rows that tell every reachable follower of ticket `number` that it has `status`
//! now, with the public `note` (may be empty). Unreachable followers get nothing; followers
//! who stopped notifications get nothing and are counted.
Result<FollowerNews> followerNews(Store& store, const Replies& replies, std::int64_t number,
                                  const std::string& status, const std::string& note);

}  // namespace bb
