// Telegram rendering and reply classification, pure: sendMessage bodies (inline keyboards, the
// location reply keyboard, long texts, long choice ids), the file/update/webhook calls and what
// each Bot API answer means for the outbox.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "webhooks/telegram/telegram.hpp"

namespace {

namespace tg = bb::webhooks::telegram;
using nlohmann::json;

tg::Settings settings() {
  tg::Settings s;
  s.api_base = "http://tg.test";
  s.bot_token = "123456:ABC-token";
  s.secret_token = "hook_secret-1";
  return s;
}

json body(const bb::HttpCall& call) {
  json j = json::parse(call.body, nullptr, false);
  REQUIRE(j.is_object());
  return j;
}

bb::HttpReply reply(int status, const std::string& text) {
  bb::HttpReply r;
  r.status = status;
  r.body = text;
  return r;
}

}  // namespace

TEST_CASE("telegram: plain text is one sendMessage with an integer chat_id") {
  bb::OutboundMessage m;
  m.text = "Danke für Ihre Meldung.";
  const auto calls = tg::renderMessage(m, "207777314", settings());
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].method == "POST");
  CHECK(calls[0].url == "http://tg.test/bot123456:ABC-token/sendMessage");
  const json b = body(calls[0]);
  CHECK(b["chat_id"] == 207777314);
  CHECK(b["chat_id"].is_number_integer());
  CHECK(b["text"] == "Danke für Ihre Meldung.");
  CHECK_FALSE(b.contains("reply_markup"));
  // Ids beyond 32 bits (and negative group ids) stay exact.
  CHECK(body(tg::renderMessage(m, "9007199254740991", settings())[0])["chat_id"] ==
        9007199254740991LL);
  CHECK(body(tg::renderMessage(m, "-1001234567890", settings())[0])["chat_id"] == -1001234567890LL);
  CHECK(tg::renderMessage(bb::OutboundMessage{}, "1", settings()).empty());
}

TEST_CASE("telegram: choices become an inline keyboard, two buttons per row") {
  bb::OutboundMessage m;
  m.text = "Was möchten Sie tun?";
  m.choices = {{"report", "Schaden melden"}, {"letter", "Briefkasten"}, {"status", "Status"}};
  const auto calls = tg::renderMessage(m, "42", settings());
  REQUIRE(calls.size() == 1);
  const json b = body(calls[0]);
  CHECK(b["text"] == "Was möchten Sie tun?");
  const json& rows = b["reply_markup"]["inline_keyboard"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].size() == 2);
  CHECK(rows[1].size() == 1);
  CHECK(rows[0][0] == json{{"text", "Schaden melden"}, {"callback_data", "report"}});
  CHECK(rows[0][1] == json{{"text", "Briefkasten"}, {"callback_data", "letter"}});
  CHECK(rows[1][0] == json{{"text", "Status"}, {"callback_data", "status"}});
}

TEST_CASE("telegram: a choice id over 64 bytes is mapped to its position, never dropped") {
  const std::string long_id(65, 'x');
  const std::string exactly(64, 'y');
  CHECK(tg::callbackData({exactly, "ok"}, 1) == exactly);
  CHECK(tg::callbackData({long_id, "long"}, 2) == "#2");
  bb::OutboundMessage m;
  m.text = "Kategorie?";
  m.choices = {{"cat:a", "A"}, {long_id, "Lang"}, {exactly, "Genau"}};
  const json rows =
      body(tg::renderMessage(m, "42", settings())[0])["reply_markup"]["inline_keyboard"];
  CHECK(rows[0][1]["callback_data"] == "#2");
  CHECK(rows[1][0]["callback_data"] == exactly);
  for (const auto& row : rows) {
    for (const auto& button : row) {
      CHECK(button["callback_data"].get<std::string>().size() <= tg::kMaxCallbackData);
    }
  }
  // And back: the tap on "#2" is the choice "#2", which the engine maps to the 2nd choice
  // offered (a typed "2" is text on Telegram: its choices are buttons, never numbered).
  auto tap = tg::parseUpdate(R"({"update_id": 1, "callback_query": {"id": "q", "chat_instance": "c",
    "from": {"id": 42, "is_bot": false, "first_name": "A"}, "data": "#2"}})");
  REQUIRE(tap.has_value());
  REQUIRE(tap->events.size() == 1);
  CHECK(tap->events[0].kind == bb::InboundKind::Choice);
  CHECK(tap->events[0].choice_id == "#2");
}

