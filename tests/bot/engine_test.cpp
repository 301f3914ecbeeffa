#include <doctest/doctest.h>

#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/conversation/codec.hpp"
#include "support/engine_harness.hpp"

using bb::Channel;
using bb::InboundKind;
using bb::test::EngineHarness;
using bb::test::OnPostgresql;
using bb::test::OnSqlite;
using bb::test::kMarktplatz;
using bb::test::kMunich;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool offers(const std::vector<bb::OutboundMessage>& messages, const std::string& id) {
  for (const auto& m : messages) {
    for (const auto& c : m.choices) {
      if (c.id == id) { return true; }
    }
  }
  return false;
}

}  // namespace

TEST_CASE_TEMPLATE("engine: first contact gets the privacy notice and nothing else is acted on",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.text("alice", "status 1001");
  auto r = h.replies("alice");
  REQUIRE(r.size() == 1);
  CHECK(offers(r, "accept"));
  CHECK(offers(r, "decline"));
  CHECK(h.scalar("SELECT consent_version FROM citizens") == 0);
}

TEST_CASE_TEMPLATE("engine: declining keeps nothing but an anonymous counter",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.text("bob", "Hallo");
  h.choice("bob", "decline");
  CHECK(h.scalar("SELECT count(*) FROM citizens") == 0);
  CHECK(h.scalar("SELECT count(*) FROM conversations") == 0);
  CHECK(h.scalar("SELECT value FROM counters WHERE name = 'consent_declined'") == 1);
  // The goodbye still goes out (its address is sealed in the outbox row itself).
  auto all = h.allReplies("bob");
  REQUIRE(all.size() == 2);
  CHECK(all[1].text == h.text("privacy.declined"));
  // Raw payloads of processed events are gone.
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE payload IS NOT NULL") == 0);
}

TEST_CASE_TEMPLATE("engine: accepting records the notice version with the time",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("carol");
  CHECK(h.scalar("SELECT consent_version FROM citizens") == 1);
  CHECK(h.scalar("SELECT consent_at IS NOT NULL FROM citizens") == 1);
}

TEST_CASE_TEMPLATE("engine: full report with location, photo and description creates a routed ticket",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("dora");
  h.choice("dora", "report");
  h.choice("dora", "cat:schlagloch");
  auto ask_location = h.replies("dora");
  REQUIRE_FALSE(ask_location.empty());
  CHECK(ask_location.back().request_location);
  h.location("dora", kMarktplatz);
  h.image("dora", "sha256:" + std::string(64, 'c'));
  h.choice("dora", "done");
  h.text("dora", "etwa 40 cm breit");  // the category's extra question
  h.text("dora", "Tiefes Loch vor der Apotheke");
  auto summary = h.replies("dora");
  REQUIRE(offers(summary, "confirm"));
  h.choice("dora", "confirm");
  auto done = h.replies("dora");
  REQUIRE(done.size() == 1);
  const auto number = h.scalar("SELECT number FROM tickets");
  CHECK(number == 1001);
  CHECK(done[0].text == h.flows.texts.render(bb::flows::Lang::De, "ticket.created",
                                             {{"number", "1001"}}));
  CHECK(contains(done[0].follow_url, "/chat/follow/"));
  CHECK(h.scalar("SELECT count(*) FROM ticket_photos") == 1);
  CHECK(h.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 1);
  CHECK(h.scalar("SELECT department = 'tiefbau-kernstadt' FROM tickets") == 1);  // district routing
  CHECK(h.scalar("SELECT description = 'Tiefes Loch vor der Apotheke' FROM tickets") == 1);
  CHECK(h.scalar("SELECT extra_answer = 'etwa 40 cm breit' FROM tickets") == 1);
  CHECK(h.scalar("SELECT count(*) FROM ticket_followers") == 1);
  CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'created'") == 1);
}

