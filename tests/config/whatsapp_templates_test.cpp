// The WhatsApp template catalogue (whatsapp.templates_file): the shipped file loads with every
// notice kind, and each way a city can break the file is refused with an error naming the entry
// and field (line:column for JSON syntax, the file path in front when loaded from disk).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "bot/channels/whatsapp_templates.hpp"
#include "support/server_process.hpp"

namespace {

using nlohmann::json;

const std::string kShipped = std::string(BB_SOURCE_DIR) + "/config/whatsapp_templates.json";

//! One valid ticket_status entry; `edit` changes it before it is parsed.
json ticketStatus() {
  return json::parse(R"({
    "kind": "ticket_status", "name": "buergerbox_ticket_status", "category": "UTILITY",
    "languages": {
      "de": {"body": "Ihre Meldung {{1}} hat einen neuen Stand: {{2}}. Bitte lesen.",
             "examples": ["1042", "erledigt"], "button": "Nachricht anzeigen"},
      "en": {"body": "Your report {{1}} has a new status: {{2}}. Please read.",
             "examples": ["1042", "done"], "button": "Show message"}}})");
}

//! The error text of parsing `[entry]`; "" when it parsed.
std::string errorOf(const json& entry) {
  const auto parsed = bb::parseTemplateCatalogue(json::array({entry}).dump());
  return parsed ? std::string() : parsed.error().detail;
}

}  // namespace

TEST_CASE("whatsapp templates: the shipped catalogue has every notice kind in de and en") {
  const auto catalogue = bb::loadTemplateCatalogue(kShipped);
  REQUIRE_MESSAGE(catalogue.has_value(), catalogue.error().detail);
  CHECK(catalogue->missingKinds().empty());
  CHECK(catalogue->templates.size() == std::size(bb::kNoticeKinds));
  for (const auto& t : catalogue->templates) {
    INFO(t.name);
    REQUIRE(t.languages.size() == 2);
    CHECK(t.languages[0].code == "de");
    CHECK(t.languages[1].code == "en");
    CHECK(t.languages[0].button == "Nachricht anzeigen");
    CHECK(t.languages[1].button == "Show message");
    for (const auto& lang : t.languages) {
      CHECK(lang.examples.size() == bb::noticeParameters(t.kind).size());
    }
  }
  // Transactional updates about what the citizen started are UTILITY; the re-engagement
  // reminder and the broadcasts are MARKETING (docs/channels/whatsapp.md §2).
  CHECK(catalogue->find(bb::NoticeKind::TicketStatus)->category == "UTILITY");
  CHECK(catalogue->find(bb::NoticeKind::ProposalOutcome)->category == "UTILITY");
  CHECK(catalogue->find(bb::NoticeKind::Broadcast)->category == "MARKETING");
}

TEST_CASE("whatsapp templates: a valid entry parses, a kind left out is reported as missing") {
  const auto parsed = bb::parseTemplateCatalogue(json::array({ticketStatus()}).dump());
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().detail);
  CHECK(parsed->find(bb::NoticeKind::TicketStatus) != nullptr);
  CHECK(parsed->missingKinds().size() == std::size(bb::kNoticeKinds) - 1);
  CHECK(parsed->missingKinds().front() == bb::NoticeKind::StaffMessage);
}

TEST_CASE("whatsapp templates: a JSON syntax error names file, line and column") {
  bb::test::TempDir dir;
  const std::string path = dir.path() + "/templates.json";
  bb::test::writeFile(path, "[\n  {\"kind\": \"ticket_status\",\n   \"name\": \"x\"\n  \n]\n");
  const auto loaded = bb::loadTemplateCatalogue(path);
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().detail.rfind(path + ":5:1: JSON syntax error", 0) == 0);
  const auto unreadable = bb::loadTemplateCatalogue(dir.path() + "/none.json");
  REQUIRE_FALSE(unreadable.has_value());
  CHECK(unreadable.error().detail == dir.path() + "/none.json: cannot read the file");
}

TEST_CASE("whatsapp templates: an entry without a kind, or with an unknown one, is refused") {
  json e = ticketStatus();
  e.erase("kind");
  CHECK(errorOf(e).rfind("[0].kind: missing", 0) == 0);
  e["kind"] = "ticket_update";
  CHECK(errorOf(e) == "[0].kind: unknown kind 'ticket_update'");
  CHECK(errorOf(ticketStatus()).empty());
  const auto twice = bb::parseTemplateCatalogue(json::array({ticketStatus(), ticketStatus()}).dump());
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().detail == "[1] ticket_status: a second template for this kind");
}

