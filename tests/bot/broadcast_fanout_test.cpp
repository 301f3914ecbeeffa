// Broadcast fan-out through the real OutboxWorker and a real store (SQLite, PostgreSQL), against
// fake channel APIs that refuse (429) any send above the configured rate in a sliding one-second window.
// Time is a FakeClock: the worker runs pass by pass while the clock moves in small steps.

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <deque>
#include <map>
#include <set>

#include "bot/subscriptions/broadcast.hpp"
#include "bot/outbox/outbox_worker.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "storage/postgresql/pg_broadcast_store.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/postgresql/pg_store.hpp"
#include "storage/postgresql/pg_subscription_store.hpp"
#include "support/engine_harness.hpp"

namespace {

using namespace std::chrono_literals;
using bb::Channel;
using bb::outbox::SendResult;

//! A channel API with a sliding-window limit: more than `limit` sends within any second → 429.
class LimitedApi final : public bb::outbox::ChannelSender {
public:
  LimitedApi(const bb::Clock& clock, int limit) : clock_(clock), limit_(limit) {}

  SendResult send(const bb::OutboxRow& row, const std::string& address,
                  const bb::OutboundMessage& message) override {
    const auto now = clock_.monotonic();
    while (!window_.empty() && window_.front() <= now - 1s) { window_.pop_front(); }
    if (static_cast<int>(window_.size()) >= limit_ || force_429 > 0) {
      ++refused;
      if (force_429 > 0) { --force_429; }
      return SendResult::failure(SendResult::Kind::RateLimited, "http_429", 1000ms);
    }
    window_.push_back(now);
    ++received[row.pseudonym];
    addresses.insert(address);
    if (!message.template_name.empty()) { ++templates; }
    if (message.notice_kind == "broadcast" && message.notice_params.size() == 2 &&
        message.notice_params[1] == "Haushalt") {
      ++announced;  // what a WhatsApp template names after 24 h: topic and title
    }
    if (message.text.find("https://ris/1") != std::string::npos) { ++with_link; }
    return SendResult::sent("id." + std::to_string(row.id));
  }

  std::map<std::string, int> received;
  std::set<std::string> addresses;
  int refused = 0;
  int templates = 0;
  int announced = 0;
  int with_link = 0;
  int force_429 = 0;  //!< refuse the next n sends whatever the rate (a channel slowing us down)

private:
  const bb::Clock& clock_;
  int limit_;
  std::deque<std::chrono::steady_clock::time_point> window_;
};

struct World {
  bb::test::TempDir dir;
  bb::test::FakeClock clock;
  std::unique_ptr<bb::storage::Database> db;
  std::unique_ptr<bb::storage::pg::PgDatabase> pg;
  std::unique_ptr<bb::Store> store;
  std::unique_ptr<bb::SubscriptionStore> subscriptions;
  std::unique_ptr<bb::BroadcastStore> broadcasts;
  bb::flows::TextCatalog texts;

  explicit World(bb::test::Backend backend = bb::test::Backend::Sqlite) {
    texts.set(bb::flows::Lang::De, "broadcast.footer", "Abos: abos");
    if (backend == bb::test::Backend::Postgresql) {
      pg = bb::test::openPostgres(bb::test::migratedPostgres(), 4);
      store = std::make_unique<bb::storage::pg::PgStore>(*pg);
      subscriptions = std::make_unique<bb::storage::pg::PgSubscriptionStore>(*pg);
      broadcasts = std::make_unique<bb::storage::pg::PgBroadcastStore>(*pg);
      return;
    }
    bb::storage::DatabaseOptions o;
    o.path = dir.path() + "/fanout.sqlite";
    o.synchronous = "NORMAL";  // many small commits; durability is not under test here
    auto opened = bb::storage::Database::open(o);
    REQUIRE(opened.has_value());
    db = std::move(*opened);
    bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
    REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
    REQUIRE(version.has_value());
    store = std::make_unique<bb::storage::SqliteStore>(*db);
    subscriptions = std::make_unique<bb::storage::SqliteSubscriptionStore>(*db);
    broadcasts = std::make_unique<bb::storage::SqliteBroadcastStore>(*db);
  }
  ~World() {
    if (db) { db->close(); }
  }

