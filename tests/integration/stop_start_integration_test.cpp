// stop / start on every channel, end to end: the real `buergerbox serve` with WhatsApp,
// Telegram and Matrix pointed at the fake APIs (tests/reliability/rig.hpp) and the web chat
// over its own HTTP API. The citizen files a letter, sends "stop" and answers "everything";
// staff reply and change the status in the inbox: nothing reaches the citizen through the
// channel, the inbox says "Benachrichtigungen abbestellt". After "start" the next staff reply
// is delivered.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "tests/integration/staff_desk.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using bb::test::Citizen;
using bb::test::Desk;
using bb::test::FakeApis;
using bb::test::Rig;
using nlohmann::json;
using namespace std::chrono_literals;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

//! How the citizen writes and what reached them, per channel.
class Chat {
public:
  virtual ~Chat() = default;
  virtual void says(const std::string& text) = 0;
  //! Everything delivered to the citizen so far, one message per element.
  virtual std::vector<std::string> received() = 0;

  int count(const std::string& part) {
    int n = 0;
    for (const auto& m : received()) {
      if (has(m, part)) { ++n; }
    }
    return n;
  }
};

struct Scene {
  FakeApis apis;
  Rig rig;
  Desk desk;

  explicit Scene(bb::test::Backend backend) : rig(apis, backend) {
    bb::test::addStaff(rig);
    REQUIRE_MESSAGE(rig.start(), rig.server->log());
    desk.port = rig.port;
    desk.login();
  }
};

//! A messenger citizen: webhooks in, the fake API's recorded sends out.
class MessengerChat final : public Chat {
public:
  MessengerChat(Scene& s, Citizen c) : s_(s), c_(std::move(c)) {}
  void says(const std::string& text) override {
    CHECK(s_.rig.say(c_, text).first == 200);
    REQUIRE_MESSAGE(s_.rig.settle(20s), s_.rig.server->log());
  }
  std::vector<std::string> received() override {
    std::vector<std::string> out;
    for (const auto& d : s_.apis.deliveriesTo(c_.recipient)) { out.push_back(d.text); }
    return out;
  }

private:
  Scene& s_;
  Citizen c_;
};

