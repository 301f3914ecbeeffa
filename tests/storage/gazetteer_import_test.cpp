// Importing a town's addresses from an OpenStreetMap extract (.osm.pbf through libosmium) and
// from the official house coordinates (HK-DE, ETRS89/UTM zones 32 and 33 through PROJ), then
// finding them the way citizens type and pin, on both backends. Fixtures and how they were made:
// tests/fixtures/gazetteer/README.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "bot/geo/import.hpp"
#include "bot/geo/import_hk.hpp"
#include "bot/geo/import_osm.hpp"
#include "support/engine_harness.hpp"
#include "support/gazetteer_backend.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

using bb::geo::GazetteerImport;
using bb::geo::LatLon;
using bb::geo::Match;

const std::string kDir = std::string(BB_FIXTURE_DIR) + "/gazetteer/";

const bb::geo::AddressRecord* findAddress(const GazetteerImport& g, const std::string& street,
                                          const std::string& number) {
  for (const auto& a : g.addresses) {
    if (a.street == street && a.number == number) {
      return &a;
    }
  }
  return nullptr;
}

const bb::geo::PlaceRecord* findPlace(const GazetteerImport& g, const std::string& name) {
  for (const auto& p : g.places) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

//! The imported data in a real database of either backend, for lookups.
struct Imported : bb::test::GazetteerOn {
  Imported(bb::test::Backend backend, const GazetteerImport& data) : GazetteerOn(backend) {
    REQUIRE(gazetteer->replace(data));
  }
};

// 1e-6 degrees of latitude are 0.11 m.
constexpr double kHalfMetre = 5e-6;

}  // namespace

TEST_CASE("gazetteer import osm: addresses on nodes and buildings, streets, places") {
  CHECK(bb::geo::formatOfFile(kDir + "ebersberg-small.osm.pbf") == "osm");
  auto g = bb::geo::readGazetteerFile(kDir + "ebersberg-small.osm.pbf", "osm");
  REQUIRE(g.has_value());
  CHECK(g->format == "osm");
  CHECK(g->licence == "ODbL 1.0, © OpenStreetMap contributors");
  CHECK(g->source == "OpenStreetMap extract ebersberg-small.osm.pbf");

  // Nodes with an address, the town hall's outline by its centre, a hamlet's addr:place.
  CHECK(g->addresses.size() == 5);
  const auto* one = findAddress(*g, "Marienplatz", "1");
  REQUIRE(one != nullptr);
  CHECK(one->postcode == "85560");
  CHECK(one->city == "Ebersberg");
  CHECK(one->at.lat == doctest::Approx(48.0777).epsilon(1e-9));
  CHECK(one->at.lon == doctest::Approx(11.9706).epsilon(1e-9));
  REQUIRE(findAddress(*g, "Marienplatz", "2a") != nullptr);
  const auto* hall = findAddress(*g, "Marienplatz", "3");
  REQUIRE(hall != nullptr);  // the closing node counted once: the square's centre
  CHECK(hall->at.lat == doctest::Approx(48.0777).epsilon(1e-9));
  CHECK(hall->at.lon == doctest::Approx(11.9709).epsilon(1e-9));
  REQUIRE(findAddress(*g, "Oberndorf", "4") != nullptr);
  REQUIRE(findAddress(*g, "Eberhardstraße", "2") != nullptr);

  // Streets without numbers: Am Priel at its longer way's middle node, in the addresses' town;
  // Eberhardstraße has numbers and is no street record; the cut way keeps its known node.
  std::vector<std::string> streets;
  for (const auto& s : g->streets) {
    streets.push_back(s.name);
    if (s.name == "Am Priel") {
      CHECK(s.at.lat == doctest::Approx(48.0760).epsilon(1e-9));
      CHECK(s.at.lon == doctest::Approx(11.9720).epsilon(1e-9));
      CHECK(s.city == "Ebersberg");
    }
  }
  std::sort(streets.begin(), streets.end());
  CHECK(streets == std::vector<std::string>{"Am Priel", "Randweg"});

  // Places: the town hall, the station (kind "station"), the park at its centre; not the bench
  // (no name) nor a name without a place tag.
  CHECK(g->places.size() == 3);
  REQUIRE(findPlace(*g, "Rathaus") != nullptr);
  CHECK(findPlace(*g, "Rathaus")->kind == "townhall");
  REQUIRE(findPlace(*g, "Ebersberg (Oberbay)") != nullptr);
  CHECK(findPlace(*g, "Ebersberg (Oberbay)")->kind == "station");
  const auto* park = findPlace(*g, "Klostersee-Park");
  REQUIRE(park != nullptr);
  CHECK(park->kind == "park");
  CHECK(park->at.lat == doctest::Approx((48.0730 + 48.0730 + 48.0740) / 3).epsilon(1e-9));
  CHECK(findPlace(*g, "Gedenkstein") == nullptr);
}

