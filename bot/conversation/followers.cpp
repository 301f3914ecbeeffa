#include "bot/conversation/followers.hpp"

#include "bot/conversation/citizen_message.hpp"

namespace bb {

Result<FollowerNews> followerNews(Store& store, const Replies& replies, std::int64_t number,
                                  const std::string& status, const std::string& note) {
  auto followers = store.followersOf(number);
  if (!followers) { return fail(followers.error().code, followers.error().detail); }
  FollowerNews news;
  for (const auto& f : *followers) {
    if (f.unreachable) { continue; }
    if (f.notifications_stopped_at) {
      ++news.withheld;
      continue;
    }
    auto message = CitizenMessage::ticketNews(f, number);
    message.about(NoticeKind::TicketStatus,
                  {std::to_string(number), replies.statusLabel(message.lang(), status)});
    news.messages.push_back(
        message.text(replies.statusChanged(message.lang(), number, status, note)).build());
  }
  return news;
}

}  // namespace bb
