// Citizens answer the city: reply windows, the ticket a message goes to, confirmations once per
// burst, "abgeschlossen" for closed tickets, and the channel's own reply taking precedence.

#include <doctest/doctest.h>

#include <chrono>
#include <string>


#include "bot/conversation/citizen_message.hpp"
#include "bot/privacy/retention.hpp"
#include "bot/text/local_time.hpp"
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"

using bb::test::EngineHarness;
using bb::test::kMarktplatz;

namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string received(EngineHarness& h, std::int64_t number) {
  return h.flows.texts.render(bb::flows::Lang::De, "reply.received",
                              {{"number", std::to_string(number)}});
}

//! The citizen messages in ticket `number`'s thread, oldest first ("|"-joined bodies), on
//! either backend.
std::string citizenMessages(EngineHarness& h, std::int64_t number) {
  const std::string messages =
      " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = " +
      std::to_string(number) + " AND e.kind = 'citizen_message'";
  const std::int64_t n = h.scalar("SELECT count(*)" + messages);
  std::string out;
  for (std::int64_t i = 0; i < n; ++i) {
    out += (i == 0 ? "" : "|") +
           h.textOf("SELECT e.body" + messages + " ORDER BY e.id LIMIT 1 OFFSET " + std::to_string(i));
  }
  return out;
}

std::int64_t countOf(EngineHarness& h, const std::string& sql) {
  return h.scalar(sql);
}

//! Staff answers in the inbox (the same store call the inbox's reply form makes).
void staffReply(EngineHarness& h, std::int64_t number, const std::string& user,
                const std::string& text) {
  auto citizen = h.store->citizen(h.pseudonym(user));
  REQUIRE(citizen);
  REQUIRE(*citizen);
  auto inbox = bb::test::inboxStoreOf(h);
  bb::AuditEntry audit;
  audit.at = h.clock.now();
  audit.actor = "mia";
  audit.action = "reply";
  audit.ticket_number = number;
  const auto message =
      bb::CitizenMessage::staffReply(**citizen, number).text("Nachricht der Stadt: " + text);
  REQUIRE(inbox->addStaffReply(number, message.build(), text, audit));
}

struct Reported {
  EngineHarness h;
  std::int64_t number = 0;
  explicit Reported(bb::test::Backend backend = bb::test::Backend::Sqlite) : h(backend) {
    h.onboard("anna");
    number = h.report("anna", "schlagloch", kMarktplatz);
    h.replies("anna");
  }
};

}  // namespace

TEST_CASE_TEMPLATE("replies: inside the reply window free text goes into the ticket's thread, confirmed once per burst", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  staffReply(h, r.number, "anna", "Wo genau ist das Loch?");
  h.replies("anna");
  h.text("anna", "Genau vor der Apotheke, ca. 40 cm");
  const auto first = h.replies("anna");
  REQUIRE(first.size() == 1);
  CHECK(first[0].text == received(h, r.number));
  CHECK(contains(first[0].text, "Ihre Nachricht ist bei Meldung " + std::to_string(r.number) +
                                    " angekommen."));
  REQUIRE(first[0].choices.size() == 1);
  CHECK(first[0].choices[0].id == "menu");
  CHECK(citizenMessages(h, r.number) == "Genau vor der Apotheke, ca. 40 cm");
  CHECK(countOf(h, "SELECT count(*) FROM tickets WHERE number = " + std::to_string(r.number) +
                       " AND unread_citizen_at IS NOT NULL") == 1);

  SUBCASE("a second message of the same burst is not confirmed again") {
    h.clock.advance(3min);
    h.text("anna", "Es ist ziemlich tief.");
    CHECK(h.replies("anna").empty());
    CHECK(citizenMessages(h, r.number) ==
          "Genau vor der Apotheke, ca. 40 cm|Es ist ziemlich tief.");
  }
  SUBCASE("a message after a pause is a new burst") {
    h.clock.advance(11min);
    h.text("anna", "Noch etwas: es wird größer.");
    const auto again = h.replies("anna");
    REQUIRE(again.size() == 1);
    CHECK(again[0].text == received(h, r.number));
  }
  SUBCASE("commands keep their meaning inside the window") {
    h.text("anna", "hilfe");
    CHECK_FALSE(contains(h.replyText("anna"), "angekommen"));
    h.choice("anna", "report");
    CHECK(contains(h.replyText("anna"), h.text("category.prompt")));
    CHECK(citizenMessages(h, r.number) == "Genau vor der Apotheke, ca. 40 cm");
  }
}

