// The OParl wire parser (bot/oparl/parse.*) on its own: the fixtures of the poller test
// (tests/fixtures/oparl) read into typed structs, the quirks of real servers, and hostile input —
// invalid JSON, wrong types in every field, oversized and deeply nested documents.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "bot/oparl/parse.hpp"
#include "bot/text/utf8.hpp"

namespace {

using bb::ErrorCode;
using namespace bb::oparl;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/oparl/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kBase = "https://oparl.example.org";

}  // namespace

TEST_CASE("oparl parse: a meeting page with links.next, typed meetings and agenda items") {
  const auto page = parseMeetingPage(fixture("meetings-1.json"));
  REQUIRE(page.has_value());
  CHECK_FALSE(page->empty);
  CHECK_FALSE(page->sanitized);
  CHECK(page->next == kBase + "/body/0/meetings?page=2");
  REQUIRE(page->meetings.size() == 1);
  const Meeting& m = page->meetings[0];
  CHECK(m.id == kBase + "/meeting/281");
  CHECK_FALSE(m.deleted);
  CHECK(m.name == "4. Sitzung des Finanzausschusses");
  CHECK(m.start == "2013-01-04T08:00:00+01:00");
  REQUIRE(m.start_time.has_value());
  CHECK(*m.start_time == bb::SysTime(std::chrono::seconds(1357282800)));  // 07:00 UTC
  CHECK(m.date == "04.01.2013");
  CHECK_FALSE(m.cancelled);
  CHECK(m.organizations == std::vector<std::string>{kBase + "/organization/34"});
  CHECK(m.results_protocol);
  REQUIRE(m.agenda.size() == 1);
  const AgendaItem& item = m.agenda[0];
  CHECK(item.id == kBase + "/agendaitem/3271");
  CHECK(item.number == "10.1");
  CHECK(item.name == "Satzungsänderung für Ausschreibungen");
  CHECK(item.is_public);
  CHECK_FALSE(item.deleted);
  CHECK(item.result == "Geändert beschlossen");
  CHECK(item.resolution_text.rfind("Der Beschluss weicht", 0) == 0);
}

TEST_CASE("oparl parse: the update pages: states, cancelled, non-public, control characters") {
  const auto first = parseMeetingPage(fixture("meetings-update-1.json"));
  REQUIRE(first.has_value());
  CHECK(first->next == kBase + "/body/0/meetings?modified_since=SINCE&page=2");
  REQUIRE(first->meetings.size() == 3);
  CHECK(first->meetings[0].agenda.size() == 2);
  CHECK(first->meetings[1].meeting_state == "eingeladen");
  REQUIRE(first->meetings[1].agenda.size() == 2);
  CHECK_FALSE(first->meetings[1].agenda[1].is_public);
  CHECK(first->meetings[1].agenda[1].result == "Beschlossen");
  CHECK(first->meetings[2].cancelled);
  CHECK_FALSE(first->meetings[2].results_protocol);

  // A raw U+000B inside resolutionText: parsed after escaping, and cleaned to a space.
  const auto second = parseMeetingPage(fixture("meetings-update-2.json"));
  REQUIRE(second.has_value());
  CHECK(second->sanitized);
  CHECK(second->next.empty());  // "links": {}
  REQUIRE(second->meetings.size() == 1);
  CHECK(second->meetings[0].meeting_state == "durchgeführt");
  CHECK(second->meetings[0].results_protocol);
  REQUIRE(second->meetings[0].agenda.size() == 1);
  CHECK(second->meetings[0].agenda[0].resolution_text ==
        "Der Bebauungsplan wird als Satzung beschlossen. Die Begründung wird gebilligt.");

  const auto withdrawn = parseMeetingPage(fixture("meetings-update-3.json"));
  REQUIRE(withdrawn.has_value());
  REQUIRE(withdrawn->meetings.size() == 3);
  CHECK_FALSE(withdrawn->meetings[0].deleted);
  CHECK(withdrawn->meetings[1].deleted);
  CHECK(withdrawn->meetings[1].id == kBase + "/meeting/285");
  CHECK(withdrawn->meetings[1].name.empty());
  CHECK(withdrawn->meetings[1].date == "-");
  CHECK(withdrawn->meetings[2].deleted);

  const auto raw = parseMeetingPage(fixture("meetings-2.json"));  // raw U+0001 in a name
  REQUIRE(raw.has_value());
  CHECK(raw->sanitized);
  REQUIRE(raw->meetings.size() == 1);
  REQUIRE(raw->meetings[0].agenda.size() == 1);
  CHECK(raw->meetings[0].agenda[0].name == "Haushalts satzung 2027");
}