TEST_CASE_TEMPLATE("engine: skip photo, cancel midway, outside the city",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("emil");
  SUBCASE("skip photo") {
    h.report("emil", "graffiti", kMarktplatz);
    CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
    CHECK(h.scalar("SELECT count(*) FROM ticket_photos") == 0);
  }
  SUBCASE("cancel midway") {
    h.choice("emil", "report");
    h.choice("emil", "cat:graffiti");
    h.text("emil", "abbrechen");
    CHECK(h.scalar("SELECT count(*) FROM tickets") == 0);
    CHECK(h.scalar("SELECT state = 'menu' FROM conversations") == 1);
  }
  SUBCASE("outside the city limits") {
    h.choice("emil", "report");
    h.choice("emil", "cat:graffiti");
    h.replies("emil");
    h.location("emil", kMunich);
    auto text = h.replyText("emil");
    CHECK(contains(text, "Landratsamt Ebersberg"));
    CHECK(h.scalar("SELECT state = 'report_location' FROM conversations") == 1);
  }
}

TEST_CASE_TEMPLATE("engine: idle draft expires on the next message (fake clock)",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("finn");
  h.choice("finn", "report");
  h.choice("finn", "cat:graffiti");
  h.replies("finn");
  h.clock.advance(std::chrono::minutes(31));
  h.text("finn", "noch da?");
  auto text = h.replyText("finn");
  CHECK(contains(text, h.text("draft.expired").substr(0, 20)));
  CHECK(h.scalar("SELECT state = 'menu' FROM conversations") == 1);
}

TEST_CASE_TEMPLATE("engine: a duplicate is offered and joining makes the citizen a follower",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("gina");
  const auto first = h.report("gina", "muell", kMarktplatz);
  h.onboard("hans");
  h.choice("hans", "report");
  h.choice("hans", "cat:muell");
  h.location("hans", bb::GeoPoint{kMarktplatz.lat + 0.0001, kMarktplatz.lon});  // ~11 m away
  auto offer = h.replies("hans");
  REQUIRE(offers(offer, "dup:" + std::to_string(first)));
  h.choice("hans", "dup:" + std::to_string(first));
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(h.scalar("SELECT count(*) FROM ticket_followers") == 2);
  // A status change reaches both.
  REQUIRE(h.engine->changeTicketStatus(first, "in_bearbeitung", "Trupp ist unterwegs", "staff:test"));
  h.replies("gina");
  h.replies("hans");
  REQUIRE(h.engine->changeTicketStatus(first, "erledigt", "Entfernt", "staff:test"));
  auto to_gina = h.replies("gina");
  auto to_hans = h.replies("hans");
  REQUIRE(to_gina.size() == 1);
  REQUIRE(to_hans.size() == 1);
  CHECK(contains(to_gina[0].text, "Entfernt"));
  CHECK(contains(to_hans[0].text, std::to_string(first)));
  CHECK(h.scalar("SELECT closed_at IS NOT NULL FROM tickets") == 1);
  // Not allowed by the status table: erledigt → eingeplant.
  auto refused = h.engine->changeTicketStatus(first, "eingeplant", "", "staff:test");
  CHECK_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::Conflict);
}

TEST_CASE_TEMPLATE("engine: a duplicate farther than the radius or of another category is not offered",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("ida");
  h.report("ida", "muell", kMarktplatz);
  h.onboard("jan");
  h.choice("jan", "report");
  h.choice("jan", "cat:muell");
  h.location("jan", bb::GeoPoint{kMarktplatz.lat + 0.001, kMarktplatz.lon});  // ~111 m
  CHECK_FALSE(offers(h.replies("jan"), "dup:1001"));
}

TEST_CASE_TEMPLATE("engine: status of an own ticket and of someone else's shows only the public status",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("kai");
  const auto mine = h.report("kai", "graffiti", kMarktplatz);
  h.replies("kai");
  h.text("kai", "status " + std::to_string(mine));
  auto own = h.replyText("kai");
  CHECK(contains(own, std::to_string(mine)));
  CHECK(contains(own, h.text("status.eingegangen")));
  h.onboard("lea");
  h.text("lea", "status " + std::to_string(mine));
  auto other = h.replyText("lea");
  CHECK(contains(other, h.text("status.eingegangen")));
  h.text("lea", "status 999999");
  CHECK(contains(h.replyText("lea"), "999999"));
  // My reports lists only the own ticket.
  h.choice("kai", "my_tickets");
  CHECK(contains(h.replyText("kai"), std::to_string(mine)));
  h.choice("lea", "my_tickets");
  CHECK(h.replyText("lea") == h.text("my_tickets.none") + "\n");
}