  //! The pseudonym of subscriber `i` on `channel`.
  static std::string nameOf(Channel channel, int i) {
    char name[32];
    std::snprintf(name, sizeof name, "%s-%05d", bb::toString(channel), i);
    return name;
  }

  //! `n` citizens on `channel` subscribed to `topic` with consent; `flags` per index:
  //! 'u' unreachable, 'n' no consent, 'w' consent withdrawn, 's' subscribed elsewhere only.
  void citizens(int n, Channel channel, const std::string& topic,
                const std::function<char(int)>& flags = [](int) { return ' '; }) {
    if (pg) {
      citizensOnPostgresql(n, channel, topic, flags);
      return;
    }
    REQUIRE(db->write([&](SQLite::Database& raw) {
      SQLite::Statement c(raw,
                          "INSERT INTO citizens (pseudonym, channel, address_ct, key_id, lang, "
                          "consent_version, created_at, unreachable) VALUES (?, ?, ?, 'k', 'de', 1, 0, ?)");
      SQLite::Statement s(raw,
                          "INSERT INTO sub_subscriptions (pseudonym, topic, created_at) VALUES (?, ?, 0)");
      for (int i = 0; i < n; ++i) {
        const char f = flags(i);
        const std::string p = nameOf(channel, i);
        c.reset();
        c.bind(1, p);
        c.bind(2, bb::toString(channel));
        const std::string address = "addr-" + p;
        c.bind(3, address.data(), static_cast<int>(address.size()));
        c.bind(4, f == 'u' ? 1 : 0);
        c.exec();
        const std::string t = f == 's' ? "other" : topic;
        s.reset();
        s.bind(1, p);
        s.bind(2, t);
        s.exec();
        if (f != 'n') {
          bb::storage::grantConsentIn(raw, p, "broadcast:" + t, 1, 0);
        }
        if (f == 'w') {
          bb::storage::withdrawConsentIn(raw, p, "broadcast:" + t, 1);
        }
      }
    }));
  }

  void citizensOnPostgresql(int n, Channel channel, const std::string& topic,
                            const std::function<char(int)>& flags) {
    namespace pgs = bb::storage::pg;
    auto r = pg->transaction([&](pgs::Session& s) {
      for (int i = 0; i < n; ++i) {
        const char f = flags(i);
        const std::string p = nameOf(channel, i);
        const std::string address = "addr-" + p;
        s.run("INSERT INTO citizens (pseudonym, channel, address_ct, key_id, lang, "
              "consent_version, created_at, unreachable) VALUES ($1, $2, $3, 'k', 'de', 1, 0, $4)",
              p, std::string(bb::toString(channel)), pgs::Bytes{address}, f == 'u' ? 1 : 0);
        const std::string t = f == 's' ? "other" : topic;
        s.run("INSERT INTO sub_subscriptions (pseudonym, topic, created_at) VALUES ($1, $2, 0)",
              p, t);
        if (f != 'n') { pgs::grantConsent(s, p, "broadcast:" + t, 1, 0); }
        if (f == 'w') { pgs::withdrawConsent(s, p, "broadcast:" + t, 1); }
      }
    });
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
  }

  std::int64_t scalar(const std::string& sql) {
    if (pg) {
      auto r = pg->withConnection(
          [&](bb::storage::pg::Session& s) { return s.run(sql).int64(0, 0); });
      REQUIRE(r.has_value());
      return *r;
    }
    auto r = db->read([&](SQLite::Database& raw) { return raw.execAndGet(sql).getInt64(); });
    REQUIRE(r.has_value());
    return *r;
  }

  bb::BroadcastOptions options(Channel channel, double rate) {
    bb::BroadcastOptions o;
    o.rate_per_second = {{channel, rate}};
    return o;
  }

  std::int64_t draft(bb::BroadcastService& service, const std::string& topic) {
    bb::NewBroadcast b;
    b.topic = topic;
    b.title = "Haushalt";
    b.body = "Der Stadtrat hat den Haushalt beschlossen.";
    b.link = "https://ris/1";
    auto id = service.createDraft(b);
    REQUIRE(id.has_value());
    return *id;
  }

