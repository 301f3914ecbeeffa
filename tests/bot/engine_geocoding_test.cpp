// The engine answers the flow's Geocode with the gazetteer (the Ebersberg demo data) and
// describes a pin by its nearest address; the ticket gets coordinates, district and label (on
// both backends: the gazetteer's SQL differs, its answers must not).

#include <doctest/doctest.h>

#include "bot/geo/import.hpp"
#include "support/engine_harness.hpp"

using bb::test::EngineHarness;
using bb::test::kMarktplatz;
using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

void importDemo(EngineHarness& h) {
  auto data = bb::geo::readGazetteerFile(std::string(BB_SOURCE_DIR) +
                                             "/config/ebersberg/gazetteer.csv",
                                         "csv");
  REQUIRE(data.has_value());
  REQUIRE(h.gazetteer->replace(*data));
}

std::string column(EngineHarness& h, const std::string& sql) { return h.textOf(sql); }

void startReport(EngineHarness& h, const std::string& user) {
  h.onboard(user);
  h.choice(user, "report");
  h.choice(user, "cat:graffiti");
  h.replies(user);
}

}  // namespace

TEST_CASE_TEMPLATE("engine: a typed address becomes a ticket with coordinates, district and label", B,
                   OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  importDemo(h);
  startReport(h, "gina");
  h.text("gina", "Marienplatzz 1");
  h.choice("gina", "skip");  // no photo
  h.choice("gina", "skip");  // no description
  const std::string summary = h.replyText("gina");
  CHECK(summary.find("Marienplatz 1, 85560 Ebersberg") != std::string::npos);
  h.choice("gina", "confirm");
  REQUIRE(h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(h.scalar("SELECT abs(lat - 48.0777) < 0.0001 AND abs(lon - 11.9706) < 0.0001 "
                 "FROM tickets") == 1);
  CHECK(column(h, "SELECT district_id FROM tickets") == "kernstadt");
  CHECK(column(h, "SELECT address_text FROM tickets") == "Marienplatz 1, 85560 Ebersberg");
}

TEST_CASE_TEMPLATE("engine: an address in another town is refused", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  importDemo(h);
  startReport(h, "hugo");
  h.text("hugo", "Leopoldstraße 10, 80802 München");
  const auto refused = h.replies("hugo");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].text.find("außerhalb") != std::string::npos);
  CHECK(refused[0].request_location);
  CHECK(h.scalar("SELECT state = 'report_location' FROM conversations") == 1);
}

TEST_CASE_TEMPLATE("engine: an unknown address twice is kept unconfirmed for staff", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  importDemo(h);
  startReport(h, "ida");
  h.text("ida", "ca. 30 cm");
  CHECK(h.replyText("ida").find("Marienplatz 1") != std::string::npos);  // the example
  h.text("ida", "hinter dem Feuerwehrhaus");
  h.choice("ida", "skip");
  h.choice("ida", "skip");
  h.choice("ida", "confirm");
  REQUIRE(h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(h.scalar("SELECT lat IS NULL FROM tickets") == 1);
  CHECK(column(h, "SELECT address_text FROM tickets") == "hinter dem Feuerwehrhaus (unbestätigt)");
}

TEST_CASE_TEMPLATE("engine: a pin is described by its nearest address", B,
                   OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  importDemo(h);
  startReport(h, "jan");
  h.location("jan", bb::GeoPoint{48.07770, 11.97040});
  h.choice("jan", "skip");
  h.choice("jan", "skip");
  CHECK(h.replyText("jan").find("bei Marienplatz 1, ca. 15 m") != std::string::npos);
  h.choice("jan", "confirm");
  CHECK(column(h, "SELECT address_text FROM tickets") == "bei Marienplatz 1, ca. 15 m");
}

TEST_CASE_TEMPLATE("engine: without a gazetteer a typed address is kept as typed", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  startReport(h, "kai");
  h.text("kai", "Marienplatz 1");
  h.choice("kai", "skip");
  h.choice("kai", "skip");
  h.choice("kai", "confirm");
  CHECK(column(h, "SELECT address_text FROM tickets") == "Marienplatz 1");
  CHECK(h.scalar("SELECT lat IS NULL FROM tickets") == 1);
}

TEST_CASE_TEMPLATE("engine: the web chat gets its text variants, a messenger the plain texts", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto say = [&](const std::string& user, bb::Channel channel, bool is_choice,
                 const std::string& value) {
    auto e = h.event(user, is_choice ? bb::InboundKind::Choice : bb::InboundKind::Text, channel);
    (is_choice ? e.choice_id : e.text) = value;
    h.send(e);
  };
  for (bb::Channel channel : {bb::Channel::WebChat, bb::Channel::WhatsApp}) {
    CAPTURE(bb::toString(channel));
    say("jan", channel, false, "Hallo");
    const auto notice = h.replies("jan", channel);
    REQUIRE(notice.size() == 1);
    say("jan", channel, true, "accept");
    say("jan", channel, true, "report");
    say("jan", channel, true, "cat:graffiti");
    const auto prompt = h.replies("jan", channel);
    REQUIRE_FALSE(prompt.empty());
    const std::string& where = prompt.back().text;
    if (channel == bb::Channel::WebChat) {
      CHECK(notice[0].text.find("[Datenschutzhinweisen](") != std::string::npos);
      CHECK(where.find("„Standort senden“") != std::string::npos);
      CHECK(where.find("📎") == std::string::npos);
    } else {
      CHECK(notice[0].text.find("Mehr dazu: /datenschutz") != std::string::npos);
      CHECK(where.find("📎 → Standort") != std::string::npos);
    }
  }
}
