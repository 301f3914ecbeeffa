// WhatsApp outbound rendering: every case validates against Meta's OpenAPI description of the
// send-message request (tests/fixtures/whatsapp/openapi_send_message_v23.json).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/openapi_validator.hpp"
#include "webhooks/whatsapp/text_limits.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace wa = bb::webhooks::whatsapp;
namespace openapi = bb::tests::openapi;
using nlohmann::json;

namespace {

constexpr const char* kMessageRef = "#/components/schemas/Message";
const std::string kTo = "4915112345678";

std::string fixturePath(const std::string& name) {
  return std::string(BB_FIXTURE_DIR) + "/whatsapp/" + name;
}

json loadFixture(const std::string& name) {
  json j = openapi::loadJsonFile(fixturePath(name));
  REQUIRE_MESSAGE(!j.is_discarded(), "missing or broken fixture " << name);
  return j;
}

//! Meta's schemas plus the documented location_request_message (absent from v23.0).
const json& schemas() {
  static const json doc = [] {
    json d = loadFixture("openapi_send_message_v23.json");
    const json addition = loadFixture("openapi_location_request_addition.json");
    json& s = d["components"]["schemas"];
    s["InteractiveObject"]["properties"]["type"]["enum"].push_back(addition["interactive_type"]);
    s["ActionObject"]["oneOf"].push_back(addition["action_branch"]);
    return d;
  }();
  return doc;
}

wa::Settings settings() {
  wa::Settings s;
  s.api_base = "http://127.0.0.1:8089/v23.0/";
  s.phone_number_id = "106540352242922";
  s.access_token = "EAAtoken";
  return s;
}

//! Checks the call envelope and that the body validates; returns the parsed body.
json checkCall(const bb::HttpCall& call) {
  CHECK(call.method == "POST");
  CHECK(call.url == "http://127.0.0.1:8089/v23.0/106540352242922/messages");
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer EAAtoken"}, {"Content-Type", "application/json"}};
  CHECK(call.headers == headers);
  const json body = json::parse(call.body, nullptr, false);
  REQUIRE(body.is_object());
  const std::vector<std::string> errors = openapi::validate(schemas(), body, kMessageRef);
  for (const std::string& e : errors) { FAIL_CHECK("schema violation: " << e); }
  CHECK(body["to"] == kTo);
  return body;
}

std::vector<json> render(const bb::OutboundMessage& m) {
  std::vector<json> bodies;
  for (const bb::HttpCall& call : wa::renderMessage(m, kTo, settings())) {
    bodies.push_back(checkCall(call));
  }
  return bodies;
}

std::vector<bb::Choice> choices(std::size_t n, const std::string& prefix = "Option ") {
  std::vector<bb::Choice> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({"id_" + std::to_string(i), prefix + std::to_string(i)});
  }
  return out;
}

std::vector<std::string> rowIds(const json& body) {
  std::vector<std::string> ids;
  for (const json& row : body["interactive"]["action"]["sections"][0]["rows"]) {
    ids.push_back(row["id"].get<std::string>());
  }
  return ids;
}

std::string words(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) { out += "Wort" + std::to_string(i % 10) + " "; }
  out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("whatsapp: plain text renders like Meta's example request") {
  bb::OutboundMessage m;
  m.text =
      "As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/";
  const auto calls = wa::renderMessage(m, "+16505551234", settings());
  REQUIRE(calls.size() == 1);
  json body = json::parse(calls[0].body);
  CHECK(body["text"]["preview_url"] == false);  // no link previews of citizens' links
  body["text"]["preview_url"] = true;
  CHECK(body == loadFixture("send_text_request.json"));
  CHECK(openapi::validate(schemas(), body, kMessageRef).empty());
}

