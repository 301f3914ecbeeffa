// WhatsApp inbound parsing: every fixture against its golden <case>.expected.json, field by field,
// plus batching, malformed input and data minimization.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "webhooks/whatsapp/whatsapp.hpp"

namespace wa = bb::webhooks::whatsapp;
using nlohmann::json;

namespace {

std::string readFixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/whatsapp/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

wa::ParsedWebhook parseOk(const std::string& body) {
  auto parsed = wa::parseWebhook(body);
  REQUIRE(parsed.has_value());
  return std::move(parsed).value();
}

std::int64_t seconds(bb::SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

//! Kinds compare as their stable names (doctest cannot print bb's enums itself).
std::string kind(const bb::InboundEvent& e) { return bb::toString(e.kind); }

std::string str(const json& j, const char* key) { return j.at(key).get<std::string>(); }

void checkEvent(const bb::InboundEvent& e, const json& x) {
  CHECK(std::string(bb::toString(e.channel)) == "whatsapp");
  CHECK(kind(e) == str(x, "kind"));
  CHECK(e.external_id == str(x, "external_id"));
  CHECK(e.user_id == str(x, "user_id"));
  CHECK(e.chat_id == str(x, "chat_id"));
  CHECK(seconds(e.sent_at) == x.at("sent_at").get<std::int64_t>());
  CHECK(e.text == str(x, "text"));
  CHECK(e.choice_id == str(x, "choice_id"));
  CHECK(e.location_accuracy_m == 0.0);
  const json& loc = x.at("location");
  REQUIRE(e.location.has_value() == !loc.is_null());
  if (e.location) {
    CHECK(e.location->lat == doctest::Approx(loc.at("lat").get<double>()).epsilon(1e-12));
    CHECK(e.location->lon == doctest::Approx(loc.at("lon").get<double>()).epsilon(1e-12));
  }
  const json& media = x.at("media");
  REQUIRE(e.media.has_value() == !media.is_null());
  if (e.media) {
    CHECK(e.media->ref == str(media, "ref"));
    CHECK(e.media->mime_type == str(media, "mime_type"));
    CHECK(e.media->sha256 == str(media, "sha256"));
  }
  const json& delivery = x.at("delivery");
  REQUIRE(e.delivery.has_value() == !delivery.is_null());
  if (e.delivery) {
    CHECK(e.delivery->provider_message_id == str(delivery, "provider_message_id"));
    CHECK(e.delivery->status == str(delivery, "status"));
    CHECK(e.delivery->error_code == str(delivery, "error_code"));
    CHECK(e.delivery->error_title == str(delivery, "error_title"));
  }
}

const std::vector<std::string> kWebhookFixtures = {
    "text.json",
    "image.json",
    "location.json",
    "interactive_button_reply.json",
    "interactive_list_reply_SYNTHESIZED.json",
    "button_quick_reply_SYNTHESIZED.json",
    "status_sent.json",
    "status_failed.json",
    "unsupported_types_SYNTHESIZED.json",
    "value_errors_SYNTHESIZED.json",
    "batch_2x2x2_SYNTHESIZED.json",
};

}  // namespace

TEST_CASE("whatsapp: every fixture parses to its golden expectation") {
  for (const std::string& name : kWebhookFixtures) {
    CAPTURE(name);
    const wa::ParsedWebhook parsed = parseOk(readFixture(name));
    const std::string expected_name = name.substr(0, name.size() - 5) + ".expected.json";
    const json expected = json::parse(readFixture(expected_name));
    const json& events = expected.at("events");
    REQUIRE(parsed.events.size() == events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      CAPTURE(i);
      checkEvent(parsed.events[i], events[i]);
    }
    CHECK(parsed.error_codes == expected.at("error_codes").get<std::vector<std::string>>());
    CHECK(parsed.skipped == expected.at("skipped").get<std::size_t>());
  }
}

TEST_CASE("whatsapp: the fixtures' key facts, spelled out") {
  SUBCASE("text") {
    const auto p = parseOk(readFixture("text.json"));
    REQUIRE(p.events.size() == 1);
    CHECK(kind(p.events[0]) == "text");
    CHECK(p.events[0].text == "Does it come in another color?");
    CHECK(p.events[0].user_id == "16505551234");
    CHECK(seconds(p.events[0].sent_at) == 1749416383);
  }
  SUBCASE("image: media id, declared type and base64 sha256; caption as text") {
    const auto p = parseOk(readFixture("image.json"));
    REQUIRE(p.events.size() == 1);
    REQUIRE(p.events[0].media.has_value());
    CHECK(kind(p.events[0]) == "image");
    CHECK(p.events[0].media->ref == "1003383421387256");
    CHECK(p.events[0].media->sha256 == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=");
    CHECK(p.events[0].text == "Taj Mahal");
  }
  SUBCASE("interactive button reply → choice id") {
    const auto p = parseOk(readFixture("interactive_button_reply.json"));
    REQUIRE(p.events.size() == 1);
    CHECK(kind(p.events[0]) == "choice");
    CHECK(p.events[0].choice_id == "cancel-button");
  }
  SUBCASE("failed status → delivery receipt keyed by id and status") {
    const auto p = parseOk(readFixture("status_failed.json"));
    REQUIRE(p.events.size() == 1);
    REQUIRE(p.events[0].delivery.has_value());
    CHECK(kind(p.events[0]) == "delivery_status");
    CHECK(p.events[0].delivery->error_code == "131049");
    CHECK(p.events[0].external_id ==
          "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA:failed");
  }
}

TEST_CASE("whatsapp: 2 entries x 2 changes x 2 messages give 8 events in payload order") {
  const auto p = parseOk(readFixture("batch_2x2x2_SYNTHESIZED.json"));
  REQUIRE(p.events.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(p.events[i].external_id == "wamid.BATCH" + std::to_string(i));
  }
  CHECK(p.events[0].text == "Schlagloch in der Hauptstra\xC3\x9F" "e");
}

TEST_CASE("whatsapp: contact profile names are not read into any event") {
  for (const std::string& name : kWebhookFixtures) {
    CAPTURE(name);
    for (const bb::InboundEvent& e : parseOk(readFixture(name)).events) {
      for (const std::string* field : {&e.external_id, &e.user_id, &e.chat_id, &e.text,
                                       &e.choice_id}) {
        CHECK(field->find("Sheena") == std::string::npos);
      }
    }
  }
}

TEST_CASE("whatsapp: malformed or hostile bodies are InvalidInput, never exceptions") {
  const auto invalid = [](const std::string& body) {
    const auto r = wa::parseWebhook(body);
    return !r.has_value() && r.error().code == bb::ErrorCode::InvalidInput;
  };
  CHECK(invalid(""));
  CHECK(invalid("{"));
  CHECK(invalid("not json"));
  CHECK(invalid("[]"));
  CHECK(invalid("\"whatsapp_business_account\""));
  CHECK(invalid("{\"object\":\"whatsapp_business_account\"}"));           // no entry
  CHECK(invalid("{\"object\":\"whatsapp_business_account\",\"entry\":{}}"));
  CHECK(invalid("{\"entry\":[{\"changes\":[{\"value\":{\"x\":\"\xFF\"}}]}]}"));  // bad UTF-8
  CHECK(invalid("{\"entry\":[]} trailing"));

  SUBCASE("nesting is bounded at 64 levels") {
    const auto nested = [](std::size_t depth) {
      // {"entry":[] , "x": [[[...]]]} with `depth` levels in total
      return "{\"entry\":[],\"x\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
             "}";
    };
    CHECK(wa::parseWebhook(nested(64)).has_value());
    CHECK(invalid(nested(65)));
    CHECK(invalid(std::string(100000, '[') + std::string(100000, ']')));
    CHECK(wa::parseWebhook("{\"entry\":[],\"s\":\"" + std::string(200, '[') + "\"}").has_value());
  }
  SUBCASE("every truncation of every fixture is handled without throwing") {
    for (const std::string& name : kWebhookFixtures) {
      const std::string body = readFixture(name);
      for (std::size_t n = 0; n < body.size(); n += 7) {
        CHECK_NOTHROW((void)wa::parseWebhook(std::string_view(body).substr(0, n)));
      }
    }
  }
}

TEST_CASE("whatsapp: unknown fields are ignored and broken items skipped") {
  SUBCASE("another Graph product's notification yields nothing") {
    const auto p = parseOk("{\"object\":\"page\",\"entry\":[{\"changes\":[]}]}");
    CHECK(p.events.empty());
  }
  SUBCASE("wrongly typed members and missing ids") {
    const std::string body = R"({"object":"whatsapp_business_account","future":{"a":1},"entry":[
      7, {"changes": "x"}, {"changes":[null, {"field":"messages","value":[]},
        {"field":"messages","value":{"messages":[
          {"from":"491511","type":"text","text":{"body":"no id"}},
          {"id":"wamid.A","type":"text","text":{"body":"no sender"}},
          {"id":"wamid.B","from":"491511","timestamp":"x17","type":"text","text":{"body":"ok"},
           "new_field":[1,2,3]},
          {"id":"wamid.C","from":"491511","timestamp":1750000000,"type":"text","text":"flat"}],
         "statuses":[{"status":"read"},{"id":"wamid.D","status":"read","timestamp":"1750000001",
           "errors":"none"}]}}]}]})";
    const auto p = parseOk(body);
    REQUIRE(p.events.size() == 3);
    CHECK(p.skipped == 3);
    CHECK(p.events[0].external_id == "wamid.B");
    CHECK(p.events[0].text == "ok");
    CHECK(seconds(p.events[0].sent_at) == 0);  // unparsable timestamp → unknown
    CHECK(kind(p.events[1]) == "unsupported");
    CHECK(seconds(p.events[1].sent_at) == 1750000000);
    CHECK(p.events[2].external_id == "wamid.D:read");
    CHECK(p.events[2].delivery->error_code.empty());
  }
  SUBCASE("out-of-range coordinates are not a location") {
    const auto p = parseOk(R"({"entry":[{"changes":[{"field":"messages","value":{"messages":[
      {"id":"w1","from":"4915","type":"location",
       "location":{"latitude":91.0,"longitude":0}}]}}]}]})");
    REQUIRE(p.events.size() == 1);
    CHECK(kind(p.events[0]) == "unsupported");
    CHECK_FALSE(p.events[0].location.has_value());
  }
}
