// The one "tell the followers of this ticket": every reachable follower (reporter and joiners)
// gets one status message about the ticket, in their own language; unreachable ones get none.

#include <doctest/doctest.h>

#include "bot/conversation/codec.hpp"
#include "bot/conversation/followers.hpp"
#include "support/engine_harness.hpp"

namespace bb::test {
namespace {

//! `user` starts a report near ticket `number` and joins it when it is offered as a duplicate.
void join(EngineHarness& h, const std::string& user, std::int64_t number) {
  h.onboard(user);
  h.choice(user, "report");
  h.choice(user, "cat:muell");
  h.location(user, GeoPoint{kMarktplatz.lat + 0.0001, kMarktplatz.lon});
  h.choice(user, "dup:" + std::to_string(number));
}

}  // namespace

TEST_CASE_TEMPLATE("followers: each reachable follower is told in their language, the unreachable not",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("gina");
  const auto number = h.report("gina", "muell", kMarktplatz);
  join(h, "hans", number);
  join(h, "ida", number);
  REQUIRE(h.scalar("SELECT count(*) FROM ticket_followers") == 3);
  h.text("hans", "language");
  h.choice("hans", "lang:en");
  REQUIRE(h.store->markCitizenUnreachable(h.pseudonym("ida"), h.clock.now()));

  auto news = followerNews(*h.store, h.engine->replies(), number, "in_bearbeitung", "Heute");
  REQUIRE(news);
  REQUIRE(news->messages.size() == 2);
  CHECK(news->withheld == 0);
  for (const NewOutbound& o : news->messages) {
    CHECK(o.kind == "status");
    CHECK(o.ticket_number == number);
    CHECK(o.channel == Channel::WebChat);
    CHECK_FALSE(o.address_ct.empty());
    const bool english = o.pseudonym == h.pseudonym("hans");
    CHECK((english || o.pseudonym == h.pseudonym("gina")));
    const auto lang = english ? flows::Lang::En : flows::Lang::De;
    const auto m = decodeOutbound(o.payload);
    REQUIRE(m);
    CHECK(m->text == h.flows.texts.render(lang, "ticket.status_changed",
                                          {{"number", std::to_string(number)},
                                           {"status", h.flows.texts.render(lang, "status.in_bearbeitung")},
                                           {"note", "Heute"}}));
  }
}

}  // namespace bb::test
