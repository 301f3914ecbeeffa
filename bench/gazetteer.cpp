// bench gazetteer: forward (typed address, with typos) and reverse (nearest address of a pin)
// lookups through the real SqliteGazetteer on the real Database reader pool, at 100,000
// addresses (1,000 streets × 100 numbers; `--smoke`: 2,000). Floor in the same run: a
// primary-key SELECT of one gazetteer point through the same reader pool.
#include <chrono>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/load_client.hpp"
#include "bot/geo/gazetteer.hpp"
#include "bot/ports.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_gazetteer.hpp"

namespace bb::bench {

namespace {

constexpr int kNumbersPerStreet = 100;
const char* const kStems[] = {"Linden", "Birken", "Eichen", "Kastanien", "Ahorn", "Buchen",
                              "Tannen", "Fichten", "Rosen", "Tulpen"};
const char* const kKinds[] = {"straße", "weg", "platz", "allee"};
const char* const kPrefixes[] = {
    "Aiblinger", "Berger", "Chamer", "Dachauer", "Erdinger", "Freisinger", "Grafinger",
    "Haager", "Ismaninger", "Jettenbacher", "Kirchheimer", "Landshuter", "Moosacher",
    "Neubiberger", "Ottobrunner", "Poinger", "Rosenheimer", "Starnberger", "Tegernseer",
    "Unterhachinger", "Vaterstettener", "Wasserburger", "Zornedinger", "Anzinger", "Baldhamer"};
constexpr std::size_t kStreetNames = 10 * 4 * 25;

//! 1,000 distinct street names ("Aiblinger Lindenstraße"), far apart in spelling.
std::string streetName(int i) {
  return fmt::format("{} {}{}", kPrefixes[(i / 40) % 25], kStems[i % 10], kKinds[(i / 10) % 4]);
}

geo::LatLon pointOf(int street, int number) {
  // Streets on a grid over about 10 km × 10 km; numbers 10 m apart along each.
  const double lat = 48.0 + (street / 45) * 0.002 + number * 0.00009 * (street % 2);
  const double lon = 11.9 + (street % 45) * 0.003 + number * 0.00013 * (1 - street % 2);
  return geo::LatLon{lat, lon};
}

std::unique_ptr<storage::Database> openDb(const std::string& path) {
  storage::DatabaseOptions o;
  o.path = path;
  auto db = storage::Database::open(o);
  if (!db) { throw std::runtime_error("open: " + db.error().detail); }
  Result<int> version = fail(ErrorCode::Internal, "not run");
  auto run = (*db)->exclusive([&version](SQLite::Database& raw) { version = storage::migrate(raw); });
  if (!run || !version) { throw std::runtime_error("migrate failed"); }
  return std::move(*db);
}

template <class F>
std::vector<std::uint32_t> timeEach(int n, F&& f) {
  std::vector<std::uint32_t> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f(i);
    us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count()));
  }
  return us;
}

//! "Lindenstraße 12" typed with one letter changed, "str." or a suffix, as people do.
std::string typed(int street, int number, int variant) {
  std::string name = streetName(street);
  switch (variant % 4) {
    case 0: return fmt::format("{} {}", name, number);
    case 1: return fmt::format("{} {}a", name, number);
    case 2: {
      // One letter of the stem changed ("Aiblinger Lixdenstraße").
      const std::size_t at = name.find(' ') + 3;
      name[at] = name[at] == 'x' ? 'y' : 'x';
      return fmt::format("{} {}", name, number);
    }
    default: return fmt::format("{}, 85560 Teststadt", fmt::format("{} {}", name, number));
  }
}

}  // namespace

int benchGazetteer(const Options& o) {
  const int streets = o.smoke ? 20 : static_cast<int>(kStreetNames);
  const long n = static_cast<long>(streets) * kNumbersPerStreet;
  TempDir dir;
  auto db = openDb(dir.path() + "/gazetteer.sqlite");
  SystemClock clock;
  storage::SqliteGazetteer gazetteer(*db, clock);
  geo::GazetteerImport data;
  data.source = "bench";
  data.licence = "-";
  data.format = "csv";
  for (int s = 0; s < streets; ++s) {
    for (int k = 1; k <= kNumbersPerStreet; ++k) {
      data.addresses.push_back(geo::AddressRecord{streetName(s), std::to_string(k), "85560",
                                                  "Teststadt", pointOf(s, k)});
    }
  }
  const auto import_start = std::chrono::steady_clock::now();
  if (!gazetteer.replace(data)) {
    std::cerr << "gazetteer: import failed\n";
    return 2;
  }
  const double import_ms = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - import_start)
                               .count();
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> pick_street(0, streets - 1);
  std::uniform_int_distribution<int> pick_number(1, kNumbersPerStreet);
  std::uniform_int_distribution<std::int64_t> pick_id(1, n);
  const int iterations = o.smoke ? 20 : 1000;
  bool ok = true;
  (void)gazetteer.forward("Lindenstraße 1");  // loads the street names once, like a server

  auto floor_us = timeEach(iterations, [&](int) {
    const std::int64_t id = pick_id(rng);
    auto r = db->read([id](SQLite::Database& raw) {
      SQLite::Statement q(raw, "SELECT lat FROM gazetteer_points WHERE id = ?");
      q.bind(1, id);
      return q.executeStep();
    });
    ok = ok && r && *r;
  });
  auto forward_us = timeEach(iterations, [&](int i) {
    const int s = pick_street(rng);
    const int k = pick_number(rng);
    auto r = gazetteer.forward(typed(s, k, i));
    ok = ok && r && r->match == geo::Match::Found && !r->candidates.empty() &&
         r->candidates[0].label.rfind(streetName(s) + " " + std::to_string(k) + ",", 0) == 0;
  });
  auto reverse_us = timeEach(iterations, [&](int) {
    const int s = pick_street(rng);
    const int k = pick_number(rng);
    geo::LatLon at = pointOf(s, k);
    at.lat += 0.00002;
    auto r = gazetteer.reverse(at, 150);
    ok = ok && r && r->has_value();
  });
  db->close();

  const auto pf = percentiles(floor_us);
  const auto pw = percentiles(forward_us);
  const auto pr = percentiles(reverse_us);
  const std::vector<Row> rows = {
      // In µs: the floor (one primary-key select) is a few hundredths of a millisecond.
      {"forward lookup p95 (typed, with typos and suffixes)", pw.p95_ms * 1000, "µs",
       "pk select p95", pf.p95_ms * 1000, "< 5 ms", pw.p95_ms < 5},
      {"reverse lookup p95 (nearest address of a pin)", pr.p95_ms * 1000, "µs", "pk select p95",
       pf.p95_ms * 1000, "< 1 ms", pr.p95_ms < 1},
      {"import (replace, one transaction)", import_ms, "ms", "", 0, "-", true},
  };
  const bool met = printTable(fmt::format("gazetteer ({} addresses, {} streets)", n, streets), rows);
  if (!ok) {
    std::cerr << "gazetteer: a lookup returned a wrong or empty answer\n";
    return 1;
  }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