TEST_CASE_TEMPLATE("replies: a status change with text opens the window too – without text it does not", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  REQUIRE(h.engine->changeTicketStatus(r.number, "in_pruefung", "", "staff:mia"));
  h.replies("anna");
  h.text("anna", "Und?");
  CHECK(contains(h.replyText("anna"), h.text("help.menu")));
  CHECK(citizenMessages(h, r.number).empty());
  REQUIRE(h.engine->changeTicketStatus(r.number, "in_bearbeitung", "Ist das Loch noch da?",
                                       "staff:mia"));
  h.replies("anna");
  h.text("anna", "Ja");
  CHECK(h.replyText("anna") == received(h, r.number) + "\n");
  CHECK(citizenMessages(h, r.number) == "Ja");
}

TEST_CASE_TEMPLATE("replies: without a window the menu answers as before", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  h.text("anna", "Genau vor der Apotheke");
  CHECK(contains(h.replyText("anna"), h.text("help.menu")));
  CHECK(citizenMessages(h, r.number).empty());
  CHECK(countOf(h, "SELECT count(*) FROM tickets WHERE unread_citizen_at IS NOT NULL") == 0);

  SUBCASE("and after the window of an open ticket has run out") {
    staffReply(h, r.number, "anna", "Wo genau?");
    h.replies("anna");
    h.clock.advance(std::chrono::hours(24 * 14) + 1min);
    h.text("anna", "Vor der Apotheke");
    CHECK(contains(h.replyText("anna"), h.text("help.menu")));
    CHECK(citizenMessages(h, r.number).empty());
  }
}

TEST_CASE_TEMPLATE("replies: with two open windows the citizen is asked which ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  const auto second = h.report("anna", "graffiti", kMarktplatz);
  h.replies("anna");
  staffReply(h, r.number, "anna", "Wo genau?");
  staffReply(h, second, "anna", "Welche Farbe?");
  h.replies("anna");
  h.text("anna", "Rot und blau");
  const auto asked = h.replies("anna");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].text == h.text("reply.which"));
  std::vector<std::string> ids;
  for (const auto& c : asked[0].choices) { ids.push_back(c.id); }
  // The most recently opened window first.
  CHECK(ids == std::vector<std::string>{"reply:" + std::to_string(second),
                                        "reply:" + std::to_string(r.number), "menu"});
  CHECK(citizenMessages(h, r.number).empty());
  CHECK(citizenMessages(h, second).empty());

  SUBCASE("picking one posts the held message there") {
    h.choice("anna", "reply:" + std::to_string(second));
    CHECK(h.replyText("anna") == received(h, second) + "\n");
    CHECK(citizenMessages(h, second) == "Rot und blau");
    CHECK(citizenMessages(h, r.number).empty());
  }
  SUBCASE("a typed number works where choices are text") {
    h.text("anna", std::to_string(r.number));
    CHECK(h.replyText("anna") == received(h, r.number) + "\n");
    CHECK(citizenMessages(h, r.number) == "Rot und blau");
  }
  SUBCASE("more text joins the held message; the menu drops it") {
    h.text("anna", "Ziemlich groß");
    CHECK(h.replyText("anna") == h.text("reply.which") + "\n");
    h.choice("anna", "menu");
    h.replies("anna");
    CHECK(citizenMessages(h, r.number).empty());
    CHECK(citizenMessages(h, second).empty());
  }
}

TEST_CASE_TEMPLATE("replies: a closed ticket takes messages while its window runs, then says abgeschlossen", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  REQUIRE(h.engine->changeTicketStatus(r.number, "erledigt", "Das Loch ist geflickt.",
                                       "staff:mia"));
  h.replies("anna");
  h.text("anna", "Danke!");
  CHECK(h.replyText("anna") == received(h, r.number) + "\n");
  CHECK(citizenMessages(h, r.number) == "Danke!");

  h.clock.advance(std::chrono::hours(24 * 15));
  h.text("anna", "Das Loch ist wieder da");
  const auto closed = h.replies("anna");
  REQUIRE(closed.size() == 1);
  CHECK(contains(closed[0].text, "Diese Meldung ist abgeschlossen"));
  CHECK(contains(closed[0].text, std::to_string(r.number)));
  REQUIRE(closed[0].choices.size() == 2);
  CHECK(closed[0].choices[0].id == "report");
  CHECK(citizenMessages(h, r.number) == "Danke!");
  // The offer leads to a new report.
  h.choice("anna", "report");
  CHECK(contains(h.replyText("anna"), h.text("category.prompt")));
}

