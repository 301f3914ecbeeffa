// The OParl poller against a fake OParl server (the HttpClient port) serving the spec
// examples made consistent (tests/fixtures/oparl): pagination, modified_since without
// microseconds, an empty page as 404 and as [], control characters, HTTP 500 → retry, deleted
// objects → corrections, and nothing repeated on the next poll.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "bot/subscriptions/broadcast.hpp"
#include "bot/oparl/poller.hpp"
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"

namespace {

using bb::Channel;
using bb::InboundKind;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/oparl/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kBase = "https://oparl.example.org";

class FakeOParl final : public bb::HttpClient {
public:
  enum class Phase { Update, Withdrawn, Empty404, EmptyArray };
  Phase phase = Phase::Update;
  int fail_next = 0;  //!< answer this many requests with 500 first
  std::vector<std::string> urls;

  bb::HttpReply send(const bb::HttpCall& call) override {
    urls.push_back(call.url);
    bb::HttpReply r;
    r.status = 200;
    if (fail_next > 0) {
      --fail_next;
      r.status = 500;
      return r;
    }
    const std::string& u = call.url;
    if (u == kBase + "/") {
      r.body = fixture("system.json");
    } else if (u == kBase + "/bodies") {
      r.body = fixture("bodies.json");
    } else if (u == kBase + "/body/0/meetings") {
      r.body = fixture("meetings-1.json");
    } else if (u == kBase + "/body/0/meetings?page=2") {
      r.body = fixture("meetings-2.json");
    } else if (u.rfind(kBase + "/body/0/meetings?modified_since=", 0) == 0) {
      switch (phase) {
        case Phase::Update:
          r.body = fixture(u.find("page=2") != std::string::npos ? "meetings-update-2.json"
                                                                 : "meetings-update-1.json");
          break;
        case Phase::Withdrawn:
          r.body = fixture("meetings-update-3.json");
          break;
        case Phase::Empty404:
          r.status = 404;
          r.body = fixture("empty-404.json");
          break;
        case Phase::EmptyArray:
          r.body = "[]";
          break;
      }
    } else {
      r.status = 404;
    }
    return r;
  }
};

struct PollWorld {
  bb::test::EngineHarness h;
  FakeOParl server;
  std::unique_ptr<bb::BroadcastStore> broadcast_store = bb::test::broadcastStoreOf(h);
  bb::BroadcastStore& broadcasts = *broadcast_store;
  bb::BroadcastService service{broadcasts, *h.subscriptions, h.flows.texts, h.clock, {}};
  std::unique_ptr<bb::oparl::Poller> poller;

  explicit PollWorld(bb::test::Backend backend) : h(backend, 1) {
    std::vector<bb::TopicSetting> topics;
    bb::TopicSetting finance;
    finance.topic = bb::flows::Topic{"finanzausschuss", {{bb::flows::Lang::De, "Finanzausschuss"}}};
    finance.oparl_organizations = {kBase + "/organization/34"};
    bb::TopicSetting building;
    building.topic = bb::flows::Topic{"bauausschuss", {{bb::flows::Lang::De, "Bauausschuss"}}};
    building.oparl_organizations = {kBase + "/organization/35"};
    building.send_at_once = true;
    topics = {finance, building};
    bb::oparl::PollerOptions o;
    o.url = kBase + "/";
    o.sleep = [](std::chrono::milliseconds) {};
    poller = std::make_unique<bb::oparl::Poller>(server, broadcasts, service, topics,
                                                 h.flows.texts, h.clock, o);
  }

  void subscribe(const std::string& user, const std::string& topic) {
    for (const std::string& text : std::vector<std::string>{"hallo", "ja", "abonnieren " + topic}) {
      auto e = h.event(user, InboundKind::Text, Channel::Telegram);
      e.text = text;
      h.send(e);
    }
    (void)h.replies(user, Channel::Telegram);
  }

