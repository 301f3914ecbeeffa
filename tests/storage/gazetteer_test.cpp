// The gazetteer: typed text taken apart (bot/geo/address), the matching rules and the stores
// on both backends (storage/sqlite_gazetteer, storage/postgresql/pg_gazetteer): typos, umlaut
// spellings, abbreviations, suffixes, intersections, places, another town, reverse lookups and
// an atomic re-import.
#include <doctest/doctest.h>

#include "bot/geo/address.hpp"
#include "bot/geo/gazetteer.hpp"
#include "storage/millis.hpp"
#include "support/engine_harness.hpp"
#include "support/gazetteer_backend.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

using bb::geo::AddressRecord;
using bb::geo::GazetteerImport;
using bb::geo::LatLon;
using bb::geo::Match;

AddressRecord addr(const char* street, const char* number, double lat, double lon,
                   const char* postcode = "85560", const char* city = "Ebersberg") {
  return AddressRecord{street, number, postcode, city, LatLon{lat, lon}};
}

//! A few streets of a small town; the numbers run along each street.
GazetteerImport town() {
  GazetteerImport g;
  g.source = "test";
  g.licence = "test data";
  g.format = "csv";
  g.addresses = {
      addr("Marienplatz", "1", 48.07770, 11.97060), addr("Marienplatz", "2", 48.07780, 11.97080),
      addr("Marienplatz", "3", 48.07790, 11.97100),
      addr("Bahnhofstraße", "12", 48.08100, 11.96700),
      addr("Bahnhofstraße", "12a", 48.08110, 11.96710),
      addr("Bahnhofstraße", "14", 48.08130, 11.96730),
      addr("Dr.-Wintrich-Straße", "5", 48.07500, 11.96500),
      addr("Eberhardstraße", "3", 48.07760, 11.97000),
      addr("Heinrich-Vogl-Straße", "7", 48.07900, 11.97300),
      addr("Heinrich-Vogl-Straße", "9", 48.07920, 11.97320),
      addr("Hauptstraße", "1", 48.09000, 11.99000, "85560", "Oberndorf"),
      addr("Hauptstraße", "1", 48.05000, 11.93000, "85560", "Hörmannsdorf"),
  };
  g.streets = {{"Am Priel", "85560", "Ebersberg", LatLon{48.0760, 11.9720}}};
  g.places = {{"Rathaus", "townhall", LatLon{48.07765, 11.97075}},
              {"Bahnhof Ebersberg", "station", LatLon{48.08200, 11.96600}}};
  return g;
}

struct Town : bb::test::GazetteerOn {
  explicit Town(bb::test::Backend backend) : GazetteerOn(backend) {
    REQUIRE(gazetteer->replace(town()));
  }
};

}  // namespace

TEST_CASE("geo: keys ignore case, umlaut spellings, abbreviations, hyphens and spaces") {
  using bb::geo::nameKey;
  CHECK(nameKey("Bahnhofstraße") == "bahnhofstrasse");
  CHECK(nameKey("bahnhofstrasse") == "bahnhofstrasse");
  CHECK(nameKey("Bahnhofstr.") == "bahnhofstrasse");
  CHECK(nameKey("BAHNHOF STR") == "bahnhofstrasse");
  CHECK(nameKey("Dr.-Wintrich-Str.") == "drwintrichstrasse");
  CHECK(nameKey("Dr Wintrich Strasse") == "drwintrichstrasse");
  CHECK(nameKey("Hörmannsdorf") == nameKey("Hoermannsdorf"));
  CHECK(nameKey("MÜNCHEN") == "muenchen");
  CHECK(bb::geo::numberKey("12 A") == "12a");
}

TEST_CASE("geo: typed addresses are taken apart") {
  auto q = bb::geo::parseAddress("Leopoldstraße 10, 80802 München");
  REQUIRE(q.has_value());
  CHECK(q->street_key == "leopoldstrasse");
  CHECK(q->number == "10");
  CHECK(q->postcode == "80802");
  CHECK(q->town_key == "muenchen");
  q = bb::geo::parseAddress("bahnhofstr 12 a");
  REQUIRE(q.has_value());
  CHECK(q->street_key == "bahnhofstrasse");
  CHECK(q->number == "12a");
  CHECK(q->town_key.empty());
  q = bb::geo::parseAddress("Ecke Bahnhofstraße / Marienplatz");
  REQUIRE(q.has_value());
  CHECK(q->bare_key == "bahnhofstrasse");
  CHECK(q->cross_key == "marienplatz");
  q = bb::geo::parseAddress("beim Rathaus");
  REQUIRE(q.has_value());
  CHECK(q->bare_key == "rathaus");
  CHECK_FALSE(bb::geo::parseAddress("12").has_value());
  CHECK_FALSE(bb::geo::parseAddress(std::string(400, 'a')).has_value());
}