TEST_CASE_TEMPLATE("engine: language switch answers in English from then on",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("mia");
  h.text("mia", "language");
  h.choice("mia", "lang:en");
  h.replies("mia");
  h.text("mia", "status 4242");
  auto text = h.replyText("mia");
  CHECK(text == h.flows.texts.render(bb::flows::Lang::En, "status.unknown_ticket",
                                     {{"number", "4242"}}) + "\n");
  CHECK(h.scalar("SELECT lang = 'en' FROM citizens") == 1);
}

TEST_CASE_TEMPLATE("engine: a typed number answers the offered choices where they were numbered",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  auto hello = h.event("nils", InboundKind::Text, Channel::Matrix);
  hello.text = "Hallo";
  h.send(hello);
  auto notice = h.replies("nils", Channel::Matrix);
  REQUIRE_FALSE(notice.empty());
  REQUIRE(notice.back().choices.size() >= 2);
  CHECK(notice.back().choices[0].id == "accept");
  auto one = h.event("nils", InboundKind::Text, Channel::Matrix);
  one.text = "1";
  h.send(one);
  CHECK(h.scalar("SELECT consent_version FROM citizens") == 1);
}

TEST_CASE_TEMPLATE("engine: a button tapped by position (\"#2\") picks the second choice offered",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  auto hello = h.event("tom", InboundKind::Text, Channel::Telegram);
  hello.text = "Hallo";
  h.send(hello);
  auto notice = h.replies("tom", Channel::Telegram);
  REQUIRE(notice.back().choices.size() >= 2);
  CHECK(notice.back().choices[1].id == "decline");
  auto tap = h.event("tom", InboundKind::Choice, Channel::Telegram);
  tap.choice_id = "#2";
  h.send(tap);
  CHECK(h.scalar("SELECT value FROM counters WHERE name = 'consent_declined'") == 1);
}

TEST_CASE_TEMPLATE("engine: a typed number is text where the choices were buttons",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("nora");  // web chat: buttons, never numbered
  h.choice("nora", "report");
  h.choice("nora", "cat:schlagloch");
  h.location("nora", kMarktplatz);
  h.choice("nora", "skip");  // no photo; the category's extra question follows
  auto question = h.replies("nora");
  REQUIRE_FALSE(question.empty());
  REQUIRE_FALSE(question.back().choices.empty());
  CHECK(question.back().choices[0].id == "skip");
  h.text("nora", "1");  // "Wie groß ist das Schlagloch?" — one metre, not "skip"
  h.text("nora", "Loch");
  h.choice("nora", "confirm");
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(h.scalar("SELECT extra_answer = '1' FROM tickets") == 1);
  CHECK(h.scalar("SELECT description = 'Loch' FROM tickets") == 1);
}

TEST_CASE_TEMPLATE("engine: redelivered events are stored once and answered once",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  auto e = h.event("olga", InboundKind::Text);
  e.text = "Hallo";
  h.send(e);
  auto again = h.engine->ingest({e, e});
  REQUIRE(again.has_value());
  CHECK(again->duplicates == 2);
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(5)));
  CHECK(h.allReplies("olga").size() == 1);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events") == 1);
}

TEST_CASE_TEMPLATE("engine: letterbox message becomes a letter ticket for the letterbox department",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("paul");
  h.choice("paul", "letter");
  h.text("paul", "Bitte mehr Fahrradständer am Bahnhof.");
  h.choice("paul", "send");
  CHECK(h.scalar("SELECT count(*) FROM tickets WHERE kind = 'letter' AND department = 'buergerservice'") == 1);
  CHECK(contains(h.replyText("paul"), h.text("letter.sent").substr(0, 10)));
}