  //! Runs the worker until no row of `channel` is queued, moving the clock `step` per pass.
  int drain(bb::outbox::OutboxWorker& worker, Channel channel, std::chrono::milliseconds step) {
    int passes = 0;
    const std::string queued =
        std::string("SELECT count(*) FROM outbox WHERE status = 'queued' AND channel = '") +
        bb::toString(channel) + "'";
    while (scalar(queued) > 0) {
      (void)worker.runOnce();
      clock.advance(step);
      REQUIRE(++passes < 200000);
    }
    return passes;
  }
};

bb::outbox::OutboxOptions workerOptions(Channel channel, double rate) {
  bb::outbox::OutboxOptions o;
  o.channel = channel;
  o.rate_per_second = rate;
  o.recipient_interval = 1000ms;
  o.retry_base = 1000ms;
  o.max_tries = 8;
  o.batch = 200;
  o.jitter_seed = 7;
  return o;
}

bb::outbox::AddressOpener opener() {
  return [](const std::string& ct, const std::string&) -> bb::Result<std::string> { return ct; };
}

}  // namespace

TEST_CASE_TEMPLATE("broadcast: 10,000 WhatsApp subscribers each get it once, none refused", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  World w(B::backend);
  constexpr int kSubscribers = 10000;
  constexpr double kRate = 2000;
  w.citizens(kSubscribers, Channel::WhatsApp, "stadtrat");
  bb::BroadcastService service(*w.broadcasts, *w.subscriptions, w.texts, w.clock,
                               w.options(Channel::WhatsApp, kRate));
  const auto id = w.draft(service, "stadtrat");
  auto queued = service.send(id);
  REQUIRE(queued.has_value());
  CHECK(*queued == kSubscribers);

  LimitedApi api(w.clock, static_cast<int>(kRate));
  bb::outbox::OutboxWorker worker(*w.store, api, opener(), w.clock,
                                  workerOptions(Channel::WhatsApp, kRate));
  w.drain(worker, Channel::WhatsApp, 10ms);

  CHECK(api.refused == 0);
  CHECK(api.received.size() == static_cast<std::size_t>(kSubscribers));
  CHECK(std::all_of(api.received.begin(), api.received.end(),
                    [](const auto& e) { return e.second == 1; }));
  CHECK(api.addresses.size() == static_cast<std::size_t>(kSubscribers));
  // The text itself (inside the 24 h window; after it the sender announces it with the topic's
  // template), marked with topic and title for that template.
  CHECK(api.templates == 0);
  CHECK(api.announced == kSubscribers);
  CHECK(api.with_link == kSubscribers);
  auto progress = w.broadcasts->progress(id);
  REQUIRE(progress.has_value());
  CHECK(progress->sent == kSubscribers);
  CHECK(progress->queued == 0);
  CHECK(progress->failed == 0);
}

TEST_CASE_TEMPLATE("broadcast: at a low rate a 429 slows the fan-out down and nobody is missed", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  World w(B::backend);
  constexpr double kRate = 5;
  // 60 subscribers; #3 is unreachable, #7 never consented, #8 withdrew, #9 follows another topic.
  w.citizens(60, Channel::Telegram, "bauausschuss", [](int i) {
    return i == 3 ? 'u' : i == 7 ? 'n' : i == 8 ? 'w' : i == 9 ? 's' : ' ';
  });
  bb::BroadcastService service(*w.broadcasts, *w.subscriptions, w.texts, w.clock,
                               w.options(Channel::Telegram, kRate));
  const auto id = w.draft(service, "bauausschuss");
  auto queued = service.send(id);
  REQUIRE(queued.has_value());
  CHECK(*queued == 56);
  // A second broadcast right after queues behind the first: together still within the rate.
  const auto second = w.draft(service, "bauausschuss");
  REQUIRE(service.send(second).has_value());

  LimitedApi api(w.clock, static_cast<int>(kRate));
  api.force_429 = 1;  // the channel asks us to slow down once
  bb::outbox::OutboxWorker worker(*w.store, api, opener(), w.clock,
                                  workerOptions(Channel::Telegram, kRate));
  while (api.refused == 0) {
    (void)worker.runOnce();
    w.clock.advance(50ms);
  }
  CHECK(worker.currentRate() < kRate);  // AIMD: slowed down after the 429
  w.drain(worker, Channel::Telegram, 50ms);

  CHECK(api.refused == 1);  // only the forced one: the limiter itself never refused
  CHECK(api.received.size() == 56);
  CHECK(std::all_of(api.received.begin(), api.received.end(),
                    [](const auto& e) { return e.second == 2; }));
  for (const char* skipped : {"telegram-00003", "telegram-00007", "telegram-00008",
                              "telegram-00009"}) {
    CHECK(api.received.count(skipped) == 0);
  }
  CHECK(api.templates == 0);  // Telegram gets plain text
}