TEST_CASE("telegram: request_location is a one-time reply keyboard with a location button") {
  bb::OutboundMessage m;
  m.text = "Wo ist der Schaden?";
  m.request_location = true;
  const auto calls = tg::renderMessage(m, "42", settings());
  REQUIRE(calls.size() == 1);
  const json b = body(calls[0]);
  CHECK(b["text"] == "Wo ist der Schaden?");
  const json& kb = b["reply_markup"];
  CHECK(kb["one_time_keyboard"] == true);
  CHECK(kb["resize_keyboard"] == true);
  REQUIRE(kb["keyboard"].size() == 1);
  CHECK(kb["keyboard"][0][0]["request_location"] == true);
  CHECK_FALSE(kb["keyboard"][0][0]["text"].get<std::string>().empty());

  SUBCASE("with choices too: the choices message first, then the location keyboard") {
    m.choices = {{"menu", "Menü"}};
    const auto both = tg::renderMessage(m, "42", settings());
    REQUIRE(both.size() == 2);
    CHECK(body(both[0])["reply_markup"].contains("inline_keyboard"));
    CHECK(body(both[0])["text"] == "Wo ist der Schaden?");
    CHECK(body(both[1])["reply_markup"]["keyboard"][0][0]["request_location"] == true);
    CHECK_FALSE(body(both[1])["text"].get<std::string>().empty());
  }
}

TEST_CASE("telegram: text over 4096 characters is split, the keyboard rides on the last part") {
  bb::OutboundMessage m;
  std::string text;
  while (text.size() < 9000) { text += "Straßenschäden werden geprüft. "; }
  m.text = text;
  m.choices = {{"menu", "Menü"}};
  const auto calls = tg::renderMessage(m, "42", settings());
  REQUIRE(calls.size() >= 3);  // about 8200 characters
  std::string joined;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const json b = body(calls[i]);
    const std::string t = b["text"];
    CHECK(t.size() <= 4096 * 3);
    joined += t;
    CHECK(b.contains("reply_markup") == (i + 1 == calls.size()));
  }
  CHECK(joined.size() <= text.size());
  CHECK(joined.size() + 10 >= text.size());  // at most the split spaces are gone
}

TEST_CASE("telegram: follow links are appended to the text") {
  bb::OutboundMessage m;
  m.text = "Ticket 4711";
  m.follow_url = "https://stadt.example/f/abc";
  CHECK(body(tg::renderMessage(m, "42", settings())[0])["text"] ==
        "Ticket 4711\nhttps://stadt.example/f/abc");
}