TEST_CASE("whatsapp templates: parameter numbering gaps and counts are refused") {
  json e = ticketStatus();
  e["languages"]["de"]["body"] = "Ihre Meldung {{1}} hat einen neuen Stand: {{3}}. Bitte lesen.";
  CHECK(errorOf(e) == "[0] ticket_status: de.body: uses {{3}} but not {{2}} (parameters are "
                      "numbered 1..n without gaps)");
  e["languages"]["de"]["body"] = "Ihre Meldung {{1}} hat Neuigkeiten. Bitte lesen.";
  CHECK(errorOf(e) == "[0] ticket_status: de.body: uses 1 parameter(s); ticket_status takes 2 "
                      "(ticket number, status)");
  e["languages"]["de"]["body"] = "Ihre Meldung {{1}} hat einen neuen Stand: {{zwei}}. Bitte lesen.";
  CHECK(errorOf(e).find("de.body: a placeholder is not of the form {{1}}") != std::string::npos);
  e["languages"]["de"]["body"] = "{{1}}: neuer Stand {{2}}. Bitte lesen.";
  CHECK(errorOf(e).find("de.body: starts or ends with a parameter") != std::string::npos);
}

TEST_CASE("whatsapp templates: the example count must equal the parameter count") {
  json e = ticketStatus();
  e["languages"]["en"]["examples"] = json::array({"1042"});
  CHECK(errorOf(e) == "[0] ticket_status: en.examples: 1 example(s) for 2 parameter(s); give one "
                      "per parameter");
  e["languages"]["en"]["examples"] = json::array({"1042", "done", "extra"});
  CHECK(errorOf(e).find("en.examples: 3 example(s) for 2 parameter(s)") != std::string::npos);
  e["languages"]["en"]["examples"] = json::array({"1042", ""});
  CHECK(errorOf(e).find("en.examples: each example must be a non-empty string") != std::string::npos);
}

TEST_CASE("whatsapp templates: a body over 1024 characters is refused, 1024 pass") {
  json e = ticketStatus();
  const std::string frame = "Ihre Meldung {{1}} hat einen neuen Stand: {{2}}. ";
  // 'ü' is two bytes but one character: the limit counts characters, as Meta does.
  std::string fill;
  while (frame.size() + fill.size() / 2 < bb::kMaxTemplateBodyChars) { fill += "ü"; }
  e["languages"]["de"]["body"] = frame + fill;
  CHECK(errorOf(e).empty());
  e["languages"]["de"]["body"] = frame + fill + "x";
  CHECK(errorOf(e) == "[0] ticket_status: de.body: 1025 characters, Meta allows at most 1024");
}

TEST_CASE("whatsapp templates: name pattern, category, button and languages are checked") {
  json e = ticketStatus();
  e["name"] = "Buergerbox-Status";
  CHECK(errorOf(e) == "[0] ticket_status: name: 1..512 characters of a-z, 0-9 and _ (Meta's rule)");
  e["name"] = std::string(513, 'a');
  CHECK(errorOf(e).find(": name: 1..512") != std::string::npos);
  e["name"] = std::string(512, 'a');
  CHECK(errorOf(e).empty());
  e = ticketStatus();
  e["category"] = "AUTHENTICATION";
  CHECK(errorOf(e) == "[0] ticket_status: category: UTILITY or MARKETING");
  e = ticketStatus();
  e["languages"]["de"]["button"] = "Die ganze Nachricht jetzt anzeigen";  // 34 > 25 characters
  CHECK(errorOf(e) == "[0] ticket_status: de.button: the quick-reply label, 1..25 characters");
  e = ticketStatus();
  e["languages"].erase("de");
  CHECK(errorOf(e).find(": languages: expected") != std::string::npos);
  e = ticketStatus();
  e["languages"]["fr"] = e["languages"]["en"];
  CHECK(errorOf(e) == "[0] ticket_status: languages: unknown language(s) fr (de, en)");
  e = ticketStatus();
  e["catgory"] = "UTILITY";
  CHECK(errorOf(e) == "[0] ticket_status: unknown key(s) catgory");
}

TEST_CASE("whatsapp templates: the account check reports missing, status and category per language") {
  const auto catalogue = bb::parseTemplateCatalogue(json::array({ticketStatus()}).dump());
  REQUIRE(catalogue.has_value());
  const auto checks = bb::checkTemplates(
      *catalogue, {{"buergerbox_ticket_status", "de", "APPROVED", "MARKETING"},
                   {"buergerbox_ticket_status", "en_US", "APPROVED", "UTILITY"}});
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].language == "de");
  CHECK(checks[0].approved());
  CHECK(checks[0].account_category == "MARKETING");
  CHECK(checks[1].language == "en");  // en_US is another language than en
  CHECK(checks[1].status == "missing");
  CHECK_FALSE(checks[1].approved());
}
