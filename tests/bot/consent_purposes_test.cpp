// Consents per purpose through the real engine and SQLite (issue 22): accepting the privacy
// notice records "service" with its version and time, a higher notice version replaces it
// (exactly one valid row), the first act in the citizens' budget records "participation" once,
// broadcasts stay "broadcast:<topic>"; the export lists every consent in words with version and
// times, and erasure leaves no consent row.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "bot/text/local_time.hpp"
#include "bot/text/timestamp.hpp"
#include "storage/millis.hpp"
#include "support/engine_harness.hpp"
#include "support/openapi_validator.hpp"
#include "support/participation_chat.hpp"
#include "support/stores_of.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace bb::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
constexpr auto kDay = std::chrono::hours(24);

std::int64_t nowMillis(const EngineHarness& h) { return storage::toMillis(h.clock.now()); }

//! How many consent rows of `user` match `where` (SQL over consents' columns).
std::int64_t consents(EngineHarness& h, const std::string& user, const std::string& where = "true") {
  return h.scalar("SELECT count(*) FROM consents WHERE pseudonym = '" + h.pseudonym(user) +
                  "' AND " + where);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE_TEMPLATE("consents per purpose: accepting the privacy notice records 'service' with version and "
          "time", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend, 1);
  const int version = h.flows.settings.privacy_notice_version;
  h.text("anna", "Hallo");
  CHECK(consents(h, "anna") == 0);  // the notice is shown, nothing accepted yet
  h.clock.advance(1min);
  const auto accepted_at = nowMillis(h);
  h.choice("anna", "accept");
  CHECK(consents(h, "anna") == 1);
  CHECK(consents(h, "anna", "purpose = 'service' AND notice_version = " + std::to_string(version) +
                                " AND granted_at = " + std::to_string(accepted_at) +
                                " AND withdrawn_at IS NULL") == 1);
  // Written with the citizen row in the same step: the same time.
  CHECK(h.scalar("SELECT consent_at FROM citizens WHERE pseudonym = '" + h.pseudonym("anna") +
                 "'") == accepted_at);
  // Later messages add nothing.
  h.clock.advance(1h);
  h.text("anna", "menü");
  h.text("anna", "hilfe");
  CHECK(consents(h, "anna") == 1);
  // Who declines the notice has no consent row (and no citizen row).
  h.text("bert", "Hallo");
  h.choice("bert", "decline");
  CHECK(consents(h, "bert") == 0);
}

TEST_CASE_TEMPLATE("consents per purpose: a higher notice version withdraws 'service' and records the new "
          "one, exactly one valid", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend, 1);
  const int old_version = h.flows.settings.privacy_notice_version;
  const auto first_at = nowMillis(h);
  h.onboard("anna");
  h.raiseNoticeVersion();
  h.clock.advance(2h);
  h.text("anna", "Hallo");  // the new notice
  h.text("anna", "nein");   // declining keeps the earlier acceptance as it was
  CHECK(consents(h, "anna") == 1);
  CHECK(consents(h, "anna", "notice_version = " + std::to_string(old_version) +
                                " AND withdrawn_at IS NULL") == 1);

  h.clock.advance(1min);
  const auto second_at = nowMillis(h);
  h.text("anna", "ja bitte");
  CHECK(consents(h, "anna", "purpose = 'service'") == 2);
  CHECK(consents(h, "anna", "purpose = 'service' AND withdrawn_at IS NULL") == 1);
  CHECK(consents(h, "anna", "purpose = 'service' AND withdrawn_at IS NULL AND notice_version = " +
                                std::to_string(old_version + 1) +
                                " AND granted_at = " + std::to_string(second_at)) == 1);
  CHECK(consents(h, "anna", "purpose = 'service' AND notice_version = " +
                                std::to_string(old_version) +
                                " AND granted_at = " + std::to_string(first_at) +
                                " AND withdrawn_at = " + std::to_string(second_at)) == 1);
}

TEST_CASE_TEMPLATE("consents per purpose: the first proposal, support or comment records "
                   "'participation' once", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  const std::string participation = "purpose = 'participation'";
  h.onboard("anna");
  const auto submitted_at = nowMillis(h);
  submitByChat(h, "anna", "Trinkbrunnen");
  submitByChat(h, "anna", "Bänke am See");
  CHECK(consents(h, "anna", participation) == 1);
  CHECK(consents(h, "anna", participation + " AND granted_at = " + std::to_string(submitted_at) +
                                " AND withdrawn_at IS NULL") == 1);
  const auto first = proposalId(h, "Trinkbrunnen");
  const auto second = proposalId(h, "Bänke am See");
  REQUIRE(h.participation->publishProposal(first));
  REQUIRE(h.participation->publishProposal(second));

  h.onboard("ben");
  h.clock.advance(10 * kDay);  // supporting phase
  openProposal(h, "ben", first);
  CHECK(consents(h, "ben", participation) == 0);  // reading is not taking part
  h.clock.advance(1min);
  const auto supported_at = nowMillis(h);
  h.choice("ben", "prop:support");
  CHECK(h.scalar("SELECT count(*) FROM proposal_supports") == 1);
  CHECK(consents(h, "ben", participation) == 1);
  CHECK(consents(h, "ben", participation + " AND notice_version = " +
                               std::to_string(h.flows.settings.privacy_notice_version) +
                               " AND granted_at = " + std::to_string(supported_at) +
                               " AND withdrawn_at IS NULL") == 1);
  // A second support, withdrawing and supporting again, a comment: no further row.
  h.clock.advance(1min);
  openProposal(h, "ben", second);
  h.choice("ben", "prop:support");
  h.choice("ben", "prop:unsupport");
  h.choice("ben", "prop:support");
  h.choice("ben", "prop:comment");
  h.text("ben", "Gute Idee");
  CHECK(h.scalar("SELECT count(*) FROM proposal_supports") == 2);
  CHECK(h.scalar("SELECT count(*) FROM proposal_comments") == 1);
  CHECK(consents(h, "ben", participation) == 1);
  CHECK(consents(h, "ben") == 2);  // service and participation
}