TEST_CASE("whatsapp: long text is split at word boundaries into ≤4096-character messages") {
  bb::OutboundMessage m;
  m.text = words(1500);  // 8999 characters
  const auto bodies = render(m);
  REQUIRE(bodies.size() == 3);
  std::string joined;
  for (const json& b : bodies) {
    const std::string piece = b["text"]["body"];
    CHECK(wa::text::units(piece) <= 4096);
    CHECK(piece.front() != ' ');
    CHECK(piece.back() != ' ');
    joined += (joined.empty() ? "" : " ") + piece;
  }
  CHECK(joined == m.text);
}

TEST_CASE("whatsapp: up to three short choices become reply buttons") {
  bb::OutboundMessage m;
  m.text = "Ist das richtig?";
  m.choices = {{"confirm:4711", "Ja"}, {"edit:4711", "Ändern"}, {"cancel:4711", "Abbrechen"}};
  const auto bodies = render(m);
  REQUIRE(bodies.size() == 1);
  const json& inter = bodies[0]["interactive"];
  CHECK(inter["type"] == "button");
  CHECK(inter["body"]["text"] == "Ist das richtig?");
  REQUIRE(inter["action"]["buttons"].size() == 3);
  CHECK(inter["action"]["buttons"][1] ==
        json{{"type", "reply"}, {"reply", {{"id", "edit:4711"}, {"title", "Ändern"}}}});
  SUBCASE("twenty umlauts still fit a button title (characters, not bytes)") {
    std::string umlauts;
    for (int i = 0; i < 20; ++i) { umlauts += "\xC3\xA4"; }
    m.choices = {{"a", umlauts}};
    const auto b = render(m);
    REQUIRE(b.size() == 1);
    CHECK(b[0]["interactive"]["type"] == "button");
  }
}

TEST_CASE("whatsapp: more choices, long or duplicate titles become a list") {
  bb::OutboundMessage m;
  m.text = "Welche Kategorie?";
  SUBCASE("four choices") {
    m.choices = choices(4);
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0]["interactive"]["type"] == "list");
    CHECK(bodies[0]["interactive"]["action"]["button"] == "Auswählen");
    CHECK(rowIds(bodies[0]) == std::vector<std::string>{"id_0", "id_1", "id_2", "id_3"});
  }
  SUBCASE("a title over 20 characters: list row, shortened to 24 with the full text below") {
    m.choices = {{"street_light", "Straßenbeleuchtung defekt oder ausgefallen"},
                 {"other", "Sonstiges"}};
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    const json& row = bodies[0]["interactive"]["action"]["sections"][0]["rows"][0];
    CHECK(row["id"] == "street_light");
    CHECK(row["title"] == "Straßenbeleuchtung defe…");
    CHECK(row["description"] == "Straßenbeleuchtung defekt oder ausgefallen");
  }
  SUBCASE("emoji count double: eleven emoji exceed a 20-unit button title") {
    std::string cones;
    for (int i = 0; i < 11; ++i) { cones += "\xF0\x9F\x9A\xA7"; }
    m.choices = {{"works", cones}};
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0]["interactive"]["type"] == "list");
  }
  SUBCASE("duplicate titles") {
    m.choices = {{"a", "Ja"}, {"b", "Ja"}};
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0]["interactive"]["type"] == "list");
  }
}

TEST_CASE("whatsapp: more than ten choices are split across list messages, never dropped") {
  bb::OutboundMessage m;
  m.text = "Welcher Stadtteil?";
  m.choices = choices(23, "Stadtteil ");
  const auto bodies = render(m);
  REQUIRE(bodies.size() == 3);
  std::vector<std::string> all;
  for (const json& b : bodies) {
    CHECK(b["interactive"]["type"] == "list");
    const auto ids = rowIds(b);
    CHECK(ids.size() <= 10);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  CHECK(all.size() == 23);
  for (std::size_t i = 0; i < all.size(); ++i) { CHECK(all[i] == "id_" + std::to_string(i)); }
  CHECK(bodies[0]["interactive"]["body"]["text"] == "Welcher Stadtteil?");
  CHECK(bodies[1]["interactive"]["body"]["text"] == "(2/3)");
  CHECK(bodies[2]["interactive"]["body"]["text"] == "(3/3)");
}

TEST_CASE("whatsapp: a location request renders as location_request_message") {
  bb::OutboundMessage m;
  m.text = "Wo ist der Schaden? Bitte teilen Sie den Standort.";
  m.request_location = true;
  SUBCASE("alone") {
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0]["interactive"] == json{{"type", "location_request_message"},
                                           {"body", {{"text", m.text}}},
                                           {"action", {{"name", "send_location"}}}});
  }
  SUBCASE("with choices: the choices carry the text, the location request follows") {
    m.choices = {{"skip", "Überspringen"}};
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 2);
    CHECK(bodies[0]["interactive"]["type"] == "button");
    CHECK(bodies[0]["interactive"]["body"]["text"] == m.text);
    CHECK(bodies[1]["interactive"]["type"] == "location_request_message");
  }
}