TEST_CASE_TEMPLATE("replies: a photo inside the window joins the thread with its media row", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  staffReply(h, r.number, "anna", "Haben Sie ein Foto?");
  h.replies("anna");
  h.image("anna", "wa-media-1");
  // A channel's photo is fetched and cleaned first: nothing is said or posted before that.
  CHECK(h.replies("anna").empty());
  const char* posted = "SELECT count(*) FROM ticket_events e JOIN media m ON m.id = e.media_id "
                       "WHERE e.kind = 'citizen_message'";
  CHECK(countOf(h, posted) == 0);
  // The media job stored the cleaned file and reports it.
  const auto media_id = countOf(h, "SELECT max(id) FROM media");
  const std::string content_id(64, 'c');
  h.execute("UPDATE media SET status = 'ready', content_id = '" + content_id +
            "' WHERE id = " + std::to_string(media_id));
  REQUIRE(h.engine->ingestMediaReady(h.pseudonym("anna"), media_id, content_id, "image/jpeg"));
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  CHECK(h.replyText("anna") == received(h, r.number) + "\n");
  CHECK(countOf(h, posted) == 1);
}

TEST_CASE_TEMPLATE("replies: the citizen's messages are in their export and go with 'daten löschen'", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  staffReply(h, r.number, "anna", "Wo genau?");
  h.replies("anna");
  h.text("anna", "Vor Hausnummer 7, Tel. 0170 1234567");
  h.image("anna", "sha256:" + std::string(64, 'e'));
  h.replies("anna");
  h.choice("anna", "data:export");
  const std::string exported = h.replyText("anna");
  CHECK(contains(exported, h.flows.texts.render(bb::flows::Lang::De, "export.message",
                                                {{"number", std::to_string(r.number)},
                                                 {"date", bb::localDate(h.clock.now())},
                                                 {"text", "Vor Hausnummer 7, Tel. 0170 1234567"},
                                                 {"photo", ""}})));
  CHECK(contains(exported, h.text("export.message_photo")));

  h.text("anna", "daten löschen");
  h.choice("anna", "confirm");
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE body LIKE '%1234567%'") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE author IS NOT NULL") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE media_id IS NOT NULL") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM reply_windows") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM media") == 0);
  // That the citizen wrote stays in the thread, without what.
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 2);
  CHECK(h.removedMedia() == std::vector<std::string>{std::string(64, 'e')});
}

TEST_CASE_TEMPLATE("replies: retention removes the citizen's messages and photos with the ticket's texts", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  REQUIRE(h.engine->changeTicketStatus(r.number, "erledigt", "Geflickt.", "staff:mia"));
  h.replies("anna");
  h.text("anna", "Danke, Familie Maier");
  h.image("anna", "sha256:" + std::string(64, 'f'));
  REQUIRE(countOf(h, "SELECT count(*) FROM ticket_events WHERE media_id IS NOT NULL") == 1);

  auto store = bb::test::retentionStoreOf(h);
  std::vector<std::string> removed;
  bb::RetentionJob job(*store, bb::RetentionPolicy{},
                       [&removed](const std::string& id) { removed.push_back(id); });
  // The photo is not an orphaned draft photo: a week later it is still there.
  h.clock.advance(std::chrono::hours(24 * 8));
  REQUIRE(job.run(h.clock.now()));
  CHECK(countOf(h, "SELECT count(*) FROM media") == 1);
  CHECK(removed.empty());

  h.clock.advance(std::chrono::hours(24 * 180));
  auto due = job.run(h.clock.now());
  REQUIRE(due);
  CHECK(due->tickets_anonymized == 1);
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE body LIKE '%Maier%'") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE media_id IS NOT NULL OR "
                   "author IS NOT NULL") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM media") == 0);
  CHECK(countOf(h, "SELECT count(*) FROM reply_windows") == 0);
  CHECK(removed == std::vector<std::string>{std::string(64, 'f')});
}

