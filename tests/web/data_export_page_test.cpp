// "meine daten" end to end in one process: the chat answers a readable summary and a link; the
// page behind the link shows what it gives without using it up (link previews), the button
// downloads the JSON file once; the link expires after 24 hours and goes with "daten löschen".
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <regex>

#include "bot/privacy/data_export.hpp"
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"
#include "web/data_export_page.hpp"

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

//! The token of the export link in `text`; empty when there is none.
std::string linkToken(const std::string& text) {
  static const std::regex kLink("http://localhost:8080/meine-daten/([0-9a-f]{32})");
  std::smatch m;
  return std::regex_search(text, m, kLink) ? m[1].str() : std::string();
}

bb::HttpRequest requestFor(const std::string& token, const char* method) {
  bb::HttpRequest req;
  req.method = method;
  req.path = bb::exportLinkPath(token);
  req.matches = {token};
  return req;
}

std::string headerOf(const bb::HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) { return v; }
  }
  return {};
}

}  // namespace

TEST_CASE_TEMPLATE("data export: 'meine daten' sends a summary and a link that downloads the file once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  h.onboard("sara");
  const auto number = h.report("sara", "graffiti", bb::test::kMarktplatz);
  h.replies("sara");
  h.text("sara", "meine daten");
  const std::string text = h.replyText("sara");
  // The readable summary: the report with its place.
  CHECK(contains(text, std::to_string(number)));
  CHECK(contains(text, "Ort: 48.07770, 11.97060"));
  CHECK(contains(text, "24 Stunden"));
  const std::string token = linkToken(text);
  REQUIRE(token.size() == 32);
  // Only the token's hash is stored.
  CHECK(h.scalar("SELECT count(*) FROM data_exports WHERE token_hash = '" +
                 bb::exportTokenHash(token) + "'") == 1);
  CHECK(h.scalar("SELECT count(*) FROM data_exports WHERE token_hash = '" + token + "'") == 0);

  auto store = bb::test::dataExportOf(h);
  bb::web::DataExportPage page(*store, h.clock);
  const auto get = requestFor(token, "GET");
  const auto post = requestFor(token, "POST");
  for (int i = 0; i < 2; ++i) {  // showing the page (a link preview, a reload) keeps the link
    const auto shown = page.page(get);
    CHECK(shown.status == 200);
    CHECK(contains(shown.body, "Datei herunterladen"));
    CHECK(contains(shown.body, "<form method=\"post\">"));
  }
  const auto file = page.download(post);
  REQUIRE(file.status == 200);
  CHECK(contains(file.content_type, "application/json"));
  CHECK(contains(headerOf(file, "Content-Disposition"), "attachment; filename=\"meine-daten-"));
  CHECK(headerOf(file, "Cache-Control") == "no-store");
  const auto doc = nlohmann::json::parse(file.body, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  CHECK(doc["format"] == "buergerbox-citizen-export");
  CHECK(doc["pseudonym"] == h.pseudonym("sara"));
  REQUIRE(doc["tickets"].size() == 1);
  CHECK(doc["tickets"][0]["number"] == number);
  CHECK(doc["tickets"][0]["lat"] == bb::test::kMarktplatz.lat);
  CHECK(doc["outbound_messages"].size() >= 3);
  CHECK(doc["ticket_events"].size() >= 1);
  CHECK(doc["citizen"]["channel"] == "webchat");

  // Used up: neither the page nor the download works again.
  CHECK(page.download(post).status == 404);
  CHECK(page.page(get).status == 404);

  SUBCASE("a link is gone 24 hours later") {
    h.text("sara", "meine daten");
    const std::string next = linkToken(h.replyText("sara"));
    REQUIRE(next.size() == 32);
    CHECK(next != token);
    CHECK(page.page(requestFor(next, "GET")).status == 200);
    h.clock.advance(std::chrono::hours(24));
    CHECK(page.page(requestFor(next, "GET")).status == 404);
    CHECK(page.download(requestFor(next, "POST")).status == 404);
  }
  SUBCASE("'daten löschen' removes unused links") {
    h.text("sara", "meine daten");
    const std::string next = linkToken(h.replyText("sara"));
    REQUIRE(next.size() == 32);
    h.text("sara", "daten löschen");
    h.choice("sara", "confirm");
    CHECK(h.scalar("SELECT count(*) FROM data_exports") == 0);
    CHECK(page.download(requestFor(next, "POST")).status == 404);
  }
}