TEST_CASE_TEMPLATE("broadcast: schedule, cancel and progress", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  World w(B::backend);
  w.citizens(10, Channel::Matrix, "stadtrat");
  bb::BroadcastService service(*w.broadcasts, *w.subscriptions, w.texts, w.clock,
                               w.options(Channel::Matrix, 2));
  const auto later = w.draft(service, "stadtrat");
  REQUIRE(service.schedule(later, w.clock.now() + 1h).has_value());
  CHECK(service.runDue() == 0);
  w.clock.advance(61min);
  CHECK(service.runDue() == 1);
  auto p = w.broadcasts->progress(later);
  REQUIRE(p.has_value());
  CHECK(p->queued == 10);
  // Cancelling a sent broadcast stops the rows not sent yet.
  LimitedApi api(w.clock, 2);
  bb::outbox::OutboxWorker worker(*w.store, api, opener(), w.clock,
                                  workerOptions(Channel::Matrix, 2));
  (void)worker.runOnce();
  w.clock.advance(1000ms);
  (void)worker.runOnce();
  REQUIRE(service.cancel(later).has_value());
  p = w.broadcasts->progress(later);
  REQUIRE(p.has_value());
  CHECK(p->sent == static_cast<int>(api.received.size()));
  CHECK(p->sent >= 1);
  CHECK(p->failed == 10 - p->sent);  // cancelled rows count as not delivered
  CHECK(p->queued == 0);
  CHECK_FALSE(service.send(later).has_value());
  // A cancelled draft is never sent.
  const auto drafted = w.draft(service, "stadtrat");
  REQUIRE(service.cancel(drafted).has_value());
  CHECK_FALSE(service.send(drafted).has_value());
}

TEST_CASE_TEMPLATE("broadcast: a row claimed for sending or waiting for a retry does not hold the "
                   "next broadcast back beyond the backlog at the rate", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  World w(B::backend);
  w.citizens(3, Channel::Telegram, "stadtrat");
  bb::BroadcastService service(*w.broadcasts, *w.subscriptions, w.texts, w.clock,
                               w.options(Channel::Telegram, 10));  // a row every 100 ms
  const auto now_ms = [&w] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               w.clock.now().time_since_epoch())
        .count();
  };
  const std::int64_t t0 = now_ms();
  REQUIRE(service.send(w.draft(service, "stadtrat")).has_value());
  const std::string first = "SELECT min(id) FROM outbox WHERE kind = 'broadcast'";
  const std::int64_t claimed = w.scalar(first);
  SUBCASE("claimed by an instance for two minutes (its lease is its next attempt)") {
    REQUIRE(w.store->claimOutbox(claimed, w.clock.now(), w.clock.now() + 120s).value());
    // One instance alone (SQLite) needs no lease: its claim leaves the row as it was.
    if (B::backend == bb::test::Backend::Postgresql) {
      REQUIRE(w.scalar("SELECT max(next_attempt_at) FROM outbox") == t0 + 120'000);
    }
  }
  SUBCASE("waiting for a retry in an hour") {
    REQUIRE(w.store->markOutbox(claimed, "queued", "", "http 503", 1, w.clock.now() + 1h,
                                w.clock.now()));
    REQUIRE(w.scalar("SELECT max(next_attempt_at) FROM outbox") == t0 + 3'600'000);
  }

  // The second broadcast follows the three rows still queued at the rate: its rows are due
  // within 100 ms steps after them, not after the lease or the retry.
  REQUIRE(service.send(w.draft(service, "stadtrat")).has_value());
  const std::string second = "FROM outbox WHERE kind = 'broadcast' AND id > " +
                             std::to_string(claimed + 2);
  REQUIRE(w.scalar("SELECT count(*) " + second) == 3);
  CHECK(w.scalar("SELECT min(next_attempt_at) " + second) >= t0 + 300);
  CHECK(w.scalar("SELECT max(next_attempt_at) " + second) <= t0 + 700);
}