namespace {

//! The provider id our latest message to `user` about `number` got (as an outbox worker stores
//! it: the keyed hash); returns the id in the clear, as the channel would quote it.
std::string deliveredAs(EngineHarness& h, std::int64_t number, const std::string& user,
                        const std::string& provider_id) {
  const std::string hash = h.engine->providerIdHash(bb::Channel::WebChat, provider_id);
  const std::string sql =
      "UPDATE outbox SET status = 'sent', provider_message_id = '" + hash +
      "' WHERE id = (SELECT max(o.id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
      "WHERE t.number = " + std::to_string(number) + " AND o.pseudonym = '" + h.pseudonym(user) +
      "')";
  h.execute(sql);
  return provider_id;
}

void quotedText(EngineHarness& h, const std::string& user, const std::string& quoted,
                const std::string& text) {
  auto e = h.event(user, bb::InboundKind::Text);
  e.text = text;
  e.reply_to = quoted;
  h.send(e);
}

}  // namespace

TEST_CASE_TEMPLATE("replies: the channel's own reply names the ticket, before any window", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  const auto second = h.report("anna", "graffiti", kMarktplatz);
  h.replies("anna");
  staffReply(h, r.number, "anna", "Wo genau?");
  staffReply(h, second, "anna", "Welche Farbe?");
  h.replies("anna");
  const std::string first_id = deliveredAs(h, r.number, "anna", "msg-ours-1");

  quotedText(h, "anna", first_id, "Vor der Apotheke");
  CHECK(h.replyText("anna") == received(h, r.number) + "\n");
  CHECK(citizenMessages(h, r.number) == "Vor der Apotheke");
  CHECK(citizenMessages(h, second).empty());
  CHECK(countOf(h, "SELECT count(*) FROM counters WHERE name = 'reply_quote_unmatched'") == 0);

  SUBCASE("an id that matches none of our messages leaves it to the windows, and is counted") {
    quotedText(h, "anna", "msg-ours-1-changed-tail", "Rot");
    CHECK(h.replyText("anna") == h.text("reply.which") + "\n");
    CHECK(countOf(h, "SELECT value FROM counters WHERE name = 'reply_quote_unmatched'") == 1);
  }
  SUBCASE("a quoted message of an open ticket reaches it after the window too") {
    h.clock.advance(std::chrono::hours(24 * 20));
    quotedText(h, "anna", first_id, "Ist schon jemand da gewesen?");
    CHECK(h.replyText("anna") == received(h, r.number) + "\n");
    CHECK(citizenMessages(h, r.number) == "Vor der Apotheke|Ist schon jemand da gewesen?");
  }
  SUBCASE("a quoted message of a ticket closed after its window: abgeschlossen") {
    REQUIRE(h.engine->changeTicketStatus(r.number, "erledigt", "", "staff:mia"));
    h.replies("anna");
    h.clock.advance(std::chrono::hours(24 * 20));
    quotedText(h, "anna", first_id, "Wieder kaputt");
    CHECK(contains(h.replyText("anna"), "Diese Meldung ist abgeschlossen"));
    CHECK(citizenMessages(h, r.number) == "Vor der Apotheke");
  }
  SUBCASE("someone else's message id finds nothing") {
    h.onboard("ben");
    quotedText(h, "ben", first_id, "Hallo");
    CHECK(contains(h.replyText("ben"), h.text("help.menu")));
    CHECK(citizenMessages(h, r.number) == "Vor der Apotheke");
  }
}

TEST_CASE_TEMPLATE("replies: staff answering again restarts the window", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  staffReply(h, r.number, "anna", "Wo genau?");
  h.clock.advance(std::chrono::hours(24 * 10));
  staffReply(h, r.number, "anna", "Und wie tief?");
  h.replies("anna");
  h.clock.advance(std::chrono::hours(24 * 10));  // 20 days after the first, 10 after the second
  h.text("anna", "Etwa 10 cm");
  CHECK(h.replyText("anna") == received(h, r.number) + "\n");
  CHECK(citizenMessages(h, r.number) == "Etwa 10 cm");
}