TEST_CASE("oparl parse: list shapes — bare array, [], data as one object, other values") {
  const auto empty = parseMeetingPage("[]");
  REQUIRE(empty.has_value());
  CHECK(empty->empty);
  CHECK(empty->meetings.empty());

  const auto spaced = parseMeetingPage(" [ ]\n");
  REQUIRE(spaced.has_value());
  CHECK(spaced->empty);

  const auto bare = parseMeetingPage(R"([{"id":"m1"}, 7, "x", null, [], {"id":"m2"}])");
  REQUIRE(bare.has_value());
  CHECK_FALSE(bare->empty);
  REQUIRE(bare->meetings.size() == 2);  // only the objects
  CHECK(bare->meetings[0].id == "m1");
  CHECK(bare->meetings[1].id == "m2");
  CHECK(bare->next.empty());

  const auto single = parseMeetingPage(R"({"data":{"id":"m3"},"links":{"next":"n"}})");
  REQUIRE(single.has_value());
  REQUIRE(single->meetings.size() == 1);
  CHECK(single->meetings[0].id == "m3");
  CHECK(single->next == "n");

  // The SD.NET 404 body, a plain value, an object without data: pages without meetings.
  for (const std::string& body : {fixture("empty-404.json"), std::string("42"), std::string("\"s\""),
                                 std::string("null"), std::string("{}"),
                                 std::string(R"({"data":[],"links":{"next":""}})")}) {
    INFO(body);
    const auto page = parseMeetingPage(body);
    REQUIRE(page.has_value());
    CHECK_FALSE(page->empty);
    CHECK(page->meetings.empty());
    CHECK(page->next.empty());
  }
}