TEST_CASE("geo: bounded edit distance") {
  CHECK(bb::geo::editDistance("marienplatz", "marienplatzz", 2) == 1);
  CHECK(bb::geo::editDistance("marienplatz", "marinplats", 2) == 2);
  CHECK(bb::geo::editDistance("marienplatz", "bahnhofstrasse", 2) == 3);  // bound + 1
}

TEST_CASE_TEMPLATE("gazetteer: forward lookups the way people type", B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  struct Row {
    const char* typed;
    const char* label;
  };
  const Row rows[] = {
      {"Marienplatz 1", "Marienplatz 1, 85560 Ebersberg"},
      {"marienplatz 1", "Marienplatz 1, 85560 Ebersberg"},
      {"Marienplatzz 1", "Marienplatz 1, 85560 Ebersberg"},      // typo
      {"Marinplatz 2", "Marienplatz 2, 85560 Ebersberg"},        // typo
      {"Bahnhofstr. 12", "Bahnhofstraße 12, 85560 Ebersberg"},   // abbreviation
      {"Bahnhofstrasse 14", "Bahnhofstraße 14, 85560 Ebersberg"},  // ß as ss
      {"bahnhofstr 12 a", "Bahnhofstraße 12a, 85560 Ebersberg"},  // suffix with a space
      {"Bahnhofstraße 14b", "Bahnhofstraße 14, 85560 Ebersberg"},  // unknown suffix: the number
      {"Dr. Wintrich Str. 5", "Dr.-Wintrich-Straße 5, 85560 Ebersberg"},  // hyphens, spaces
      {"Heinrich Vogl Strasse 9", "Heinrich-Vogl-Straße 9, 85560 Ebersberg"},
      {"Marienplatz 1, 85560 Ebersberg", "Marienplatz 1, 85560 Ebersberg"},  // postcode, town
      {"Am Priel", "Am Priel, 85560 Ebersberg"},  // a street known by its geometry
      {"Marienplatz", "Marienplatz, 85560 Ebersberg"},  // no number: the street
      {"beim Rathaus", "Rathaus"},                       // a named place
      {"Hauptstraße 1, Oberndorf", "Hauptstraße 1, 85560 Oberndorf"},  // the town decides
  };
  for (const Row& row : rows) {
    CAPTURE(row.typed);
    const auto r = t.find(row.typed);
    CHECK(r.match == Match::Found);
    REQUIRE(r.candidates.size() == 1);
    CHECK(r.candidates[0].label == row.label);
  }
  SUBCASE("the coordinates are the address's") {
    const auto r = t.find("Marienplatzz 1");
    CHECK(r.candidates[0].at.lat == doctest::Approx(48.07770));
    CHECK(r.candidates[0].at.lon == doctest::Approx(11.97060));
  }
}

TEST_CASE_TEMPLATE("gazetteer: a name in two villages is ambiguous", B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  const auto r = t.find("Hauptstraße 1");
  CHECK(r.match == Match::Ambiguous);
  REQUIRE(r.candidates.size() == 2);
  CHECK(r.candidates[0].label == "Hauptstraße 1, 85560 Hörmannsdorf");
  CHECK(r.candidates[1].label == "Hauptstraße 1, 85560 Oberndorf");
}

TEST_CASE_TEMPLATE("gazetteer: unknown names and text that is no address are not found",
                   B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  for (const char* typed : {"ca. 30 cm", "Leopoldstraße 10", "Schlossallee 3", "12", ""}) {
    CAPTURE(typed);
    CHECK(t.find(typed).match == Match::NotFound);
  }
}

TEST_CASE_TEMPLATE("gazetteer: another town is elsewhere", B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  for (const char* typed :
       {"Leopoldstraße 10, 80802 München", "Marienplatz 1, 80331 München", "Marienplatz 1, München"}) {
    CAPTURE(typed);
    CHECK(t.find(typed).match == Match::Elsewhere);
  }
}

TEST_CASE_TEMPLATE("gazetteer: intersections of two known streets", B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  for (const char* typed : {"Ecke Marienplatz / Eberhardstraße", "Marienplatz Ecke Eberhardstr.",
                            "marienplatz/eberhardstrasse"}) {
    CAPTURE(typed);
    const auto r = t.find(typed);
    CHECK(r.match == Match::Found);
    REQUIRE(r.candidates.size() == 1);
    CHECK(r.candidates[0].label == "Ecke Marienplatz / Eberhardstraße, 85560 Ebersberg");
    CHECK(r.candidates[0].at.lat == doctest::Approx(48.07765).epsilon(0.0001));
  }
  // Streets that never meet are no intersection.
  CHECK(t.find("Ecke Marienplatz / Dr.-Wintrich-Straße").match == Match::NotFound);
}

