#include "support/participation_chat.hpp"

#include <doctest/doctest.h>

namespace bb::test {

using namespace std::chrono_literals;

std::int64_t seedCampaign(EngineHarness& h, int max_per_citizen, int threshold) {
  constexpr auto kDay = std::chrono::hours(24);
  Campaign c;
  c.title = "Bürgerhaushalt 2027";
  const SysTime now = h.clock.now();
  c.dates.collecting_from = now - 1h;
  c.dates.supporting_from = now + 10 * kDay;
  c.dates.review_from = now + 20 * kDay;
  c.dates.decision_from = now + 30 * kDay;
  c.dates.implementation_from = now + 40 * kDay;
  c.dates.closed_from = now + 400 * kDay;
  c.max_proposals_per_citizen = max_per_citizen;
  c.support_threshold = threshold;
  c.topics = {"Verkehr", "Grün"};
  auto id = h.proposals->createCampaign(c);
  REQUIRE(id.has_value());
  h.participation->invalidate();
  return *id;
}

std::string submitByChat(EngineHarness& h, const std::string& user, const std::string& title) {
  h.choice(user, "participation");
  h.choice(user, "prop:new");
  h.text(user, title);
  h.text(user, "Beschreibung von " + title);
  h.text(user, "1.200 €");
  h.choice(user, "topic:1");
  h.text(user, "Klosterseeufer");
  h.choice(user, "skip");  // photo
  h.choice(user, "confirm");
  return h.replyText(user);
}

std::int64_t proposalId(EngineHarness& h, const std::string& title) {
  return h.scalar("SELECT id FROM proposals WHERE title = '" + title + "'");
}

void openProposal(EngineHarness& h, const std::string& user, std::int64_t id) {
  h.choice(user, "menu");
  h.choice(user, "participation");
  h.choice(user, "prop:list:new");
  h.choice(user, "prop:" + std::to_string(id));
  h.replies(user);
}

}  // namespace bb::test