TEST_CASE_TEMPLATE("engine: events stored before a crash are processed exactly once after restart",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("quinn");
  h.crash();
  h.restart(false);  // engine not started: ingest only, as if it died before processing
  std::vector<bb::InboundEvent> batch;
  for (int i = 0; i < 20; ++i) {
    auto e = h.event("quinn", InboundKind::Text);
    e.text = "status " + std::to_string(5000 + i);
    batch.push_back(e);
  }
  REQUIRE(h.engine->ingest(batch).has_value());
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 20);
  h.crash();
  h.restart(true);
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  auto all = h.allReplies("quinn");
  std::vector<std::string> answers;
  for (const auto& m : all) {
    if (contains(m.text, "50")) { answers.push_back(m.text); }
  }
  REQUIRE(answers.size() == 20);  // exactly once each, in order
  for (int i = 0; i < 20; ++i) { CHECK(contains(answers[static_cast<std::size_t>(i)], std::to_string(5000 + i))); }
  // A second restart processes nothing again.
  h.restart(true);
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  CHECK(h.allReplies("quinn").size() == all.size());
}

TEST_CASE_TEMPLATE("engine: 1000 interleaved events across 100 conversations keep each one's order",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend, 4);
  constexpr int kUsers = 100;
  constexpr int kPerUser = 10;
  // Four ingesting threads, each owning 25 conversations, send interleaved batches.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerUser; ++i) {
        std::vector<bb::InboundEvent> batch;
        for (int u = t; u < kUsers; u += 4) {
          auto e = h.event("user" + std::to_string(u), i == 0 ? InboundKind::Choice : InboundKind::Text);
          if (i == 0) {
            // first contact: the notice; the accept follows as the second event
            e.kind = InboundKind::Text;
            e.text = "Hallo";
          } else if (i == 1) {
            e.kind = InboundKind::Choice;
            e.choice_id = "accept";
          } else {
            e.text = "status " + std::to_string(7000 + i);
          }
          batch.push_back(e);
        }
        if (!h.engine->ingest(batch)) { failures.fetch_add(1); }
      }
    });
  }
  for (auto& th : threads) { th.join(); }
  REQUIRE(failures.load() == 0);
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(60)));
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NOT NULL") == kUsers * kPerUser);
  for (int u = 0; u < kUsers; ++u) {
    auto all = h.allReplies("user" + std::to_string(u));
    std::vector<int> seen;
    for (const auto& m : all) {
      for (int i = 2; i < kPerUser; ++i) {
        if (contains(m.text, std::to_string(7000 + i))) { seen.push_back(i); }
      }
    }
    REQUIRE(seen.size() == kPerUser - 2);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
  }
}

TEST_CASE_TEMPLATE("engine: unsupported messages get a polite answer and keep the state",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("rita");
  h.choice("rita", "report");
  h.replies("rita");
  h.send(h.event("rita", InboundKind::Unsupported));
  CHECK(contains(h.replyText("rita"), h.text("unsupported").substr(0, 20)));
  CHECK(h.scalar("SELECT state = 'report_category' FROM conversations") == 1);
}

TEST_CASE_TEMPLATE("engine: reply addresses are sealed and pseudonyms carry no user id", B,
                   OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("+491701234567");
  CHECK(h.scalar("SELECT count(*) FROM citizens") == 1);
  CHECK(h.scalar("SELECT count(*) FROM citizens WHERE length(address_ct) > 16") == 1);
  // Neither the sealed address (its bytes) nor the pseudonym holds the number.
  const std::string in_address = h.pg
      ? "position(convert_to('491701234567', 'UTF8') in address_ct) > 0"
      : "instr(address_ct, CAST('491701234567' AS BLOB)) > 0";
  CHECK(h.scalar("SELECT count(*) FROM citizens WHERE " + in_address +
                 " OR pseudonym LIKE '%491701234567%'") == 0);
  auto citizen = h.store->citizen(h.pseudonym("+491701234567"));
  REQUIRE(citizen.has_value());
  REQUIRE(citizen->has_value());
  auto opened = h.engine->openAddress((*citizen)->address_ct, (*citizen)->key_id);
  REQUIRE(opened.has_value());
  CHECK(*opened == "chat-+491701234567");
}

