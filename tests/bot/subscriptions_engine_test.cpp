// Subscriptions by chat through the real engine and SQLite: subscribe, unsubscribe
// several at once, stop, consent rows, export and erasure; a citizen who never opted in gets
// no broadcast.

#include <doctest/doctest.h>


#include <algorithm>

#include "bot/subscriptions/broadcast.hpp"
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

using bb::Channel;
using bb::InboundKind;

struct Chat {
  bb::test::EngineHarness& h;

  void say(const std::string& user, const std::string& text) {
    auto e = h.event(user, InboundKind::Text, Channel::Telegram);
    e.text = text;
    h.send(e);
  }
  void tap(const std::string& user, const std::string& id) {
    auto e = h.event(user, InboundKind::Choice, Channel::Telegram);
    e.choice_id = id;
    h.send(e);
  }
  void onboard(const std::string& user) {
    say(user, "hallo");
    say(user, "ja");
    (void)h.replies(user, Channel::Telegram);
  }
  std::string last(const std::string& user) {
    auto r = h.replies(user, Channel::Telegram);
    REQUIRE_FALSE(r.empty());
    return r.back().text;
  }
  std::vector<std::string> topics(const std::string& user) {
    auto t = h.subscriptions->topicsOf(h.pseudonym(user, Channel::Telegram));
    REQUIRE(t.has_value());
    return *t;
  }
  //! Valid broadcast consents (the accepted notice is a consent of its own, "service").
  std::int64_t validConsents(const std::string& user) {
    return h.scalar("SELECT count(*) FROM consents WHERE withdrawn_at IS NULL AND pseudonym = '" +
                    h.pseudonym(user, Channel::Telegram) + "' AND purpose LIKE 'broadcast:%'");
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE_TEMPLATE("subscriptions by chat: subscribe records consent per topic with version and time",
                   B, OnSqlite, OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  Chat chat{h};
  chat.onboard("anna");
  chat.say("anna", "abos");
  CHECK(contains(chat.last("anna"), "Stadtrat"));
  chat.tap("anna", "sub:stadtrat");
  CHECK(contains(chat.last("anna"), "Abonniert: Stadtrat"));
  chat.say("anna", "abonnieren Bauausschuss und Baustellen und Verkehr");
  CHECK(chat.topics("anna") == std::vector<std::string>{"bauausschuss", "baustellen", "stadtrat"});
  const std::string p = h.pseudonym("anna", Channel::Telegram);
  CHECK(h.scalar("SELECT count(*) FROM consents WHERE pseudonym = '" + p +
                 "' AND purpose = 'broadcast:stadtrat' AND notice_version = 1 AND "
                 "granted_at = " + std::to_string(bb::storage::toMillis(h.clock.now())) +
                 " AND withdrawn_at IS NULL") == 1);
  CHECK(chat.validConsents("anna") == 3);
}

TEST_CASE_TEMPLATE("subscriptions by chat: unsubscribe several at once withdraws their consents",
                   B, OnSqlite, OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  Chat chat{h};
  chat.onboard("ben");
  chat.say("ben", "abonnieren 1, 2, 4");
  CHECK(chat.topics("ben") == std::vector<std::string>{"bauausschuss", "baustellen", "stadtrat"});
  h.clock.advance(std::chrono::minutes(5));
  chat.say("ben", "abbestellen stadtrat, bauausschuss");
  CHECK(contains(chat.last("ben"), "Abbestellt: Stadtrat, Bauausschuss"));
  CHECK(chat.topics("ben") == std::vector<std::string>{"baustellen"});
  CHECK(chat.validConsents("ben") == 1);
  CHECK(h.scalar("SELECT count(*) FROM consents WHERE withdrawn_at IS NOT NULL") == 2);
}

TEST_CASE_TEMPLATE("subscriptions by chat: 'stop' ends every subscription and consent",
                   B, OnSqlite, OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  Chat chat{h};
  chat.onboard("cleo");
  chat.say("cleo", "abonnieren alle");
  CHECK(chat.topics("cleo").size() == 5);
  chat.say("cleo", "stop");
  CHECK(contains(chat.last("cleo"), h.text("stop.question")));
  CHECK(chat.topics("cleo").size() == 5);  // asked, nothing stopped yet
  std::string answer;
  std::string done;
  SUBCASE("subscriptions only") {
    answer = "stop:subscriptions";
    done = "stop.subscriptions_done";
  }
  SUBCASE("everything") {
    answer = "stop:all";
    done = "stop.all_done";
  }
  chat.tap("cleo", answer);
  CHECK(contains(chat.last("cleo"), h.text(done)));
  CHECK(chat.topics("cleo").empty());
  CHECK(chat.validConsents("cleo") == 0);
  CHECK(h.scalar("SELECT count(*) FROM sub_subscriptions") == 0);
}

TEST_CASE_TEMPLATE("subscriptions by chat: export lists subscriptions and consents, erasure removes them",
                   B, OnSqlite, OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  Chat chat{h};
  chat.onboard("dora");
  chat.tap("dora", "sub:bauausschuss");
  chat.say("dora", "meine daten");
  const std::string text = chat.last("dora");
  CHECK(contains(text, "Abo: Bauausschuss"));
  CHECK(contains(text, "Einwilligung – Nachrichten zum Thema „Bauausschuss“: Datenschutzhinweis "
                       "Version 1, erteilt am"));
  chat.say("dora", "daten löschen");
  chat.say("dora", "ja");
  CHECK(h.scalar("SELECT count(*) FROM sub_subscriptions") == 0);
  CHECK(h.scalar("SELECT count(*) FROM consents") == 0);
}

TEST_CASE_TEMPLATE("subscriptions by chat: a citizen who never opted in receives nothing", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  Chat chat{h};
  chat.onboard("emil");   // subscribes below
  chat.onboard("fritz");  // talks to the bot, never subscribes
  chat.tap("emil", "sub:stadtrat");
  // A subscription row without a consent (e.g. restored from an old backup) does not count.
  const std::string greta = h.pseudonym("greta", Channel::Telegram);
  chat.onboard("greta");
  h.execute("INSERT INTO sub_subscriptions (pseudonym, topic, created_at) VALUES ('" + greta +
            "', 'stadtrat', 0)");
  auto broadcasts = bb::test::broadcastStoreOf(h);
  bb::BroadcastService service(*broadcasts, *h.subscriptions, h.flows.texts, h.clock, {});
  bb::NewBroadcast b;
  b.topic = "stadtrat";
  b.title = "Haushalt";
  b.body = "Der Stadtrat hat den Haushalt 2027 beschlossen.";
  b.link = "https://ris.example.org/to/1";
  auto id = service.createDraft(b);
  REQUIRE(id.has_value());
  auto sent = service.send(*id);
  REQUIRE(sent.has_value());
  CHECK(*sent == 1);
  auto emil = h.replies("emil", Channel::Telegram);
  REQUIRE(emil.size() == 2);  // the subscription answer and the broadcast
  CHECK(contains(emil.back().text, "Haushalt 2027"));
  CHECK(contains(emil.back().text, "https://ris.example.org/to/1"));
  CHECK(h.replies("fritz", Channel::Telegram).empty());
  CHECK(h.replies("greta", Channel::Telegram).empty());
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE kind = 'broadcast'") == 1);
  // Sending the same broadcast again is refused: nobody gets it twice.
  CHECK_FALSE(service.send(*id).has_value());
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE kind = 'broadcast'") == 1);
}