TEST_CASE_TEMPLATE("gazetteer import osm: the imported town is found as citizens type and pin",
                   B, OnSqlite, OnPostgresql) {
  auto g = bb::geo::readGazetteerFile(kDir + "ebersberg-small.osm.pbf", "osm");
  REQUIRE(g.has_value());
  Imported town(B::backend, *g);
  auto r = town.find("marienplatz 2 A");
  REQUIRE(r.match == Match::Found);
  CHECK(r.candidates.at(0).label == "Marienplatz 2a, 85560 Ebersberg");
  r = town.find("Eberhardstrasse 2");
  REQUIRE(r.match == Match::Found);
  CHECK(r.candidates.at(0).at.lat == doctest::Approx(48.07712).epsilon(1e-9));
  r = town.find("Am Priell");  // a street without numbers, with a typo
  REQUIRE(r.match == Match::Found);
  CHECK(r.candidates.at(0).at.lat == doctest::Approx(48.0760).epsilon(1e-9));
  r = town.find("beim Rathaus");
  REQUIRE(r.match == Match::Found);
  auto near = town.gazetteer->reverse(LatLon{48.07772, 11.97062}, 150);
  REQUIRE(near.has_value());
  REQUIRE(near->has_value());
  CHECK((*near)->label == "Marienplatz 1");
}

TEST_CASE("gazetteer import osm: a file that is no extract changes nothing and says why") {
  auto g = bb::geo::readGazetteerFile(kDir + "hk-zone32.txt", "osm");
  REQUIRE_FALSE(g.has_value());
  CHECK(g.error().detail.find("not a readable .osm.pbf file") != std::string::npos);
  g = bb::geo::readGazetteerFile(kDir + "missing.osm.pbf", "osm");
  REQUIRE_FALSE(g.has_value());
}

TEST_CASE("gazetteer import hk: a record's fields, zone prefix and decimal comma") {
  auto r = bb::geo::parseHkLine(
      ";DEBYBDLM00000002;A;09;1;75;115;0001;00101;2;a;32721258,509;5329214,911;Marienplatz;"
      "85560;Ebersberg;;");
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->street == "Marienplatz");
  CHECK((*r)->number == "2a");
  CHECK((*r)->postcode == "85560");
  CHECK((*r)->city == "Ebersberg");
  CHECK((*r)->zone == 32);
  CHECK((*r)->easting == doctest::Approx(721258.509).epsilon(1e-12));
  CHECK((*r)->northing == doctest::Approx(5329214.911).epsilon(1e-12));
  // Skipped: the header, a comment, an empty line, a record marked deleted.
  for (const char* skip : {"NBA;OI;QUA;LAN;RBZ;KRS;GMD;OTT;SSS;HNR;ADZ;OST;NORD;STN;PLZ;ONM;ZON;POT",
                           "# Hauskoordinaten", "  ",
                           "L;X;A;09;1;75;115;0001;00102;4;;32721120,142;5329128,323;A;85560;E;;"}) {
    auto s = bb::geo::parseHkLine(skip);
    REQUIRE(s.has_value());
    CHECK_FALSE(s->has_value());
  }
  // Not records: too few fields, no position, a zone outside Germany.
  for (const char* bad : {"a;b;c", ";X;A;09;1;75;115;0001;00101;2;;;;Marienplatz;85560;E;;",
                          ";X;A;09;1;75;115;0001;00101;2;;31721258,509;5329214,911;M;85560;E;;"}) {
    CHECK_FALSE(bb::geo::parseHkLine(bad).has_value());
  }
}