TEST_CASE("oparl parse: entry points and Body lists (also a single Body instead of a list)") {
  const auto system = parseEntry(fixture("system.json"));
  REQUIRE(system.has_value());
  CHECK(system->kind == Entry::Kind::System);
  CHECK(system->id == kBase + "/");
  CHECK(system->body_list == kBase + "/bodies");

  const auto bodies = parseBodyPage(fixture("bodies.json"));
  REQUIRE(bodies.has_value());
  REQUIRE(bodies->bodies.size() == 1);
  CHECK(bodies->bodies[0].id == kBase + "/body/0");
  CHECK(bodies->bodies[0].meeting_list == kBase + "/body/0/meetings");

  // SD.NET RIM: the Body list answered with the Body itself; and a Body as the entry point.
  const std::string body =
      R"({"id":"b1","type":"https://schema.oparl.org/1.0/Body","meeting":"https://x/m"})";
  const auto lone = parseBodyPage(body);
  REQUIRE(lone.has_value());
  REQUIRE(lone->bodies.size() == 1);
  CHECK(lone->bodies[0].meeting_list == "https://x/m");
  const auto entry = parseEntry(body);
  REQUIRE(entry.has_value());
  CHECK(entry->kind == Entry::Kind::Body);
  CHECK(entry->meeting_list == "https://x/m");

  const auto list = parseBodyPage(R"([{"id":"a"},1,{"id":"b","meeting":"m"}])");
  REQUIRE(list.has_value());
  REQUIRE(list->bodies.size() == 2);
  CHECK(list->bodies[1].meeting_list == "m");
  CHECK(parseBodyPage("[]")->empty);

  const auto other = parseEntry(R"({"type":"https://schema.oparl.org/1.1/Paper"})");
  REQUIRE(other.has_value());
  CHECK(other->kind == Entry::Kind::Other);
  const auto notObject = parseEntry("[]");
  REQUIRE_FALSE(notObject.has_value());
  CHECK(notObject.error().code == ErrorCode::InvalidInput);
}

TEST_CASE("oparl parse: \"N/A\", blanks and control characters are cleaned from text fields") {
  const auto m = parseMeeting(
      "{\"id\":\"m\",\"name\":\"  N/A \",\"agendaItem\":{\"id\":\"a\",\"public\":true,"
      "\"number\":\"\\t3\\r\\n\",\"name\":\"A\\u0000B\",\"result\":\"N/A\","
      "\"resolutionText\":\"\\n\\n\"}}");
  REQUIRE(m.has_value());
  CHECK(m->name.empty());
  REQUIRE(m->agenda.size() == 1);  // a single object instead of a list
  CHECK(m->agenda[0].number == "3");
  CHECK(m->agenda[0].name == "A B");
  CHECK(m->agenda[0].result.empty());
  CHECK(m->agenda[0].resolution_text.empty());
  CHECK(bb::ellipsize("äöü", 2) == "äö…");
  CHECK(bb::ellipsize("äöü", 3) == "äöü");
}

TEST_CASE("oparl parse: wrong types in every field are absent values, never errors") {
  // Every field the parser reads, with every JSON type (strings are wrong for the flags, all
  // others for the text fields).
  for (const std::string value : {"null", "true", "false", "0", "-1", "1.5e308", "\"\"", "[]",
                                  "[1,2]", "{}", "{\"a\":1}"}) {
    INFO(value);
    std::string meeting = "{";
    for (const char* key : {"id", "deleted", "name", "start", "web", "cancelled", "meetingState",
                            "organization", "resultsProtocol"}) {
      meeting += std::string("\"") + key + "\":" + value + ",";
    }
    std::string item = "{";
    for (const char* key : {"id", "deleted", "public", "result", "resolutionText", "number",
                            "name", "web"}) {
      item += std::string("\"") + key + "\":" + value + ",";
    }
    item += "\"x\":0}";
    meeting += "\"agendaItem\":[" + item + "," + value + "]}";
    const auto page = parseMeetingPage("{\"data\":[" + meeting + "],\"links\":" + value + "}");
    REQUIRE(page.has_value());
    REQUIRE(page->meetings.size() == 1);
    const Meeting& m = page->meetings[0];
    CHECK(m.id.empty());
    CHECK(m.name.empty());
    CHECK(m.date == "-");
    CHECK_FALSE(m.start_time.has_value());
    const bool yes = value == "true";  // the right type for the flags
    CHECK(m.cancelled == yes);
    CHECK(m.deleted == yes);
    CHECK(m.organizations.empty());
    CHECK(m.results_protocol == (value == "{}" || value == "{\"a\":1}"));
    CHECK(m.agenda.size() == ((value == "{}" || value == "{\"a\":1}") ? 2U : 1U));
    CHECK(m.agenda[0].id.empty());
    CHECK(m.agenda[0].is_public == yes);
    CHECK(m.agenda[0].deleted == yes);
    CHECK(m.agenda[0].result.empty());
    CHECK(page->next.empty());

    const auto entry = parseEntry("{\"type\":" + value + ",\"body\":" + value + ",\"meeting\":" +
                                  value + "}");
    REQUIRE(entry.has_value());
    CHECK(entry->kind == Entry::Kind::Other);
    CHECK(entry->body_list.empty());
    const auto bodies = parseBodyPage("{\"data\":" + value + ",\"links\":{\"next\":" + value + "}}");
    REQUIRE(bodies.has_value());
    CHECK(bodies->next.empty());
  }
}

TEST_CASE("oparl parse: invalid JSON, invalid UTF-8, oversized and deeply nested documents") {
  for (const std::string& bad : {std::string(), std::string("{"), std::string("[{\"id\":1}"),
                                std::string("{\"data\":[]} trailing"), std::string("\xff\xfe"),
                                std::string("{\"id\":\"\xc3\x28\"}"),  // invalid UTF-8
                                std::string("{\"id\":\"\\ud800\"}"),   // lone surrogate
                                std::string("<html>502 Bad Gateway</html>")}) {
    INFO(bad);
    const auto page = parseMeetingPage(bad);
    REQUIRE_FALSE(page.has_value());
    CHECK(page.error().code == ErrorCode::InvalidInput);
    CHECK_FALSE(parseMeeting(bad).has_value());
    CHECK_FALSE(parseEntry(bad).has_value());
    CHECK_FALSE(parseBodyPage(bad).has_value());
  }

  // Nesting: the limit itself passes, one deeper is refused before the JSON parser runs.
  const auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  CHECK(parseMeetingPage(nested(kMaxJsonDepth)).has_value());
  const auto deep = parseMeetingPage(nested(kMaxJsonDepth + 1));
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().code == ErrorCode::TooLarge);
  const auto deeper = parseMeeting(nested(100000));  // would overflow a recursive reader
  REQUIRE_FALSE(deeper.has_value());
  CHECK(deeper.error().code == ErrorCode::TooLarge);
  std::string objects;
  for (int i = 0; i < 5000; ++i) { objects += "{\"data\":"; }
  objects += "1" + std::string(5000, '}');
  CHECK(parseMeetingPage(objects).error().code == ErrorCode::TooLarge);

  // Size: a page of exactly the limit is read; one byte more is refused.
  std::string big = "{\"data\":[{\"id\":\"m\",\"name\":\"";
  const std::string tail = "\"}]}";
  const std::size_t name_bytes = kMaxDocumentBytes - big.size() - tail.size();
  big += std::string(name_bytes, 'x') + tail;
  REQUIRE(big.size() == kMaxDocumentBytes);
  const auto large = parseMeetingPage(big);
  REQUIRE(large.has_value());
  REQUIRE(large->meetings.size() == 1);
  CHECK(large->meetings[0].name.size() == name_bytes);
  const auto tooLarge = parseMeetingPage(big + " ");
  REQUIRE_FALSE(tooLarge.has_value());
  CHECK(tooLarge.error().code == ErrorCode::TooLarge);
}