  std::vector<bb::BroadcastRecord> all() {
    auto r = broadcasts.recentBroadcasts(100);
    REQUIRE(r.has_value());
    std::reverse(r->begin(), r->end());
    return *r;
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("oparl: timestamps are whole seconds in UTC, control characters are escaped") {
  const bb::SysTime t = bb::SysTime(std::chrono::seconds(1'795'000'000)) +
                        std::chrono::microseconds(123456);
  CHECK(bb::oparl::formatTimestamp(t) == "2026-11-18T11:06:40+00:00");
  CHECK(bb::oparl::urlEncode("2026-11-18T11:06:40+00:00") == "2026-11-18T11%3A06%3A40%2B00%3A00");
  const auto parsed = bb::oparl::parseTimestamp("2026-11-18T12:06:40.5+01:00");
  REQUIRE(parsed.has_value());
  CHECK(*parsed == bb::SysTime(std::chrono::seconds(1'795'000'000)));
  CHECK(bb::oparl::sanitizeJson("{\"a\":\"x\x01y\"}\n") == "{\"a\":\"x\\u0001y\"}\n");
}

TEST_CASE_TEMPLATE("oparl: baseline, new results as drafts or sent at once, corrections, no repeats", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  PollWorld w(B::backend);
  w.subscribe("hanna", "bauausschuss");
  w.subscribe("ilse", "finanzausschuss");

  // 1. Baseline: the whole list (two pages, the second with a raw control character) is
  //    recorded; the past is not announced.
  auto first = w.poller->poll();
  CHECK(first.ok);
  CHECK(first.baseline);
  CHECK(first.pages == 2);
  CHECK(first.meetings == 2);
  CHECK(first.drafts == 0);
  CHECK(w.all().empty());
  CHECK(w.server.urls.front() == kBase + "/");
  const std::string since = bb::oparl::urlEncode(bb::oparl::formatTimestamp(w.h.clock.now()));

  // 2. An update: modified_since without microseconds, two pages.
  w.h.clock.advance(std::chrono::minutes(60));
  w.server.urls.clear();
  auto second = w.poller->poll();
  CHECK(second.ok);
  CHECK_FALSE(second.baseline);
  REQUIRE(w.server.urls.size() == 2);
  CHECK(w.server.urls[0] == kBase + "/body/0/meetings?modified_since=" + since);
  CHECK(second.drafts == 3);  // new agenda (283), result (284 TOP 1), cancelled (282)
  CHECK(second.sent == 2);    // Bauausschuss sends at once: the result and the protocol (285)
  const auto made = w.all();
  REQUIRE(made.size() == 5);
  int drafts = 0;
  for (const auto& b : made) {
    INFO(b.body);
    CHECK(b.source == "oparl");
    CHECK_FALSE(has(b.body, "Grundstücksangelegenheit"));  // not public: never broadcast
    CHECK_FALSE(has(b.body, "\x0b"));
    if (b.status == bb::BroadcastStatus::Draft) {
      ++drafts;
      CHECK(b.topic == "finanzausschuss");
    } else {
      CHECK(b.status == bb::BroadcastStatus::Sent);
      CHECK(b.topic == "bauausschuss");
    }
  }
  CHECK(drafts == 3);
  auto text = [&](const std::string& part) {
    for (const auto& b : made) {
      if (has(b.body, part)) { return b; }
    }
    FAIL("no broadcast with " << part);
    return bb::BroadcastRecord{};
  };
  CHECK(text("Neubau Grundschule Nord").link == "https://ris.example.org/top/4001");
  CHECK(has(text("Neubau Grundschule Nord").body, "Einstimmig beschlossen"));
  CHECK(has(text("fällt aus").body, "5. Sitzung des Finanzausschusses"));
  CHECK(has(text("Tagesordnung (2 Punkte)").body, "6. Sitzung des Finanzausschusses"));
  CHECK(has(text("Bebauungsplan Am Anger").body, "als Satzung beschlossen. Die Begründung"));
  CHECK(text("Protokoll").link == "https://ris.example.org/sitzung/285");
  // The sent ones reached the Bauausschuss subscriber only.
  auto hanna = w.h.replies("hanna", Channel::Telegram);
  CHECK(hanna.size() == 2);
  CHECK(w.h.replies("ilse", Channel::Telegram).empty());

  // 3. The next poll (after one HTTP 500, retried): 284 again (nothing repeats), 285 and 283
  //    withdrawn: corrections for the two sent broadcasts, the 283 draft is cancelled.
  w.h.clock.advance(std::chrono::minutes(60));
  w.server.phase = FakeOParl::Phase::Withdrawn;
  w.server.fail_next = 1;
  auto third = w.poller->poll();
  CHECK(third.ok);
  CHECK(third.drafts == 0);
  CHECK(third.sent == 0);
  CHECK(third.corrections == 3);
  const auto after = w.all();
  REQUIRE(after.size() == 7);
  CHECK(after[5].corrects_id > 0);
  CHECK(after[6].corrects_id > 0);
  CHECK(has(after[5].body, "Korrektur"));
  CHECK(after[5].status == bb::BroadcastStatus::Sent);
  CHECK(text("Tagesordnung (2 Punkte)").id > 0);
  auto agenda = w.broadcasts.broadcast(text("Tagesordnung (2 Punkte)").id);
  REQUIRE(agenda.has_value());
  CHECK((*agenda)->status == bb::BroadcastStatus::Cancelled);
  hanna = w.h.replies("hanna", Channel::Telegram);
  REQUIRE(hanna.size() == 2);
  CHECK(has(hanna[0].text, "Korrektur"));

  // 4. The same withdrawals again: nothing new. 5./6. Empty results as 404 and as [].
  w.h.clock.advance(std::chrono::minutes(60));
  auto again = w.poller->poll();
  CHECK(again.ok);
  CHECK(again.corrections == 0);
  w.server.phase = FakeOParl::Phase::Empty404;
  auto empty404 = w.poller->poll();
  CHECK(empty404.ok);
  CHECK(empty404.pages == 1);
  CHECK(empty404.meetings == 0);
  w.server.phase = FakeOParl::Phase::EmptyArray;
  auto emptyArray = w.poller->poll();
  CHECK(emptyArray.ok);
  CHECK(emptyArray.meetings == 0);
  w.server.phase = FakeOParl::Phase::Update;
  auto replay = w.poller->poll();  // the whole update once more: already told, nothing new
  CHECK(replay.ok);
  CHECK(replay.drafts == 0);
  CHECK(replay.sent == 0);
  CHECK(w.all().size() == 7);
  CHECK(w.h.replies("hanna", Channel::Telegram).empty());
}

TEST_CASE_TEMPLATE("oparl: a server that keeps failing leaves the sync point where it was", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  PollWorld w(B::backend);
  REQUIRE(w.poller->poll().ok);  // baseline
  auto before = w.broadcasts.oparlState("last_sync");
  REQUIRE(before.has_value());
  w.h.clock.advance(std::chrono::minutes(60));
  w.server.fail_next = 3;  // every try of the first page
  auto failed = w.poller->poll();
  CHECK_FALSE(failed.ok);
  auto after = w.broadcasts.oparlState("last_sync");
  REQUIRE(after.has_value());
  CHECK(*after == *before);
  auto retried = w.poller->poll();  // the next poll catches up from the old point
  CHECK(retried.ok);
  CHECK(retried.drafts == 3);
}