TEST_CASE_TEMPLATE("engine: 'meine daten' exports what is stored, own descriptions only",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("sara");
  const auto mine = h.report("sara", "graffiti", kMarktplatz);
  h.replies("sara");
  h.text("sara", "meine daten");
  auto text = h.replyText("sara");
  CHECK(contains(text, h.text("export.header")));
  CHECK(contains(text, std::to_string(mine)));
  CHECK(contains(text, "webchat"));
}

TEST_CASE_TEMPLATE("engine: 'daten löschen' asks first, then erases, tickets stay anonymized",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  bool removed = false;
  h.onboard("tom");
  h.choice("tom", "report");
  h.choice("tom", "cat:graffiti");
  h.location("tom", kMarktplatz);
  h.image("tom", "sha256:" + std::string(64, 'd'));
  h.choice("tom", "done");
  h.text("tom", "Schmiererei am Rathaus, Tel. 0170 1234567");
  h.choice("tom", "confirm");
  const auto number = h.scalar("SELECT number FROM tickets");
  h.replies("tom");

  SUBCASE("anything but yes keeps the data") {
    h.text("tom", "daten löschen");
    CHECK(contains(h.replyText("tom"), h.text("erase.confirm").substr(0, 20)));
    h.text("tom", "nein");
    CHECK(h.scalar("SELECT count(*) FROM citizens") == 1);
    CHECK(h.scalar("SELECT count(*) FROM tickets WHERE reporter IS NOT NULL") == 1);
  }
  SUBCASE("yes erases") {
    (void)removed;
    h.text("tom", "daten löschen");
    h.choice("tom", "confirm");
    CHECK(h.scalar("SELECT count(*) FROM citizens") == 0);
    CHECK(h.scalar("SELECT count(*) FROM conversations") == 0);
    CHECK(h.scalar("SELECT count(*) FROM media") == 0);
    CHECK(h.scalar("SELECT count(*) FROM ticket_photos") == 0);
    CHECK(h.scalar("SELECT count(*) FROM ticket_followers") == 0);
    CHECK(h.scalar("SELECT count(*) FROM tickets WHERE number = " + std::to_string(number) +
                   " AND reporter IS NULL AND description = ''") == 1);
    CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'erased' AND body = ''") == 1);
    CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE body LIKE '%1234567%'") == 0);
    // Coordinates rounded exactly as the retention job does (3 decimals, about 100 m).
    CHECK(h.scalar("SELECT count(*) FROM tickets WHERE lat = 48.078 AND lon = 11.971") == 1);
    CHECK(h.scalar("SELECT count(*) FROM tickets WHERE lat = 48.0777") == 0);
    CHECK(h.scalar("SELECT value FROM counters WHERE name = 'erasures'") == 1);
    // Only the confirmation is left for this citizen, and it goes out.
    auto left = h.allReplies("tom");
    REQUIRE(left.size() == 1);
    CHECK(left[0].text == h.text("erase.done"));
    // Writing again starts over with the privacy notice.
    h.text("tom", "Hallo");
    auto again = h.replies("tom");
    CHECK(offers(again, "accept"));
  }
}

TEST_CASE_TEMPLATE("engine: a final outbox row keeps no sealed address (also after a declined notice)",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.text("uwe", "Hallo");
  h.choice("uwe", "decline");
  auto rows = h.store->outboxFor(h.pseudonym("uwe"), Channel::WebChat, 0, 10);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 2);
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE length(address_ct) > 0") == 2);
  const auto now = h.clock.now();
  REQUIRE(h.store->markOutbox((*rows)[0].id, "sent", "wamid.1", "", 1, now, now));
  REQUIRE(h.store->markOutbox((*rows)[1].id, "queued", "", "http_503", 1, now, now));
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE length(address_ct) > 0") == 1);  // retry keeps it
  REQUIRE(h.store->markOutbox((*rows)[1].id, "dead", "", "http_503", 8, now, now));
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE length(address_ct) > 0") == 0);
  CHECK(h.scalar("SELECT count(*) FROM citizens") == 0);
}
