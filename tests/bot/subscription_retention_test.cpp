// Retention of subscriptions: a subscriber silent for M months is reminded once;
// without an answer the subscriptions end after a further period. FakeClock, real SQLite.

#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "bot/subscriptions/subscriptions.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

using bb::Channel;
using bb::InboundKind;
using namespace std::chrono_literals;

void say(bb::test::EngineHarness& h, const std::string& user, const std::string& text) {
  auto e = h.event(user, InboundKind::Text, Channel::Telegram);
  e.text = text;
  h.send(e);
}

constexpr auto kDay = std::chrono::hours(24);

//! Reminded after 6 months of silence, removed 30 days after the reminder.
bb::RetentionReport runRetention(bb::test::EngineHarness& h) {
  bb::RetentionOptions options;
  options.inactive_months = 6;
  options.remove_after_days = 30;
  return bb::runSubscriptionRetention(*h.subscriptions, h.flows.texts, h.flows.topics, options,
                                      h.clock.now());
}

}  // namespace

TEST_CASE_TEMPLATE("subscriptions retention: remind once after M months, remove after the grace period",
                   B, OnSqlite, OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  for (const std::string user : {"quiet", "answers", "recent"}) {
    say(h, user, "hallo");
    say(h, user, "ja");
    say(h, user, "abonnieren stadtrat, bauausschuss");
    (void)h.replies(user, Channel::Telegram);
  }
  auto run = [&h] { return runRetention(h); };

  CHECK(run().reminded == 0);  // nobody silent yet
  h.clock.advance(170 * kDay);
  say(h, "recent", "menü");  // active within the period
  h.clock.advance(15 * kDay);  // 185 days: "quiet" and "answers" are silent for 6 × 30 days
  auto first = run();
  CHECK(first.reminded == 2);
  CHECK(first.removed == 0);
  const auto reminder = h.replies("quiet", Channel::Telegram);
  REQUIRE(reminder.size() == 1);
  CHECK(reminder[0].text.find("Stadtrat") != std::string::npos);
  CHECK(reminder[0].text.find("30 Tagen") != std::string::npos);
  CHECK(h.replies("recent", Channel::Telegram).size() == 1);  // only the menu answer
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE kind = 'notice'") == 2);

  h.clock.advance(1 * kDay);
  CHECK(run().reminded == 0);  // once only
  say(h, "answers", "abos");  // writes again after the reminder: keeps everything
  h.clock.advance(28 * kDay);  // 29 days after the reminder
  auto early = run();
  CHECK(early.removed == 0);  // 30 days after the reminder not reached yet
  CHECK(early.revived == 1);
  h.clock.advance(1 * kDay);  // 30 days after the reminder
  auto second = run();
  CHECK(second.removed == 1);
  CHECK(h.subscriptions->topicsOf(h.pseudonym("quiet", Channel::Telegram))->empty());
  CHECK(h.subscriptions->topicsOf(h.pseudonym("answers", Channel::Telegram))->size() == 2);
  CHECK(h.subscriptions->topicsOf(h.pseudonym("recent", Channel::Telegram))->size() == 2);
  CHECK(h.scalar("SELECT count(*) FROM consents WHERE withdrawn_at IS NOT NULL AND pseudonym = '" +
                 h.pseudonym("quiet", Channel::Telegram) + "'") == 2);
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE kind = 'notice'") == 2);
}

TEST_CASE("subscriptions retention: an answer another instance is committing keeps the subscriptions") {
  bb::test::EngineHarness h(bb::test::Backend::Postgresql);
  say(h, "quiet", "hallo");
  say(h, "quiet", "ja");
  say(h, "quiet", "abonnieren stadtrat");
  auto run = [&h] { return runRetention(h); };
  h.clock.advance(185 * kDay);
  REQUIRE(run().reminded == 1);
  h.clock.advance(31 * kDay);  // the grace period is over
  const std::string quiet = h.pseudonym("quiet", Channel::Telegram);
  const auto answered_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                               h.clock.now().time_since_epoch())
                               .count();
  // Another instance is committing the citizen's answer: its step holds the citizen's lock and
  // has written the new time, not yet committed, while retention runs.
  auto other = bb::test::openPostgres(h.pg_url);
  std::promise<void> written;
  std::promise<void> release;
  std::thread answering([&] {
    (void)other->transaction([&](bb::storage::pg::Session& s) {
      s.run("SELECT pg_advisory_xact_lock(1, $1)",
            static_cast<std::int64_t>(bb::storage::pg::recipientLockSlot(quiet)));
      s.run("UPDATE citizens SET last_inbound_at = $1 WHERE pseudonym = $2",
            static_cast<std::int64_t>(answered_at), quiet);
      written.set_value();
      release.get_future().wait();
    });
  });
  written.get_future().wait();
  auto retention = std::async(std::launch::async, run);
  CHECK(retention.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  release.set_value();
  answering.join();
  CHECK(retention.get().removed == 0);
  CHECK(h.subscriptions->topicsOf(quiet)->size() == 1);
}