TEST_CASE("whatsapp: interactive bodies over 1024 characters lead with text messages") {
  bb::OutboundMessage m;
  m.choices = choices(2);
  std::size_t min_body = 0;
  SUBCASE("1799 characters: one text, then as much as fits into the interactive body") {
    m.text = words(300);
    min_body = 900;
  }
  SUBCASE("4199 characters: the first 4096 as text, the rest in the interactive body") {
    m.text = words(700);
    min_body = 1;
  }
  const auto bodies = render(m);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0]["type"] == "text");
  const std::string lead = bodies[0]["text"]["body"];
  const std::string last = bodies[1]["interactive"]["body"]["text"];
  CHECK(bodies[1]["interactive"]["type"] == "button");
  CHECK(wa::text::units(last) <= 1024);
  CHECK(wa::text::units(last) >= min_body);
  CHECK(lead + " " + last == m.text);
}

TEST_CASE("whatsapp: a template renders with body parameters and the configured language") {
  bb::OutboundMessage m;
  m.text = "not sent with the template";
  m.template_name = "buergerbox_update";
  m.template_params = {"M-4711", "Zeile 1\nZeile 2\t     Ende", ""};
  const auto bodies = render(m);
  REQUIRE(bodies.size() == 1);
  CHECK(bodies[0]["type"] == "template");
  const json expected = {
      {"name", "buergerbox_update"},
      {"language", {{"policy", "deterministic"}, {"code", "de"}}},
      {"components",
       {{{"type", "body"},
         {"parameters",
          {{{"type", "text"}, {"text", "M-4711"}},
           {{"type", "text"}, {"text", "Zeile 1 Zeile 2 Ende"}},
           {{"type", "text"}, {"text", "-"}}}}}}}};
  CHECK(bodies[0]["template"] == expected);
  CHECK(bodies[0].find("text") == bodies[0].end());
}

TEST_CASE("whatsapp: edge cases of rendering") {
  bb::OutboundMessage m;
  SUBCASE("nothing to send renders nothing") {
    CHECK(wa::renderMessage(m, kTo, settings()).empty());
  }
  SUBCASE("choices without text get a placeholder body") {
    m.choices = choices(2);
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK_FALSE(bodies[0]["interactive"]["body"]["text"].get<std::string>().empty());
  }
  SUBCASE("invalid UTF-8 is replaced, not thrown") {
    m.text = "kaputt \xFF\xFE text";
    const auto bodies = render(m);
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0]["text"]["body"] == "kaputt \xEF\xBF\xBD\xEF\xBF\xBD text");
  }
}

