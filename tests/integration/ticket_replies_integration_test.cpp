// Two-way ticket conversations end to end: the real `buergerbox serve` with every channel
// pointed at the fake APIs (tests/reliability/rig.hpp). A citizen files a letter, staff answer
// in the inbox (login, CSRF, reply form), the citizen answers with the channel's own reply
// (WhatsApp context.id, Telegram reply_to_message, Matrix m.in_reply_to) or plain text inside
// the reply window (WhatsApp, web chat), and the answer is in the ticket's thread, the ticket is
// marked "neue Antwort" in the inbox, and exactly one confirmation went out.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <regex>
#include <string>

#include "tests/integration/staff_desk.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using bb::test::Citizen;
using bb::test::Desk;
using bb::test::addStaff;
using bb::test::cookieValue;
using bb::test::FakeApis;
using bb::test::Rig;
using nlohmann::json;
using namespace std::chrono_literals;

struct Scene {
  FakeApis apis;
  Rig rig;
  Desk desk;

  explicit Scene(bb::test::Backend backend) : rig(apis, backend) {
    addStaff(rig);
    REQUIRE_MESSAGE(rig.start(), rig.server->log());
    desk.port = rig.port;
    desk.login();
  }

  void says(Citizen& c, const std::string& text) {
    CHECK(rig.say(c, text).first == 200);
    REQUIRE_MESSAGE(rig.settle(20s), rig.server->log());
  }
  //! A letter to the city ("virtueller Briefkasten"); returns its ticket number.
  std::int64_t letter(Citizen& c, const std::string& text) {
    for (const std::string& t : {std::string("briefkasten"), text, std::string("senden")}) {
      says(c, t);
    }
    return rig.scalar("SELECT max(number) FROM tickets WHERE reporter = ?", rig.pseudonym(c));
  }
  //! Staff answer; returns the id the channel gave the message.
  std::string staffReply(const Citizen& c, std::int64_t number, const std::string& text) {
    desk.reply(number, text);
    REQUIRE(rig.settle(20s));
    for (const auto& d : apis.deliveriesTo(c.recipient)) {
      if (d.text.find(text) != std::string::npos) { return d.id; }
    }
    FAIL("the staff reply did not reach the channel");
    return {};
  }
  //! The citizen's next message as the channel's own reply to our message `quoted`.
  void quotes(Citizen& c, const std::string& quoted, const std::string& text) {
    Rig::Wire w = Rig::wire(c, c.next++, text);
    json body = json::parse(w.body);
    if (c.channel == "whatsapp") {
      body["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = {
          {"from", "15550783881"}, {"id", quoted}};
      w.body = body.dump();
      w.headers = {{"X-Hub-Signature-256", Rig::waSignature(w.body, bb::test::kRigWaSecret)}};
    } else if (c.channel == "telegram") {
      body["message"]["reply_to_message"] = {{"message_id", std::stoll(quoted)},
                                             {"date", 1700000000},
                                             {"chat", body["message"]["chat"]}};
      w.body = body.dump();
    } else {
      body["events"][0]["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", quoted}}}};
      w.body = body.dump();
    }
    CHECK(rig.request(w.method, w.path, w.headers, w.body) == 200);
    REQUIRE(rig.settle(20s));
  }

  std::int64_t threadHas(std::int64_t number, const std::string& text) {
    return rig.scalar("SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                      "WHERE t.number = " + std::to_string(number) +
                          " AND e.kind = 'citizen_message' AND e.body = ?",
                      text);
  }
  bool unread(std::int64_t number) {
    return rig.scalar("SELECT unread_citizen_at IS NOT NULL FROM tickets WHERE number = " +
                      std::to_string(number)) == 1;
  }
  //! Messages to the citizen saying their message reached ticket `number`.
  int confirmations(const Citizen& c, std::int64_t number) {
    const std::string said = "ist bei Meldung " + std::to_string(number) + " angekommen";
    int n = 0;
    for (const auto& d : apis.deliveriesTo(c.recipient)) {
      if (d.text.find(said) != std::string::npos) { ++n; }
    }
    return n;
  }
  //! What staff see: the ticket in the "neue Antwort" list and the answer in its thread;
  //! opening the ticket marks it read for the team.
  void staffSees(std::int64_t number, const std::string& text) {
    const std::string list = desk.get("/inbox?status=all&neu=1");
    CHECK(list.find("/inbox/tickets/" + std::to_string(number) + "\"") != std::string::npos);
    CHECK(list.find("neue Antwort</span>") != std::string::npos);
    // The navigation counts the tickets with an unread answer (this one only).
    CHECK(list.find("Neue Antworten <span class=\"count\">1</span>") != std::string::npos);
    const std::string page = desk.get("/inbox/tickets/" + std::to_string(number));
    CHECK(page.find("Nachricht der Bürger:in") != std::string::npos);
    CHECK(page.find(text) != std::string::npos);
    CHECK_FALSE(unread(number));
    const std::string after = desk.get("/inbox?status=all&neu=1");
    CHECK(after.find("/inbox/tickets/" + std::to_string(number) + "\"") == std::string::npos);
    CHECK(after.find("Neue Antworten") == std::string::npos);
  }
};