TEST_CASE_TEMPLATE("replies: Meine Meldungen offers Status and Nachricht schreiben per own ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  const std::string n = std::to_string(r.number);
  h.choice("anna", "my_tickets");
  const auto listed = h.replies("anna");
  REQUIRE(listed.size() == 1);
  CHECK(contains(listed[0].text, h.text("my_tickets.actions")));
  std::vector<std::string> ids;
  for (const auto& c : listed[0].choices) { ids.push_back(c.id); }
  CHECK(ids == std::vector<std::string>{"status:" + n, "write:" + n, "menu"});
  CHECK(listed[0].choices[0].label == "Status " + n);
  CHECK(listed[0].choices[1].label == "Nachricht zu " + n);

  SUBCASE("Status answers with the ticket's status") {
    h.choice("anna", "status:" + n);
    CHECK(contains(h.replyText("anna"), h.text("status.eingegangen")));
  }
  SUBCASE("Nachricht schreiben: the next text goes into the thread without any staff message") {
    h.choice("anna", "write:" + n);
    const auto prompt = h.replies("anna");
    REQUIRE(prompt.size() == 1);
    CHECK(contains(prompt[0].text, "Meldung " + n));
    CHECK(prompt[0].text == h.flows.texts.render(bb::flows::Lang::De, "write.prompt", {{"number", n}}));
    h.text("anna", "Das Loch ist inzwischen größer geworden");
    CHECK(h.replyText("anna") == received(h, r.number) + "\n");
    CHECK(citizenMessages(h, r.number) == "Das Loch ist inzwischen größer geworden");
    CHECK(countOf(h, "SELECT count(*) FROM tickets WHERE unread_citizen_at IS NOT NULL") == 1);
    // One message per "Nachricht schreiben": the next text is the menu's again.
    h.text("anna", "Noch etwas");
    CHECK(contains(h.replyText("anna"), h.text("help.menu")));
    CHECK(citizenMessages(h, r.number) == "Das Loch ist inzwischen größer geworden");
  }
  SUBCASE("a photo works the same way") {
    h.choice("anna", "write:" + n);
    h.replies("anna");
    h.image("anna", "wa-media-7");
    CHECK(h.replies("anna").empty());  // fetched and cleaned first
    const auto media_id = countOf(h, "SELECT max(id) FROM media");
    const std::string content_id(64, 'd');
    h.execute("UPDATE media SET status = 'ready', content_id = '" + content_id +
              "' WHERE id = " + std::to_string(media_id));
    REQUIRE(h.engine->ingestMediaReady(h.pseudonym("anna"), media_id, content_id, "image/jpeg"));
    REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
    CHECK(h.replyText("anna") == received(h, r.number) + "\n");
    CHECK(countOf(h, "SELECT count(*) FROM ticket_events e JOIN media m ON m.id = e.media_id "
                     "WHERE e.kind = 'citizen_message'") == 1);
  }
  SUBCASE("Menü instead of a message: nothing is posted") {
    h.choice("anna", "write:" + n);
    h.replies("anna");
    h.choice("anna", "menu");
    h.replies("anna");
    h.text("anna", "Hallo?");
    h.replies("anna");
    CHECK(citizenMessages(h, r.number).empty());
  }
}

TEST_CASE_TEMPLATE("replies: Nachricht schreiben only for the citizen's own, not closed-and-expired tickets", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  const std::string n = std::to_string(r.number);
  SUBCASE("someone else's ticket: refused, nothing posted") {
    h.onboard("ben");
    h.choice("ben", "write:" + n);
    const auto refused = h.replies("ben");
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].text ==
          h.flows.texts.render(bb::flows::Lang::De, "write.unknown", {{"number", n}}));
    h.text("ben", "Ich schreibe trotzdem");
    h.replies("ben");
    CHECK(citizenMessages(h, r.number).empty());
  }
  SUBCASE("a ticket that does not exist") {
    h.choice("anna", "write:999999");
    CHECK(contains(h.replyText("anna"), "999999"));
    h.text("anna", "Test");
    h.replies("anna");
    CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 0);
  }
  SUBCASE("a closed ticket after its window: abgeschlossen") {
    REQUIRE(h.engine->changeTicketStatus(r.number, "erledigt", "", "staff:mia"));
    h.replies("anna");
    h.choice("anna", "write:" + n);
    const auto closed = h.replies("anna");
    REQUIRE(closed.size() == 1);
    CHECK(contains(closed[0].text, "Diese Meldung ist abgeschlossen"));
    CHECK(closed[0].choices[0].id == "report");
  }
  SUBCASE("a followed ticket offers Status only") {
    h.onboard("ben");
    h.execute("INSERT INTO ticket_followers (ticket_id, pseudonym, created_at) SELECT id, '" +
              h.pseudonym("ben") + "', 0 FROM tickets WHERE number = " + n);
    REQUIRE(countOf(h, "SELECT count(*) FROM ticket_followers WHERE pseudonym = '" +
                           h.pseudonym("ben") + "'") == 1);
    h.choice("ben", "my_tickets");
    const auto listed = h.replies("ben");
    REQUIRE(listed.size() == 1);
    std::vector<std::string> ids;
    for (const auto& c : listed[0].choices) { ids.push_back(c.id); }
    CHECK(ids == std::vector<std::string>{"status:" + n, "menu"});
    h.choice("ben", "write:" + n);
    CHECK(contains(h.replyText("ben"), h.flows.texts.render(bb::flows::Lang::De, "write.unknown",
                                                             {{"number", n}})));
  }
}