TEST_CASE_TEMPLATE("gazetteer import hk: zone 32 (Bavaria) to WGS84, latitude first, within half a metre",
                   B, OnSqlite, OnPostgresql) {
  auto g = bb::geo::readGazetteerFile(kDir + "hk-zone32.txt", "hk");
  REQUIRE(g.has_value());
  CHECK(g->format == "hk");
  CHECK(g->source == "hk-zone32.txt");
  CHECK(g->addresses.size() == 3);  // the deleted record is not imported
  const auto* one = findAddress(*g, "Marienplatz", "1");
  REQUIRE(one != nullptr);
  CHECK(std::abs(one->at.lat - 48.0777) < kHalfMetre);
  CHECK(std::abs(one->at.lon - 11.9706) < kHalfMetre);
  const auto* two = findAddress(*g, "Eberhardstraße", "2");
  REQUIRE(two != nullptr);
  CHECK(std::abs(two->at.lat - 48.07712) < kHalfMetre);
  CHECK(std::abs(two->at.lon - 11.96927) < kHalfMetre);
  CHECK(findAddress(*g, "Eberhardstraße", "4") == nullptr);

  Imported town(B::backend, *g);
  auto r = town.find("Marienplatz 2 a");
  REQUIRE(r.match == Match::Found);
  CHECK(r.candidates.at(0).label == "Marienplatz 2a, 85560 Ebersberg");
  CHECK(std::abs(r.candidates.at(0).at.lat - 48.07778) < kHalfMetre);
  auto near = town.gazetteer->reverse(LatLon{48.07713, 11.96928}, 150);
  REQUIRE(near.has_value());
  REQUIRE(near->has_value());
  CHECK((*near)->label == "Eberhardstraße 2");
}

TEST_CASE("gazetteer import hk: zone 33 (Berlin, Saxony) with CRLF line ends") {
  auto g = bb::geo::readGazetteerFile(kDir + "hk-zone33.txt", "hk");
  REQUIRE(g.has_value());
  REQUIRE(g->addresses.size() == 2);
  const auto* berlin = findAddress(*g, "Rathausstraße", "15");
  REQUIRE(berlin != nullptr);
  CHECK(berlin->city == "Berlin");
  CHECK(std::abs(berlin->at.lat - 52.5186) < kHalfMetre);
  CHECK(std::abs(berlin->at.lon - 13.4081) < kHalfMetre);
  const auto* dresden = findAddress(*g, "Dr.-Külz-Ring", "19");
  REQUIRE(dresden != nullptr);
  CHECK(dresden->postcode == "01067");
  CHECK(std::abs(dresden->at.lat - 51.0474) < kHalfMetre);
  CHECK(std::abs(dresden->at.lon - 13.7396) < kHalfMetre);
  // The same easting read as zone 32 would lie about 400 km west: the prefix matters.
  auto as32 = bb::geo::utmToWgs84(32, 391986.146, 5819911.806);
  REQUIRE(as32.has_value());
  CHECK(bb::geo::distanceMeters(*as32, berlin->at) > 300'000);
}

TEST_CASE("gazetteer import hk: a bad line is named by its number, a Latin-1 file is refused") {
  auto g = bb::geo::parseHk("NBA;OI\n;X;A;09;1;75;115;0001;00101;1;;32721249,916;5329205,675;"
                            "Marienplatz;85560;Ebersberg;;\nkaputt;\n");
  REQUIRE_FALSE(g.has_value());
  CHECK(g.error().detail.rfind("line 3: ", 0) == 0);
  g = bb::geo::parseHk(";X;A;09;1;75;115;0001;00101;1;;32721249,916;5329205,675;"
                       "Eberhardstra\xdf"
                       "e;85560;Ebersberg;;\n");
  REQUIRE_FALSE(g.has_value());
  CHECK(g.error().detail.find("iconv") != std::string::npos);
}