void onboard(Scene& s, Citizen& c) {
  s.says(c, "Hallo");
  s.says(c, "ja");
}

}  // namespace

TEST_CASE_TEMPLATE("replies: WhatsApp quoted reply (context.id) picks the ticket among two open windows", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  Citizen c = bb::test::makeCitizen("whatsapp", 1);
  onboard(s, c);
  const auto first = s.letter(c, "Die Laterne vor Nr. 5 flackert");
  const auto second = s.letter(c, "Der Papierkorb am Markt ist voll");
  const std::string first_id = s.staffReply(c, first, "Seit wann flackert sie?");
  s.staffReply(c, second, "Welcher Papierkorb genau?");
  s.quotes(c, first_id, "Seit gestern Abend");
  CHECK(s.threadHas(first, "Seit gestern Abend") == 1);
  CHECK(s.threadHas(second, "Seit gestern Abend") == 0);
  CHECK(s.unread(first));
  CHECK_FALSE(s.unread(second));
  CHECK(s.confirmations(c, first) == 1);
  s.staffSees(first, "Seit gestern Abend");
  CHECK(s.rig.scalar("SELECT count(*) FROM counters WHERE name = 'reply_quote_unmatched'") == 0);
}

TEST_CASE_TEMPLATE("replies: WhatsApp plain text inside the window goes to the ticket – a changed id is counted", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  Citizen c = bb::test::makeCitizen("whatsapp", 2);
  onboard(s, c);
  const auto number = s.letter(c, "Die Bank im Park ist kaputt");
  const std::string reply_id = s.staffReply(c, number, "Welche Bank?");
  s.says(c, "Die am Teich");
  CHECK(s.threadHas(number, "Die am Teich") == 1);
  CHECK(s.confirmations(c, number) == 1);
  s.staffSees(number, "Die am Teich");
  // A quoted id whose trailing bytes differ from what the send returned: the window decides.
  s.quotes(c, reply_id + "X", "Neben dem Spielplatz");
  CHECK(s.threadHas(number, "Neben dem Spielplatz") == 1);
  CHECK(s.confirmations(c, number) == 1);  // the same burst
  CHECK(s.rig.scalar("SELECT value FROM counters WHERE name = 'reply_quote_unmatched'") == 1);
  httplib::Client client("127.0.0.1", s.rig.port);
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("buergerbox_reply_quote_unmatched 1") != std::string::npos);
}

TEST_CASE_TEMPLATE("replies: Telegram reply_to_message and Matrix m.in_reply_to reach the ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  for (const char* channel : {"telegram", "matrix"}) {
    CAPTURE(channel);
    Citizen c = bb::test::makeCitizen(channel, 3);
    onboard(s, c);
    const auto first = s.letter(c, "Der Gehweg ist vereist");
    const auto second = s.letter(c, "Ein Ast liegt auf dem Radweg");
    const std::string first_id = s.staffReply(c, first, "Wo genau ist es glatt?");
    s.staffReply(c, second, "Wie groß ist der Ast?");
    const std::string answer = std::string("Vor der Schule (") + channel + ")";
    s.quotes(c, first_id, answer);
    CHECK(s.threadHas(first, answer) == 1);
    CHECK(s.threadHas(second, answer) == 0);
    CHECK(s.confirmations(c, first) == 1);
    s.staffSees(first, answer);
  }
}

TEST_CASE_TEMPLATE("replies: web chat text inside the window reaches the ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  httplib::Client client("127.0.0.1", s.rig.port);
  auto page = client.Get("/chat");
  REQUIRE(page);
  const std::string cookie = cookieValue(page);
  std::smatch m;
  REQUIRE(std::regex_search(page->body, m, std::regex("name=\"csrf-token\" content=\"([0-9a-f]+)\"")));
  const httplib::Headers headers = {{"Cookie", cookie}, {"X-CSRF-Token", m[1]}};
  const auto send = [&](const json& body) {
    auto res = client.Post("/chat/api/send", headers, body.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    REQUIRE(s.rig.settle(20s));
  };
  send({{"text", "Hallo"}});
  send({{"choice", "accept"}});
  send({{"choice", "letter"}});
  send({{"text", "Der Brunnen läuft über"}});
  send({{"choice", "send"}});
  const auto number = s.rig.scalar("SELECT max(number) FROM tickets");
  s.desk.reply(number, "Welcher Brunnen?");
  REQUIRE(s.rig.settle(20s));
  send({{"text", "Der am Rathaus"}});
  CHECK(s.threadHas(number, "Der am Rathaus") == 1);
  CHECK(s.rig.scalar("SELECT count(*) FROM outbox WHERE channel = 'webchat' AND payload LIKE "
                     "'%ist bei Meldung " + std::to_string(number) + " angekommen%'") == 1);
  s.staffSees(number, "Der am Rathaus");
}
