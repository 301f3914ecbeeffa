// Two instances of the service on one PostgreSQL database, and a ticket number that cannot be
// reserved: numbers come from the database, so no two tickets share one, and a step without
// its number waits (the citizen's step is not run twice), or is parked for staff when the
// number stays out of reach — never lost.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/engine_harness.hpp"

using bb::test::Backend;
using bb::test::EngineHarness;
using bb::test::kMarktplatz;

namespace {

//! `count` citizens (`prefix`0, `prefix`1, ...) each report one pothole through `h`.
void reportAll(EngineHarness& h, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string user = prefix + std::to_string(i);
    h.onboard(user);
    // Apart from every other report, so no duplicate is offered.
    (void)h.report(user, "muell", bb::GeoPoint{kMarktplatz.lat + 0.0008 * i, kMarktplatz.lon});
  }
}

//! `user` reports rubbish at the Marktplatz up to the question whether to send it.
void untilConfirm(EngineHarness& h, const std::string& user) {
  h.choice(user, "report");
  h.choice(user, "cat:muell");
  h.location(user, kMarktplatz);
  h.choice(user, "skip");
  h.choice(user, "skip");
}

}  // namespace

TEST_CASE("instances: two instances on one PostgreSQL database never give out a ticket number twice") {
  EngineHarness a(Backend::Postgresql, 2);
  EngineHarness b(Backend::Postgresql, 2, a.pg_url);
  b.event_prefix = "ev-b-";
  b.random.skip(1'000'000);  // real instances draw from the system's randomness
  // Both file tickets at the same time; the numbers come from the shared sequence.
  std::thread second([&b] { reportAll(b, "berta", 6); });
  reportAll(a, "anna", 6);
  second.join();
  CHECK(a.scalar("SELECT count(*) FROM tickets") == 12);
  CHECK(a.scalar("SELECT count(DISTINCT number) FROM tickets") == 12);
  CHECK(a.scalar("SELECT min(number) FROM tickets") == bb::kFirstTicketNumber);
  // Every citizen was told their own ticket's number.
  std::set<std::int64_t> told;
  for (auto* h : {&a, &b}) {
    const std::string prefix = h == &a ? "anna" : "berta";
    for (int i = 0; i < 6; ++i) {
      const std::string pseudonym = h->pseudonym(prefix + std::to_string(i));
      const auto number = a.scalar("SELECT number FROM tickets WHERE reporter = '" + pseudonym + "'");
      CHECK(h->replyText(prefix + std::to_string(i)).find(std::to_string(number)) !=
            std::string::npos);
      told.insert(number);
    }
  }
  CHECK(told.size() == 12);
}

TEST_CASE("instances: a step whose ticket number cannot be reserved waits and then goes through once") {
  EngineHarness h(Backend::Postgresql, 1);
  h.tune_engine = [](bb::EngineOptions& o) {
    o.commit_retry_base = std::chrono::milliseconds(20);
    o.commit_retry_max = std::chrono::milliseconds(160);
    // The eight messages below fit; a step run again for every try would not.
    o.sender_messages_per_minute = 10;
  };
  h.restart();
  h.onboard("anna");
  untilConfirm(h, "anna");
  (void)h.replies("anna");
  // The sequence is out of reach (as if the database refused it) while the citizen confirms.
  h.execute("ALTER SEQUENCE ticket_numbers RENAME TO held_back");
  auto confirm = h.event("anna", bb::InboundKind::Choice);
  confirm.choice_id = "confirm";
  REQUIRE(h.engine->ingest({confirm}).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(h.engine->waitIdle(std::chrono::milliseconds(0)));  // held, not dropped
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 0);
  h.execute("ALTER SEQUENCE held_back RENAME TO ticket_numbers");
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
  const auto number = h.scalar("SELECT number FROM tickets");
  const std::string answer = h.replyText("anna");
  CHECK(answer.find(std::to_string(number)) != std::string::npos);
  CHECK(answer.find(h.text("abuse.rate_limited")) == std::string::npos);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
  CHECK(h.engine->commitsParked() == 0);
}

TEST_CASE("instances: a ticket number out of reach for good parks the step for staff, a retry files it once") {
  EngineHarness h(Backend::Postgresql, 1);
  h.tune_engine = [](bb::EngineOptions& o) {
    o.commit_retry_base = std::chrono::milliseconds(2);
    o.commit_retry_max = std::chrono::milliseconds(4);
    o.commit_max_tries = 3;
    o.parked_check = std::chrono::milliseconds(0);
  };
  h.restart();
  h.onboard("anna");
  h.onboard("bob");
  untilConfirm(h, "anna");
  (void)h.replies("anna");
  (void)h.replies("bob");
  h.execute("ALTER SEQUENCE ticket_numbers RENAME TO held_back");
  h.choice("anna", "confirm");
  const std::string anna = h.pseudonym("anna");
  const std::string of_anna = "FROM inbound_events WHERE pseudonym = '" + anna + "'";
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND park_reason = 'ticket_number:internal'") == 1);
  CHECK(h.scalar("SELECT park_tries " + of_anna + " AND parked_at IS NOT NULL") == 3);
  CHECK(h.engine->commitsParked() == 1);
  CHECK(h.replies("anna").empty());
  // The worker goes on with others; Anna's next message waits behind the parked one.
  h.text("bob", "hilfe");
  CHECK_FALSE(h.replies("bob").empty());
  h.text("anna", "hilfe");
  CHECK(h.replies("anna").empty());
  CHECK(h.engine->parkedEvents() == 2);
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 0);
  // The sequence is back; staff retry (what the delivery page's retry writes): both messages
  // are processed in order, one ticket.
  h.execute("ALTER SEQUENCE held_back RENAME TO ticket_numbers");
  h.execute("UPDATE inbound_events SET parked_at = NULL, park_reason = NULL, park_tries = NULL "
            "WHERE pseudonym = '" + anna + "' AND parked_at IS NOT NULL");
  h.text("bob", "hilfe");  // a wake-up for the worker's look at the parked citizens
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
  const auto replies = h.replies("anna");
  REQUIRE(replies.size() >= 2);
  CHECK(replies.front().text.find(std::to_string(h.scalar("SELECT number FROM tickets"))) !=
        std::string::npos);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
}