//! A web chat citizen: /chat/api/send in, /chat/api/messages out (the web chat delivers by
//! being fetched).
class WebChatChat final : public Chat {
public:
  explicit WebChatChat(Scene& s) : s_(s), client_("127.0.0.1", s.rig.port) {
    auto page = client_.Get("/chat");
    REQUIRE(page);
    const std::string cookie = bb::test::cookieValue(page);
    std::smatch m;
    REQUIRE(std::regex_search(page->body, m,
                              std::regex("name=\"csrf-token\" content=\"([0-9a-f]+)\"")));
    headers_ = {{"Cookie", cookie}, {"X-CSRF-Token", m[1]}};
  }
  void says(const std::string& text) override { send({{"text", text}}); }
  void taps(const std::string& id) { send({{"choice", id}}); }
  std::vector<std::string> received() override {
    auto res = client_.Get("/chat/api/messages?after=0", headers_);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    std::vector<std::string> out;
    const json body = json::parse(res->body);
    for (const auto& m : body.at("messages")) {
      out.push_back(m.value("text", ""));
    }
    return out;
  }

private:
  void send(const json& body) {
    auto res = client_.Post("/chat/api/send", headers_, body.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    REQUIRE(s_.rig.settle(20s));
  }
  Scene& s_;
  httplib::Client client_;
  httplib::Headers headers_;
};

//! A letter to the city; returns its ticket number.
std::int64_t letter(Scene& s, Chat& chat, const std::string& text) {
  for (const std::string& t : {std::string("Hallo"), std::string("ja"), std::string("briefkasten"),
                               text, std::string("senden")}) {
    chat.says(t);
  }
  return s.rig.scalar("SELECT max(number) FROM tickets");
}

//! "stop" has been answered with "everything": the scenario from there on.
void stoppedThenStarted(Scene& s, Chat& chat, std::int64_t number, const std::string& tag) {
  CHECK(s.rig.scalar("SELECT count(*) FROM citizens WHERE notifications_stopped_at IS NOT NULL") ==
        1);
  CHECK(chat.count("Sie erhalten keine Benachrichtigungen mehr") == 1);

  const std::string withheld = "Bitte Foto schicken (" + tag + ")";
  CHECK(has(s.desk.reply(number, withheld), "ok=reply_unsent"));
  s.desk.status(number, "in_bearbeitung", "Trupp unterwegs (" + tag + ")");
  REQUIRE(s.rig.settle(20s));
  CHECK(chat.count(withheld) == 0);
  CHECK(chat.count("Trupp unterwegs (" + tag + ")") == 0);
  CHECK(s.rig.scalar("SELECT count(*) FROM outbox WHERE kind IN ('staff', 'status')") == 0);
  const std::string page = s.desk.get("/inbox/tickets/" + std::to_string(number));
  CHECK(has(page, "Benachrichtigungen abbestellt"));
  CHECK(has(page, "nicht per Chat gesendet"));
  CHECK(has(page, withheld));  // still in the thread for the team

  // What the citizen asks for still answers.
  const std::string status_reply = "Meldung " + std::to_string(number) + " (";
  const int before = chat.count(status_reply);
  chat.says("status " + std::to_string(number));
  CHECK(chat.count(status_reply) == before + 1);

  chat.says("start");
  CHECK(chat.count("Willkommen zurück") == 1);
  const std::string delivered = "Danke, erledigt (" + tag + ")";
  CHECK(has(s.desk.reply(number, delivered), "ok=reply"));
  REQUIRE(s.rig.settle(20s));
  CHECK(chat.count(delivered) == 1);
  CHECK(chat.count(withheld) == 0);  // what was withheld stays withheld
}

}  // namespace

TEST_CASE_TEMPLATE("stop/start: WhatsApp – stop, everything: staff reply not sent to the Graph API, then start: delivered", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  MessengerChat chat(s, bb::test::makeCitizen("whatsapp", 41));
  const auto number = letter(s, chat, "Die Laterne vor Nr. 5 flackert");
  chat.says("stop");
  CHECK(chat.count("Was möchten Sie abbestellen?") == 1);
  chat.says("Alles");  // the button's label, typed
  stoppedThenStarted(s, chat, number, "whatsapp");
}

TEST_CASE_TEMPLATE("stop/start: Telegram – stop, everything: staff reply not sent to the Bot API, then start: delivered", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  MessengerChat chat(s, bb::test::makeCitizen("telegram", 42));
  const auto number = letter(s, chat, "Der Gehweg ist vereist");
  chat.says("/stop");
  CHECK(chat.count("Was möchten Sie abbestellen?") == 1);
  chat.says("Alles");
  stoppedThenStarted(s, chat, number, "telegram");
}

TEST_CASE_TEMPLATE("stop/start: Matrix – stop, everything (numbered option): staff reply not sent, then start: delivered", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  MessengerChat chat(s, bb::test::makeCitizen("matrix", 43));
  const auto number = letter(s, chat, "Ein Ast liegt auf dem Radweg");
  chat.says("stop");
  CHECK(chat.count("1. Alles") == 1);  // Matrix shows the choices as numbered options
  chat.says("1");
  stoppedThenStarted(s, chat, number, "matrix");
}

TEST_CASE_TEMPLATE("stop/start: web chat – stop, everything: staff reply not fetched, then start: delivered", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WebChatChat chat(s);
  const auto number = letter(s, chat, "Der Brunnen läuft über");
  chat.says("stop");
  CHECK(chat.count("Was möchten Sie abbestellen?") == 1);
  chat.taps("stop:all");
  stoppedThenStarted(s, chat, number, "webchat");
}
