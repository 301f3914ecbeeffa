#include "bot/conversation/followers.hpp"

#include "bot/conversation/citizen_message.hpp"

namespace bb {

Result<std::vector<NewOutbound>> followerNews(Store& store, const Replies& replies,
                                              std::int64_t number, const std::string& status,
                                              const std::string& note) {
  auto followers = store.followersOf(number);
  if (!followers) { return fail(followers.error().code, followers.error().detail); }
  std::vector<NewOutbound> news;
  for (const auto& f : *followers) {
    if (f.unreachable) { continue; }
    auto message = CitizenMessage::ticketNews(f, number);
    news.push_back(message.text(replies.statusChanged(message.lang(), number, status, note)).build());
  }
  return news;
}

}  // namespace bb