TEST_CASE("whatsapp: the validator accepts Meta's own examples and rejects broken bodies") {
  const json doc = loadFixture("openapi_send_message_v23.json");
  const json& examples = doc.at("examples");
  CHECK(openapi::validate(doc, examples.at("Send Text Message"), kMessageRef).empty());
  CHECK(openapi::validate(doc, examples.at("Send Reply Button"), kMessageRef).empty());
  CHECK(openapi::validate(doc, examples.at("Send List Message"), kMessageRef).empty());
  // Meta's own template example omits language.policy, which its schema requires.
  CHECK(openapi::validate(doc, examples.at("Send Message Template Text"), kMessageRef) ==
        std::vector<std::string>{"/template/language: missing required property policy"});

  bb::OutboundMessage m;
  m.text = "Ist das richtig?";
  m.choices = {{"yes", "Ja"}, {"no", "Nein"}};
  const json good = json::parse(wa::renderMessage(m, kTo, settings()).at(0).body);
  REQUIRE(openapi::validate(doc, good, kMessageRef).empty());
  const auto rejects = [&](const json& broken) {
    return !openapi::validate(doc, broken, kMessageRef).empty();
  };
  json four = good;
  json& buttons = four["interactive"]["action"]["buttons"];
  buttons.push_back(buttons[0]);
  buttons.push_back(buttons[0]);
  CHECK(rejects(four));  // maxItems 3
  json long_title = good;
  long_title["interactive"]["action"]["buttons"][0]["reply"]["title"] = "Einundzwanzig Zeichen";
  CHECK(rejects(long_title));  // maxLength 20
  json no_to = good;
  no_to.erase("to");
  CHECK(rejects(no_to));  // required
  json bad_type = good;
  bad_type["interactive"]["type"] = "carousel";
  CHECK(rejects(bad_type));  // enum
  json wrong_kind = good;
  wrong_kind["type"] = "fax";
  CHECK(rejects(wrong_kind));  // discriminator without a branch
  json long_body = good;
  long_body["interactive"]["body"]["text"] = std::string(1025, 'x');
  CHECK(rejects(long_body));  // maxLength 1024
  bb::OutboundMessage hallo;
  hallo.text = "Hallo";
  json extra = json::parse(wa::renderMessage(hallo, kTo, settings()).at(0).body);
  REQUIRE(openapi::validate(doc, extra, kMessageRef).empty());
  extra["text"]["font"] = "bold";
  CHECK(rejects(extra));  // additionalProperties: false
  json number_to = good;
  number_to["to"] = 4915112345678;
  CHECK(rejects(number_to));  // type
  json no_rows = good;
  no_rows["interactive"]["action"] = json{{"button", "Auswählen"}, {"sections", json::array()}};
  CHECK(rejects(no_rows));  // minItems 1 (and so no oneOf branch)
  SUBCASE("location_request_message is valid only with the documented addition") {
    bb::OutboundMessage loc;
    loc.text = "Standort?";
    loc.request_location = true;
    const json body = json::parse(wa::renderMessage(loc, kTo, settings()).at(0).body);
    CHECK_FALSE(openapi::validate(doc, body, kMessageRef).empty());
    CHECK(openapi::validate(schemas(), body, kMessageRef).empty());
  }
}

TEST_CASE("whatsapp: text limits count UTF-16 units and never cut inside a character") {
  namespace text = wa::text;
  CHECK(text::units("Stra\xC3\x9F" "e") == 6);
  CHECK(text::units("\xF0\x9F\x9A\xA7") == 2);  // outside the BMP: a surrogate pair
  CHECK(text::units("\xFF\xFE") == 2);           // stray bytes count one each
  CHECK(text::prefix("\xC3\xA4\xC3\xB6", 1) == "\xC3\xA4");
  CHECK(text::prefix("a\xF0\x9F\x9A\xA7", 2) == "a");
  CHECK(text::shorten("abcdef", 4) == "abc\xE2\x80\xA6");
  CHECK(text::shorten("abc", 3) == "abc");
  std::string umlauts;
  for (int i = 0; i < 5000; ++i) { umlauts += "\xC3\xA4"; }
  const auto pieces = text::split(umlauts, 4096);
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].size() == 2 * 4096);
  CHECK(pieces[1].size() == 2 * 904);
  CHECK(text::tailStart(umlauts, 1024) == 2 * (5000 - 1024));
  CHECK(text::tailStart("kurz", 1024) == 0);
  CHECK(text::split("", 10).empty());
  CHECK(text::split("eins zwei drei", 9) == std::vector<std::string>{"eins", "zwei drei"});
}