TEST_CASE("oparl parse: many meetings and agenda items, every string valid UTF-8") {
  std::string page = "[";
  for (int i = 0; i < 2000; ++i) {
    page += std::string(i == 0 ? "" : ",") + "{\"id\":\"m" + std::to_string(i) +
            "\",\"name\":\"Sitzung \\u00fc\\ud83d\\ude00\",\"agendaItem\":[{},{},{}]}";
  }
  page += "]";
  const auto parsed = parseMeetingPage(page);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->meetings.size() == 2000);
  CHECK(parsed->meetings[1999].id == "m1999");
  CHECK(parsed->meetings[0].name == "Sitzung ü\xF0\x9F\x98\x80");
  for (const Meeting& m : parsed->meetings) {
    CHECK(m.agenda.size() == 3);
    CHECK(bb::isValidUtf8(m.name));
  }
}

TEST_CASE("oparl parse: timestamps out of the clock's range are no time (no overflow)") {
  // The system clock counts nanoseconds in 64 bits (years 1678..2262): a start in the year 9999
  // overflowed the conversion (signed overflow; UBSan stopped this test before the fix).
  for (const std::string bad : {"9999-12-31T23:59:59+00:00", "2263-01-01T00:00:00Z",
                                "0000-01-01T00:00:00Z", "-999-01-01T00:00:00Z",
                                "2013-13-04T08:00:00+01:00", "2013-01-32T08:00:00+01:00",
                                "2013-01-04T25:00:00+01:00", "2013-01-04T08:61:00+01:00",
                                "2013-01-04T08:00:00+99:00", "2013-01-04T08:00:00+01:75"}) {
    INFO(bad);
    CHECK_FALSE(parseTimestamp(bad).has_value());
    const auto m = parseMeeting("{\"id\":\"m\",\"start\":\"" + bad + "\"}");
    REQUIRE(m.has_value());
    CHECK_FALSE(m->start_time.has_value());
    CHECK(m->date == "-");
  }
  const auto last = parseTimestamp("2200-12-31T23:59:59-14:00");
  REQUIRE(last.has_value());
  CHECK(formatTimestamp(*last) == "2201-01-01T13:59:59+00:00");
  const auto first = parseTimestamp("1900-01-01T00:00:00Z");
  REQUIRE(first.has_value());
  CHECK(formatTimestamp(*first) == "1900-01-01T00:00:00+00:00");
}
