// `buergerbox gazetteer import|info` through the real binary, with the demo gazetteer, on a
// SQLite file or a database of its own on the run's PostgreSQL server.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "support/server_database.hpp"
#include "support/server_process.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

Run gazetteer(const bb::test::ServerDatabase& database, const std::string& rest) {
  const auto run = bb::test::runCli("gazetteer " + rest, "config/demo.json", database.env());
  return Run{run.code, run.output + run.errors};
}

}  // namespace

TEST_CASE_TEMPLATE("cli: gazetteer import replaces the addresses and records source and licence", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  CHECK(gazetteer(database, "info").output.find("no gazetteer imported") != std::string::npos);

  const Run demo = gazetteer(database, "import config/ebersberg/gazetteer.csv");
  CHECK(demo.code == 0);
  CHECK(demo.output.find("Bürgerbox demo data") != std::string::npos);
  const std::int64_t demo_points = database.scalar("SELECT count(*) FROM gazetteer_points");
  CHECK(demo_points > 100);

  const std::string other = dir.path() + "/other.csv";
  std::ofstream(other) << "#source: Testdorf\n#licence: CC0\n"
                          "address;Dorfstraße;1;99999;Testdorf;48.0;11.9\n";
  const Run replaced = gazetteer(database, "import '" + other + "' --format csv");
  CHECK(replaced.code == 0);
  CHECK(database.scalar("SELECT count(*) FROM gazetteer_points") == 1);
  CHECK(database.scalar("SELECT count(*) FROM gazetteer_streets WHERE name = 'Marienplatz'") == 0);
  const Run info = gazetteer(database, "info");
  CHECK(info.output.find("source: Testdorf") != std::string::npos);
  CHECK(info.output.find("licence: CC0") != std::string::npos);
  CHECK(info.output.find("addresses: 1") != std::string::npos);

  SUBCASE("a bad file changes nothing") {
    std::ofstream(other) << "address;Dorfstraße;1;99999;Testdorf;not-a-number;11.9\n";
    const Run bad = gazetteer(database, "import '" + other + "'");
    CHECK(bad.code == 1);
    CHECK(bad.output.find("line 1") != std::string::npos);
    CHECK(database.scalar("SELECT count(*) FROM gazetteer_points") == 1);
  }
  SUBCASE("an unknown format is refused") {
    const Run bad = gazetteer(database, "import '" + other + "' --format shp");
    CHECK(bad.code == 1);
  }
}

TEST_CASE_TEMPLATE("cli: gazetteer import reads an OpenStreetMap extract and HK-DE house coordinates", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  const std::string fixtures = std::string(BB_FIXTURE_DIR) + "/gazetteer/";

  // The .osm.pbf name is enough to pick the format.
  const Run osm = gazetteer(database, "import '" + fixtures + "ebersberg-small.osm.pbf'");
  CHECK(osm.code == 0);
  CHECK(osm.output.find("imported 5 addresses, 2 streets without numbers and 3 places") !=
        std::string::npos);
  Run info = gazetteer(database, "info");
  CHECK(info.output.find("format: osm") != std::string::npos);
  CHECK(info.output.find("licence: ODbL 1.0, © OpenStreetMap contributors") != std::string::npos);
  // A time a person reads: local, never raw milliseconds.
  CHECK(info.output.find("imported_at_ms") == std::string::npos);
  CHECK(std::regex_search(info.output, std::regex(R"(imported: \d\d\.\d\d\.\d{4} \d\d:\d\d \(Europe/Berlin\))")));

  const Run hk = gazetteer(database, "import '" + fixtures +
                                        "hk-zone33.txt' --format hk --source 'HK Berlin "
                                        "2026-01' --licence 'dl-de/by-2-0'");
  CHECK(hk.code == 0);
  info = gazetteer(database, "info");
  CHECK(info.output.find("source: HK Berlin 2026-01") != std::string::npos);
  CHECK(info.output.find("licence: dl-de/by-2-0") != std::string::npos);
  CHECK(info.output.find("format: hk") != std::string::npos);
  CHECK(database.scalar("SELECT count(*) FROM gazetteer_points") == 2);
  CHECK(database.scalar("SELECT count(*) FROM gazetteer_points WHERE abs(lat - 52.5186) < 0.00001 "
                       "AND abs(lon - 13.4081) < 0.00001") == 1);

  // A house-coordinate file read as an extract changes nothing.
  const Run wrong = gazetteer(database, "import '" + fixtures + "hk-zone32.txt' --format osm");
  CHECK(wrong.code == 1);
  CHECK(database.scalar("SELECT count(*) FROM gazetteer_points") == 2);
}