TEST_CASE_TEMPLATE("gazetteer: reverse lookups find the nearest address within the radius",
                   B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  auto r = t.gazetteer->reverse(LatLon{48.07775, 11.97060}, 150);
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->label == "Marienplatz 1");
  CHECK((*r)->distance_m == doctest::Approx(5.6).epsilon(0.1));
  r = t.gazetteer->reverse(LatLon{48.08125, 11.96725}, 150);
  REQUIRE(r->has_value());
  CHECK((*r)->label == "Bahnhofstraße 14");
  // A field far from any house.
  r = t.gazetteer->reverse(LatLon{48.10000, 11.90000}, 150);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->has_value());
}

TEST_CASE_TEMPLATE("gazetteer: a re-import replaces everything and records source, licence and date",
                   B, OnSqlite, OnPostgresql) {
  Town t(B::backend);
  auto info = t.gazetteer->info();
  REQUIRE(info.has_value());
  REQUIRE(info->has_value());
  CHECK((*info)->source == "test");
  CHECK((*info)->addresses == 12);
  CHECK((*info)->places == 2);
  CHECK(t.find("Marienplatz 1").match == Match::Found);
  GazetteerImport next;
  next.source = "OpenStreetMap";
  next.licence = "ODbL 1.0, © OpenStreetMap contributors";
  next.format = "osm";
  next.addresses = {addr("Schlossallee", "3", 48.07000, 11.96000)};
  t.clock.advance(std::chrono::minutes(5));
  REQUIRE(t.gazetteer->replace(next));
  CHECK(t.find("Marienplatz 1").match == Match::NotFound);
  CHECK(t.find("Schlossallee 3").match == Match::Found);
  info = t.gazetteer->info();
  CHECK((*info)->licence == "ODbL 1.0, © OpenStreetMap contributors");
  CHECK((*info)->addresses == 1);
  CHECK((*info)->imported_at_ms == bb::storage::toMillis(t.clock.now()));
}

TEST_CASE_TEMPLATE("gazetteer: an empty gazetteer finds nothing", B, OnSqlite, OnPostgresql) {
  bb::test::GazetteerOn g(B::backend);
  auto r = g.gazetteer->forward("Marienplatz 1");
  REQUIRE(r.has_value());
  CHECK(r->match == Match::Empty);
  auto info = g.gazetteer->info();
  REQUIRE(info.has_value());
  CHECK_FALSE(info->has_value());
  auto lines = g.gazetteer->streetLines();
  REQUIRE(lines.has_value());
  CHECK((*lines)->empty());
}

TEST_CASE_TEMPLATE("gazetteer: an import of several batches keeps every address on its street",
                   B, OnSqlite, OnPostgresql) {
  // 2,600 addresses on 26 streets: more rows than one multi-row INSERT takes.
  GazetteerImport g;
  g.source = "test";
  g.licence = "test data";
  g.format = "csv";
  for (int s = 0; s < 26; ++s) {
    const std::string street = std::string("Weg ") + static_cast<char>('A' + s);
    for (int n = 1; n <= 100; ++n) {
      g.addresses.push_back(AddressRecord{street, std::to_string(n), "85560", "Ebersberg",
                                          LatLon{48.05 + s * 0.001, 11.95 + n * 0.0001}});
    }
  }
  bb::test::GazetteerOn t(B::backend);
  REQUIRE(t.gazetteer->replace(g));
  auto info = t.gazetteer->info();
  REQUIRE(info.has_value());
  REQUIRE(info->has_value());
  CHECK((*info)->addresses == 2600);
  CHECK((*info)->streets == 26);
  for (const char* typed : {"Weg A 1", "Weg M 57", "Weg Z 100"}) {
    CAPTURE(typed);
    const auto r = t.find(typed);
    REQUIRE(r.match == Match::Found);
    CHECK(r.candidates.at(0).label == std::string(typed) + ", 85560 Ebersberg");
  }
  const auto last = t.find("Weg Z 100");
  CHECK(last.candidates.at(0).at.lat == doctest::Approx(48.075));
  CHECK(last.candidates.at(0).at.lon == doctest::Approx(11.96));
  auto near = t.gazetteer->reverse(LatLon{48.0620001, 11.9557}, 50);
  REQUIRE(near.has_value());
  REQUIRE(near->has_value());
  CHECK((*near)->label == "Weg M 57");
  auto lines = t.gazetteer->streetLines();
  REQUIRE(lines.has_value());
  CHECK_FALSE((*lines)->empty());
}
