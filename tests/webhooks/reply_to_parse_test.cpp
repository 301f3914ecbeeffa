// The channel's own reply to one of our messages: each adapter reads the id of the answered
// message into InboundEvent::reply_to (WhatsApp context.id, Telegram reply_to_message, Matrix
// m.relates_to → m.in_reply_to), so the engine can route the answer to that message's ticket.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "webhooks/matrix/matrix.hpp"
#include "webhooks/telegram/telegram.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

using nlohmann::json;

namespace {

std::string whatsappText(const json& extra) {
  json message = {{"from", "4915112345678"},
                  {"id", "wamid.citizen-1"},
                  {"timestamp", "1750025136"},
                  {"type", "text"},
                  {"text", {{"body", "Genau vor der Apotheke"}}}};
  message.update(extra);
  return json{{"object", "whatsapp_business_account"},
              {"entry",
               {{{"id", "1"},
                 {"changes",
                  {{{"field", "messages"},
                    {"value",
                     {{"messaging_product", "whatsapp"},
                      {"metadata", {{"phone_number_id", "1"}}},
                      {"messages", {message}}}}}}}}}}}
      .dump();
}

std::string telegramText(const json& extra) {
  json message = {{"message_id", 77},
                  {"date", 1750025136},
                  {"chat", {{"id", 4242}, {"type", "private"}}},
                  {"from", {{"id", 4242}, {"is_bot", false}}},
                  {"text", "Genau vor der Apotheke"}};
  message.update(extra);
  return json{{"update_id", 9001}, {"message", message}}.dump();
}

std::string matrixText(const json& content) {
  json event = {{"type", "m.room.message"},       {"content", content},
                {"sender", "@anna:example.org"},  {"event_id", "$citizen1:example.org"},
                {"room_id", "!room:example.org"}, {"origin_server_ts", 1750025136000}};
  return json{{"events", json::array({event})}}.dump();
}

}  // namespace

TEST_CASE("whatsapp: a reply's context.id is the answered message – none without context") {
  auto quoted = bb::webhooks::whatsapp::parseWebhook(
      whatsappText({{"context", {{"from", "4915000000"}, {"id", "wamid.ours-42"}}}}));
  REQUIRE(quoted);
  REQUIRE(quoted->events.size() == 1);
  CHECK(quoted->events[0].reply_to == "wamid.ours-42");
  CHECK(quoted->events[0].text == "Genau vor der Apotheke");
  auto plain = bb::webhooks::whatsapp::parseWebhook(whatsappText(json::object()));
  REQUIRE(plain);
  REQUIRE(plain->events.size() == 1);
  CHECK(plain->events[0].reply_to.empty());
}

TEST_CASE("telegram: reply_to_message names the answered message – none without it") {
  auto quoted = bb::webhooks::telegram::parseUpdate(
      telegramText({{"reply_to_message", {{"message_id", 555}, {"date", 1750025000}}}}));
  REQUIRE(quoted);
  REQUIRE(quoted->events.size() == 1);
  CHECK(quoted->events[0].reply_to == "555");
  auto plain = bb::webhooks::telegram::parseUpdate(telegramText(json::object()));
  REQUIRE(plain);
  REQUIRE(plain->events.size() == 1);
  CHECK(plain->events[0].reply_to.empty());
}

TEST_CASE("matrix: m.in_reply_to names the answered event and the fallback quote is dropped") {
  auto quoted = bb::webhooks::matrix::parseTransaction(
      matrixText({{"msgtype", "m.text"},
                  {"body", "> <@bot:example.org> Wo genau?\n\nGenau vor der Apotheke"},
                  {"m.relates_to", {{"m.in_reply_to", {{"event_id", "$ours42:example.org"}}}}}}),
      "@bot:example.org");
  REQUIRE(quoted);
  REQUIRE(quoted->events.size() == 1);
  CHECK(quoted->events[0].reply_to == "$ours42:example.org");
  CHECK(quoted->events[0].text == "Genau vor der Apotheke");
  auto plain = bb::webhooks::matrix::parseTransaction(
      matrixText({{"msgtype", "m.text"}, {"body", "Hallo"}}), "@bot:example.org");
  REQUIRE(plain);
  REQUIRE(plain->events.size() == 1);
  CHECK(plain->events[0].reply_to.empty());
}