TEST_CASE_TEMPLATE("replies: a ticket takes at most flows.ticket_messages_per_day citizen messages a day", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  h.flows.settings.ticket_messages_per_day = 3;
  h.restart();
  // The fake clock stands at 12:06 Berlin time (11:06:40 UTC) on 18.11.2026.
  staffReply(h, r.number, "anna", "Wo genau?");
  h.replies("anna");
  const std::string capped = h.flows.texts.render(
      bb::flows::Lang::De, "reply.daily_cap", {{"number", std::to_string(r.number)}, {"max", "3"}});
  for (int i = 1; i <= 3; ++i) {
    h.text("anna", "Nachricht " + std::to_string(i));
    h.replies("anna");
  }
  CHECK(citizenMessages(h, r.number) == "Nachricht 1|Nachricht 2|Nachricht 3");

  SUBCASE("the fourth gets the polite answer and is not stored") {
    h.text("anna", "Nachricht 4");
    const auto answer = h.replies("anna");
    REQUIRE(answer.size() == 1);
    CHECK(answer[0].text == capped);
    CHECK(contains(answer[0].text, "nicht gespeichert"));
    REQUIRE(answer[0].choices.size() == 1);
    CHECK(answer[0].choices[0].id == "menu");
    h.image("anna", "wa-media-9");  // a photo neither
    CHECK(h.replyText("anna") == capped + "\n");
    CHECK(citizenMessages(h, r.number) == "Nachricht 1|Nachricht 2|Nachricht 3");
    CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 3);
    // "Nachricht schreiben" counts against the same cap.
    h.choice("anna", "write:" + std::to_string(r.number));
    h.replies("anna");
    h.text("anna", "Über Meine Meldungen");
    CHECK(h.replyText("anna") == capped + "\n");
    CHECK(countOf(h, "SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 3);
  }
  SUBCASE("the next day (after Berlin midnight) the ticket takes messages again") {
    // 23:59 Berlin is still today.
    h.clock.advance(11h + 52min);
    h.text("anna", "Noch heute");
    CHECK(h.replyText("anna") == capped + "\n");
    h.clock.advance(2min);  // 00:01 on 19.11.2026 in Berlin (23:01 UTC)
    h.text("anna", "Nachricht am nächsten Tag");
    CHECK(h.replyText("anna") == received(h, r.number) + "\n");
    CHECK(citizenMessages(h, r.number) ==
          "Nachricht 1|Nachricht 2|Nachricht 3|Nachricht am nächsten Tag");
  }
  SUBCASE("another ticket has its own count") {
    const auto second = h.report("anna", "graffiti", kMarktplatz);
    h.replies("anna");
    h.choice("anna", "write:" + std::to_string(second));
    h.replies("anna");
    h.text("anna", "Zur zweiten Meldung");
    CHECK(h.replyText("anna") == received(h, second) + "\n");
    CHECK(citizenMessages(h, second) == "Zur zweiten Meldung");
  }
}

TEST_CASE_TEMPLATE("replies: the follow page's messages follow the chat's rules (closed, daily cap)", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Reported r(B::backend);
  EngineHarness& h = r.h;
  using FM = bb::Engine::FollowMessage;
  h.flows.settings.ticket_messages_per_day = 2;
  h.restart();
  CHECK(h.engine->postFromFollowPage(r.number, "Erste").value() == FM::Posted);
  CHECK(h.engine->postFromFollowPage(r.number, "Zweite").value() == FM::Posted);
  CHECK(h.engine->postFromFollowPage(r.number, "Dritte").value() == FM::DailyCap);
  CHECK(citizenMessages(h, r.number) == "Erste|Zweite");
  h.clock.advance(24h);
  CHECK(h.engine->postFromFollowPage(r.number, "Am nächsten Tag").value() == FM::Posted);
  CHECK(h.engine->postFromFollowPage(999999, "Niemandes").value() == FM::NoReporter);
  REQUIRE(h.engine->changeTicketStatus(r.number, "erledigt", "", "staff:mia"));
  CHECK(h.engine->postFromFollowPage(r.number, "Nach dem Abschluss").value() == FM::Closed);
  CHECK(citizenMessages(h, r.number) == "Erste|Zweite|Am nächsten Tag");
}