TEST_CASE_TEMPLATE("consents per purpose: the export lists all three purposes with version and times, "
          "erasure leaves none", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  const SysTime first = h.clock.now();
  h.onboard("anna");
  h.onboard("ben");
  h.text("anna", "abos");
  h.choice("anna", "sub:stadtrat");
  h.choice("anna", "menu");
  submitByChat(h, "anna", "Trinkbrunnen");
  REQUIRE(proposalId(h, "Trinkbrunnen") > 0);
  h.raiseNoticeVersion();
  h.clock.advance(3h);
  const SysTime second = h.clock.now();
  h.text("anna", "Hallo");
  h.text("anna", "ja");
  (void)h.replies("anna");

  h.text("anna", "meine daten");
  const std::string text = h.replyText("anna");
  INFO(text);
  const std::string at1 = localDateTime(first);
  const std::string at2 = localDateTime(second);
  for (const std::string& line :
       {"Einwilligung – Nutzung der Bürgerbox (Meldungen, Briefkasten, Auskünfte): "
        "Datenschutzhinweis Version 1, erteilt am " + at1 + " Uhr, widerrufen am " + at2 + " Uhr\n",
        "Einwilligung – Nutzung der Bürgerbox (Meldungen, Briefkasten, Auskünfte): "
        "Datenschutzhinweis Version 2, erteilt am " + at2 + " Uhr\n",
        "Einwilligung – Nachrichten zum Thema „Stadtrat“: Datenschutzhinweis Version 1, erteilt "
        "am " + at1 + " Uhr\n",
        "Einwilligung – Bürgerhaushalt (Vorschläge, Unterstützungen, Kommentare): "
        "Datenschutzhinweis Version 1, erteilt am " + at1 + " Uhr\n"}) {
    CHECK_MESSAGE(contains(text, line), line);
  }
  CHECK_FALSE(contains(text, "broadcast:"));  // the stored purpose id is not what a person reads

  // The file: every row with its purpose id, version and UTC times, valid against the schema.
  auto exporter = test::dataExportOf(h);
  auto document = exporter->exportDocument(h.pseudonym("anna"), h.clock.now());
  REQUIRE(document.has_value());
  const json doc = json::parse(*document);
  const json schema = tests::openapi::loadJsonFile(std::string(BB_SOURCE_DIR) +
                                                   "/docs/api/citizen-export.schema.json");
  CHECK(tests::openapi::validate(schema, doc, "#").empty());
  std::multimap<std::string, json> rows;
  for (const auto& c : doc.at("consents")) { rows.emplace(c.at("purpose").get<std::string>(), c); }
  REQUIRE(rows.size() == 4);
  const auto service = rows.equal_range("service");
  REQUIRE(std::distance(service.first, service.second) == 2);
  CHECK(service.first->second == json({{"purpose", "service"},
                                       {"notice_version", 1},
                                       {"granted_at", rfc3339Utc(first)},
                                       {"withdrawn_at", rfc3339Utc(second)}}));
  CHECK(std::next(service.first)->second == json({{"purpose", "service"},
                                                  {"notice_version", 2},
                                                  {"granted_at", rfc3339Utc(second)},
                                                  {"withdrawn_at", nullptr}}));
  REQUIRE(rows.count("participation") == 1);
  CHECK(rows.find("participation")->second.at("notice_version") == 1);
  CHECK(rows.find("participation")->second.at("granted_at") == rfc3339Utc(first));
  REQUIRE(rows.count("broadcast:stadtrat") == 1);
  CHECK(rows.find("broadcast:stadtrat")->second.at("withdrawn_at").is_null());

  h.text("anna", "daten löschen");
  h.choice("anna", "confirm");
  CHECK(consents(h, "anna") == 0);
  CHECK(consents(h, "ben") == 1);  // someone else's consent stays
}

}  // namespace bb::test

TEST_CASE("consents per purpose: the same grant from two places at once leaves one valid consent") {
  bb::test::EngineHarness h(bb::test::Backend::Postgresql);
  h.onboard("anna");
  const std::string citizen = h.pseudonym("anna");
  const std::string of_anna =
      "FROM consents WHERE purpose = 'broadcast:stadtrat' AND pseudonym = '" + citizen + "'";
  std::atomic<int> failed{0};
  auto grant = [&] {
    for (int i = 0; i < 50; ++i) {
      if (!h.subscriptions->grantConsent(citizen, "broadcast:stadtrat", 1, h.clock.now())) {
        failed.fetch_add(1);
      }
    }
  };
  std::thread other(grant);
  grant();
  other.join();
  CHECK(failed.load() == 0);
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND withdrawn_at IS NULL") == 1);
  CHECK(h.scalar("SELECT count(*) " + of_anna) == 100);
}
