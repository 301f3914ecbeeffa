// Issue 14, abuse: the per-sender message rate limit (flows.sender_messages_per_minute).

#include <doctest/doctest.h>

#include "bot/conversation/codec.hpp"
#include "bot/conversation/sender_rate_limit.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;
using Verdict = bb::SenderRateLimit::Verdict;

bb::SysTime at(int seconds) { return bb::SysTime(std::chrono::seconds(1'800'000'000 + seconds)); }

}  // namespace

TEST_CASE("rate limit: a burst beyond the limit gets one notice, then silence, then recovers") {
  bb::SenderRateLimit limit;
  limit.configure(3);
  CHECK(limit.check("a", at(0)) == Verdict::Allow);
  CHECK(limit.check("a", at(0)) == Verdict::Allow);
  CHECK(limit.check("a", at(0)) == Verdict::Allow);
  CHECK(limit.check("a", at(0)) == Verdict::NotifyOnce);
  CHECK(limit.check("a", at(1)) == Verdict::Silent);
  CHECK(limit.check("a", at(2)) == Verdict::Silent);
  CHECK(limit.check("b", at(2)) == Verdict::Allow);  // per sender
  // 3 per minute: one token back after 20 s, and the next episode gets a notice again.
  CHECK(limit.check("a", at(22)) == Verdict::Allow);
  CHECK(limit.check("a", at(22)) == Verdict::NotifyOnce);
}

TEST_CASE("rate limit: 0 switches it off, the table of senders is bounded") {
  bb::SenderRateLimit off;
  off.configure(0);
  for (int i = 0; i < 100; ++i) { CHECK(off.check("a", at(0)) == Verdict::Allow); }

  bb::SenderRateLimit small;
  small.configure(1, 2);
  CHECK(small.check("a", at(0)) == Verdict::Allow);
  CHECK(small.check("a", at(0)) == Verdict::NotifyOnce);
  CHECK(small.check("b", at(0)) == Verdict::Allow);
  CHECK(small.check("c", at(0)) == Verdict::Allow);  // table full: starts over
  CHECK(small.check("a", at(0)) == Verdict::Allow);  // forgotten: answered again (fails open)
}

TEST_CASE("rate limit: the real server answers a flood with one notice and stores every event "
          "once") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  rig.extra_env["BUERGERBOX_FLOWS_SENDER_MESSAGES_PER_MINUTE"] = "4";
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  bb::test::Citizen c = bb::test::makeCitizen("telegram", 41);
  for (int i = 0; i < 10; ++i) { CHECK(rig.say(c, "Hallo " + std::to_string(i)).first == 200); }
  // A replayed update stays a duplicate.
  const auto again = bb::test::Rig::wire(c, 3, "Hallo 2");
  CHECK(rig.request(again.method, again.path, again.headers, again.body) == 200);
  REQUIRE_MESSAGE(rig.settle(30s), rig.server->log());

  CHECK(rig.scalar("SELECT count(*) FROM inbound_events WHERE pseudonym = ? AND processed_at IS "
                   "NOT NULL",
                   rig.pseudonym(c)) == 10);
  const auto sent = apis.deliveriesTo(c.recipient);
  REQUIRE(sent.size() == 5);  // four answers, one notice, then nothing
  int notices = 0;
  for (const auto& d : sent) {
    if (d.text.find("sehr viele Nachrichten") != std::string::npos) { ++notices; }
  }
  CHECK(notices == 1);
  CHECK(sent.back().text.find("sehr viele Nachrichten") != std::string::npos);
  CHECK(rig.server->log().find("Hallo") == std::string::npos);  // no message text in the log
  CHECK(rig.server->stop(SIGTERM) == 0);
}