TEST_CASE("telegram: answerCallbackQuery, getFile, download, getUpdates and setWebhook calls") {
  const auto answer = tg::answerCallbackCall("4253940502126176688", settings());
  CHECK(answer.url == "http://tg.test/bot123456:ABC-token/answerCallbackQuery");
  CHECK(body(answer) == json{{"callback_query_id", "4253940502126176688"}});

  const auto get_file = tg::getFileCall("AgACAgIAAx", settings());
  CHECK(get_file.url == "http://tg.test/bot123456:ABC-token/getFile");
  CHECK(body(get_file) == json{{"file_id", "AgACAgIAAx"}});

  auto path = tg::parseFilePath(reply(200, R"({"ok":true,"result":{"file_id":"x",
    "file_unique_id":"u","file_size":80655,"file_path":"photos/file_12.jpg"}})"));
  REQUIRE(path.has_value());
  CHECK(*path == "photos/file_12.jpg");
  const auto download = tg::fileDownloadCall(*path, settings());
  CHECK(download.method == "GET");
  CHECK(download.url == "http://tg.test/file/bot123456:ABC-token/photos/file_12.jpg");
  CHECK(download.max_response_bytes == 20 * 1024 * 1024);

  CHECK(tg::parseFilePath(
            reply(200, R"({"ok":true,"result":{"file_id":"x","file_size":30000000}})"))
            .error()
            .code == bb::ErrorCode::TooLarge);
  CHECK_FALSE(tg::parseFilePath(reply(200, R"({"ok":true,"result":{"file_id":"x"}})")).has_value());
  CHECK_FALSE(tg::parseFilePath(reply(200, R"({"ok":true,"result":{"file_path":"../etc/x"}})"))
                  .has_value());
  CHECK_FALSE(tg::parseFilePath(reply(400, R"({"ok":false,"error_code":400})")).has_value());

  const auto poll = tg::getUpdatesCall(834488324, 25, settings());
  CHECK(poll.url == "http://tg.test/bot123456:ABC-token/getUpdates");
  const json pb = body(poll);
  CHECK(pb["offset"] == 834488324);
  CHECK(pb["timeout"] == 25);
  CHECK(pb["allowed_updates"] ==
        json::array({"message", "edited_message", "callback_query", "my_chat_member"}));
  CHECK(poll.timeout > std::chrono::seconds(25));
  CHECK_FALSE(body(tg::getUpdatesCall(0, 0, settings())).contains("offset"));

  const auto hook = tg::setWebhookCall("https://stadt.example/webhooks/telegram", settings());
  CHECK(hook.url == "http://tg.test/bot123456:ABC-token/setWebhook");
  const json hb = body(hook);
  CHECK(hb["url"] == "https://stadt.example/webhooks/telegram");
  CHECK(hb["secret_token"] == "hook_secret-1");
  CHECK(hb["allowed_updates"].size() == 4);
  CHECK(tg::deleteWebhookCall(settings()).url ==
        "http://tg.test/bot123456:ABC-token/deleteWebhook");
}

TEST_CASE("telegram: replies classify as sent, rate limited, unreachable, retry or permanent") {
  using Kind = tg::SendOutcome::Kind;
  const auto sent = tg::classifyReply(reply(200, R"({"ok":true,"result":{"message_id":1503,
    "chat":{"id":42,"type":"private"},"date":1,"text":"x"}})"));
  CHECK(sent.kind == Kind::Sent);
  CHECK(sent.message_id == "1503");
  CHECK(tg::classifyReply(reply(200, R"({"ok":true,"result":true})")).kind == Kind::Sent);

  const auto flood = tg::classifyReply(reply(429, R"({"ok":false,"error_code":429,
    "description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}})"));
  CHECK(flood.kind == Kind::RateLimited);
  CHECK(flood.retry_after == std::chrono::seconds(5));
  CHECK(flood.error_code == "http_429");

  for (const char* text : {"Forbidden: bot was blocked by the user",
                           "Forbidden: user is deactivated",
                           "Forbidden: bot was kicked from the group chat"}) {
    const auto gone = tg::classifyReply(
        reply(403, json{{"ok", false}, {"error_code", 403}, {"description", text}}.dump()));
    CHECK(gone.kind == Kind::Unreachable);
    CHECK(gone.error_code == "http_403");  // never the description
  }
  CHECK(tg::classifyReply(reply(400, R"({"ok":false,"error_code":400,
    "description":"Bad Request: chat not found"})")).kind == Kind::Unreachable);
  CHECK(tg::classifyReply(reply(400, R"({"ok":false,"error_code":400,
    "description":"Bad Request: message text is empty"})")).kind == Kind::Permanent);
  CHECK(tg::classifyReply(reply(401, R"({"ok":false,"error_code":401,
    "description":"Unauthorized"})")).kind == Kind::Permanent);
  CHECK(tg::classifyReply(reply(502, "<html>Bad Gateway</html>")).kind == Kind::Retry);
  CHECK(tg::classifyReply(reply(500, R"({"message":"API method 'x' is not supported"})")).kind ==
        Kind::Retry);
  CHECK(tg::classifyReply(reply(200, "<html>")).kind == Kind::Retry);
  CHECK(tg::classifyReply(bb::HttpReply{}).kind == Kind::Retry);
  CHECK(tg::classifyReply(bb::HttpReply{}).error_code == "transport");
}
