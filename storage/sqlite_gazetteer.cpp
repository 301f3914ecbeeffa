#include "storage/sqlite_gazetteer.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "bot/geo/street_lines.hpp"
#include "storage/millis.hpp"

namespace bb::storage {

namespace {

constexpr double kCellDegrees = 0.002;
constexpr std::int64_t kCellRow = 200000;
constexpr std::int64_t kLonOffset = 100000;
constexpr double kMaxIntersectionGapM = 250;
constexpr int kMaxRings = 5;

geo::LatLon pointOf(SQLite::Statement& q, int lat_column) {
  return geo::LatLon{q.getColumn(lat_column).getDouble(), q.getColumn(lat_column + 1).getDouble()};
}

std::vector<geo::LatLon> streetPoints(SQLite::Database& db, const geo::StreetEntry& street) {
  std::vector<geo::LatLon> points;
  SQLite::Statement own(db, "SELECT lat, lon FROM gazetteer_streets WHERE id = ?");
  own.bind(1, street.id);
  if (own.executeStep()) {
    points.push_back(pointOf(own, 0));
  }
  SQLite::Statement q(db, "SELECT lat, lon FROM gazetteer_points WHERE street_id = ?");
  q.bind(1, street.id);
  while (q.executeStep()) {
    points.push_back(pointOf(q, 0));
  }
  return points;
}

//! The numbered address on `street`, else the same number without its suffix ("12a" → "12"),
//! else a point on the street itself.
geo::Candidate resolve(SQLite::Database& db, const geo::StreetEntry& street,
                       const std::string& number) {
  std::vector<std::string> tries;
  if (!number.empty()) {
    tries.push_back(number);
    const std::size_t digits = number.find_first_not_of("0123456789");
    if (digits != std::string::npos && digits > 0) {
      tries.push_back(number.substr(0, digits));
    }
  }
  for (const std::string& key : tries) {
    SQLite::Statement q(db,
                        "SELECT number, lat, lon FROM gazetteer_points "
                        "WHERE street_id = ? AND number_key = ? LIMIT 1");
    q.bind(1, street.id);
    q.bind(2, key);
    if (q.executeStep()) {
      return geo::Candidate{
          geo::addressLabel(street.name, q.getColumn(0).getString(), street.postcode, street.city),
          pointOf(q, 1)};
    }
  }
  SQLite::Statement q(db, "SELECT lat, lon FROM gazetteer_streets WHERE id = ?");
  q.bind(1, street.id);
  geo::LatLon at;
  if (q.executeStep()) {
    at = pointOf(q, 0);
  }
  return geo::Candidate{geo::addressLabel(street.name, "", street.postcode, street.city), at};
}

std::optional<geo::Candidate> intersection(SQLite::Database& db, const geo::StreetEntry& a,
                                           const geo::StreetEntry& b) {
  const std::vector<geo::LatLon> pa = streetPoints(db, a);
  const std::vector<geo::LatLon> pb = streetPoints(db, b);
  double best = kMaxIntersectionGapM;
  std::optional<geo::Candidate> out;
  for (const geo::LatLon& x : pa) {
    for (const geo::LatLon& y : pb) {
      const double d = geo::distanceMeters(x, y);
      if (d <= best) {
        best = d;
        out = geo::Candidate{"Ecke " + a.name + " / " + b.name,
                             geo::LatLon{(x.lat + y.lat) / 2, (x.lon + y.lon) / 2}};
      }
    }
  }
  if (out && (!a.postcode.empty() || !a.city.empty())) {
    out->label = geo::addressLabel(out->label, "", a.postcode, a.city);
  }
  return out;
}

geo::ForwardResult answer(std::vector<geo::Candidate> candidates) {
  geo::ForwardResult result;
  if (candidates.size() > 3) {
    candidates.resize(3);
  }
  result.match = candidates.empty()       ? geo::Match::NotFound
                 : candidates.size() == 1 ? geo::Match::Found
                                          : geo::Match::Ambiguous;
  result.candidates = std::move(candidates);
  return result;
}

geo::ForwardResult lookup(SQLite::Database& db, const geo::AddressQuery& query,
                          const geo::Shortlist& list) {
  if (list.elsewhere) {
    return geo::ForwardResult{geo::Match::Elsewhere, {}};
  }
  std::vector<geo::Candidate> candidates;
  if (!query.cross_key.empty()) {
    for (const geo::StreetEntry* a : list.streets) {
      for (const geo::StreetEntry* b : list.cross) {
        if (auto c = intersection(db, *a, *b)) {
          candidates.push_back(std::move(*c));
        }
      }
    }
    return answer(std::move(candidates));
  }
  for (const geo::StreetEntry* street : list.streets) {
    candidates.push_back(resolve(db, *street, query.number));
  }
  for (const geo::PlaceEntry* place : list.places) {
    candidates.push_back(geo::Candidate{place->name, place->at});
  }
  return answer(std::move(candidates));
}

struct StreetKey {
  std::string name;
  std::string postcode;
  std::string city;
  bool operator<(const StreetKey& o) const {
    return std::tie(name, postcode, city) < std::tie(o.name, o.postcode, o.city);
  }
};

struct StreetSum {
  double lat = 0;
  double lon = 0;
  int n = 0;
  bool fixed = false;  //!< a point from the street's geometry: used as is
};

void writeStreets(SQLite::Database& db, const geo::GazetteerImport& data,
                  std::map<StreetKey, std::int64_t>& ids) {
  std::map<StreetKey, StreetSum> sums;
  for (const geo::StreetRecord& s : data.streets) {
    sums[StreetKey{s.name, s.postcode, s.city}] = StreetSum{s.at.lat, s.at.lon, 1, true};
  }
  for (const geo::AddressRecord& a : data.addresses) {
    StreetSum& sum = sums[StreetKey{a.street, a.postcode, a.city}];
    if (!sum.fixed) {
      sum.lat += a.at.lat;
      sum.lon += a.at.lon;
      ++sum.n;
    }
  }
  SQLite::Statement insert(db,
                           "INSERT INTO gazetteer_streets (name, key, postcode, city, lat, lon) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& [key, sum] : sums) {
    insert.reset();
    insert.bind(1, key.name);
    insert.bind(2, geo::nameKey(key.name));
    insert.bind(3, key.postcode);
    insert.bind(4, key.city);
    insert.bind(5, sum.lat / sum.n);
    insert.bind(6, sum.lon / sum.n);
    insert.exec();
    ids[key] = db.getLastInsertRowid();
  }
}

void writeAll(SQLite::Database& db, const geo::GazetteerImport& data, std::int64_t now) {
  db.exec("DELETE FROM gazetteer_points");
  db.exec("DELETE FROM gazetteer_streets");
  db.exec("DELETE FROM gazetteer_places");
  db.exec("DELETE FROM gazetteer_source");
  std::map<StreetKey, std::int64_t> ids;
  writeStreets(db, data, ids);
  SQLite::Statement point(db,
                          "INSERT INTO gazetteer_points (street_id, number, number_key, lat, lon, "
                          "cell) VALUES (?, ?, ?, ?, ?, ?)");
  for (const geo::AddressRecord& a : data.addresses) {
    point.reset();
    point.bind(1, ids.at(StreetKey{a.street, a.postcode, a.city}));
    point.bind(2, a.number);
    point.bind(3, geo::numberKey(a.number));
    point.bind(4, a.at.lat);
    point.bind(5, a.at.lon);
    point.bind(6, SqliteGazetteer::cellOf(a.at));
    point.exec();
  }
  SQLite::Statement place(db,
                          "INSERT INTO gazetteer_places (name, key, kind, lat, lon) "
                          "VALUES (?, ?, ?, ?, ?)");
  for (const geo::PlaceRecord& p : data.places) {
    place.reset();
    place.bind(1, p.name);
    place.bind(2, geo::nameKey(p.name));
    place.bind(3, p.kind);
    place.bind(4, p.at.lat);
    place.bind(5, p.at.lon);
    place.exec();
  }
  SQLite::Statement source(db,
                           "INSERT INTO gazetteer_source (id, source, licence, format, imported_at) "
                           "VALUES (1, ?, ?, ?, ?)");
  source.bind(1, data.source);
  source.bind(2, data.licence);
  source.bind(3, data.format);
  source.bind(4, now);
  source.exec();
}

}  // namespace

std::int64_t SqliteGazetteer::cellOf(geo::LatLon at) {
  const auto row = static_cast<std::int64_t>(std::floor(at.lat / kCellDegrees));
  const auto col = static_cast<std::int64_t>(std::floor(at.lon / kCellDegrees));
  return row * kCellRow + col + kLonOffset;
}

Result<std::int64_t> SqliteGazetteer::importStamp() {
  return db_.read([](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT imported_at FROM gazetteer_source WHERE id = 1");
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

Result<std::shared_ptr<const SqliteGazetteer::Names>> SqliteGazetteer::names() {
  auto stamp = importStamp();
  if (!stamp) {
    return fail(stamp.error().code, stamp.error().detail);
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (names_ && names_->imported_at == *stamp) {
      return names_;
    }
  }
  auto loaded = db_.read([](SQLite::Database& db) {
    auto names = std::make_shared<Names>();
    SQLite::Statement s(db, "SELECT id, name, key, postcode, city FROM gazetteer_streets");
    while (s.executeStep()) {
      geo::StreetEntry e;
      e.id = s.getColumn(0).getInt64();
      e.name = s.getColumn(1).getString();
      e.key = s.getColumn(2).getString();
      e.postcode = s.getColumn(3).getString();
      e.city = s.getColumn(4).getString();
      e.city_key = geo::nameKey(e.city);
      names->streets.push_back(std::move(e));
    }
    SQLite::Statement p(db, "SELECT id, name, key, lat, lon FROM gazetteer_places");
    while (p.executeStep()) {
      names->places.push_back(geo::PlaceEntry{p.getColumn(0).getInt64(), p.getColumn(1).getString(),
                                              p.getColumn(2).getString(), pointOf(p, 3)});
    }
    return names;
  });
  if (!loaded) {
    return fail(loaded.error().code, loaded.error().detail);
  }
  (*loaded)->imported_at = *stamp;
  const std::lock_guard<std::mutex> lock(mutex_);
  names_ = *loaded;
  return names_;
}

Result<geo::ForwardResult> SqliteGazetteer::forward(const std::string& text) {
  const auto query = geo::parseAddress(text);
  if (!query) {
    return geo::ForwardResult{};
  }
  auto loaded = names();
  if (!loaded) {
    return fail(loaded.error().code, loaded.error().detail);
  }
  const std::shared_ptr<const Names> held = *loaded;
  if (held->streets.empty() && held->places.empty()) {
    return geo::ForwardResult{geo::Match::Empty, {}};
  }
  const geo::Shortlist list = geo::shortlist(*query, held->streets, held->places);
  return db_.read([&](SQLite::Database& db) { return lookup(db, *query, list); });
}

Result<std::optional<geo::NearestAddress>> SqliteGazetteer::reverse(geo::LatLon at, double max_m) {
  const double cell_m = kCellDegrees * 111320.0 * std::cos(at.lat * 3.14159265358979 / 180.0);
  const int rings =
      std::clamp(static_cast<int>(std::ceil(max_m / std::max(cell_m, 1.0))), 1, kMaxRings);
  return db_.read([&](SQLite::Database& db) -> std::optional<geo::NearestAddress> {
    const std::int64_t centre = cellOf(at);
    SQLite::Statement q(db,
                        "SELECT s.name, p.number, p.lat, p.lon FROM gazetteer_points p "
                        "JOIN gazetteer_streets s ON s.id = p.street_id "
                        "WHERE p.cell BETWEEN ? AND ?");
    std::optional<geo::NearestAddress> best;
    for (int row = -rings; row <= rings; ++row) {
      const std::int64_t first = centre + row * kCellRow - rings;
      q.reset();
      q.bind(1, first);
      q.bind(2, first + 2 * rings);
      while (q.executeStep()) {
        const geo::LatLon p = pointOf(q, 2);
        const double d = geo::distanceMeters(at, p);
        if (d <= max_m && (!best || d < best->distance_m)) {
          best = geo::NearestAddress{
              q.getColumn(0).getString() + " " + q.getColumn(1).getString(), p, d};
        }
      }
    }
    return best;
  });
}

Result<void> SqliteGazetteer::replace(const geo::GazetteerImport& data) {
  const std::int64_t now = toMillis(clock_.now());
  return db_.write([&data, now](SQLite::Database& db) { writeAll(db, data, now); });
}

Result<std::optional<geo::GazetteerInfo>> SqliteGazetteer::info() {
  return db_.read([](SQLite::Database& db) -> std::optional<geo::GazetteerInfo> {
    SQLite::Statement q(db,
                        "SELECT source, licence, format, imported_at, "
                        "(SELECT count(*) FROM gazetteer_points), "
                        "(SELECT count(*) FROM gazetteer_streets), "
                        "(SELECT count(*) FROM gazetteer_places) "
                        "FROM gazetteer_source WHERE id = 1");
    if (!q.executeStep()) {
      return std::nullopt;
    }
    return geo::GazetteerInfo{q.getColumn(0).getString(), q.getColumn(1).getString(),
                              q.getColumn(2).getString(), q.getColumn(3).getInt64(),
                              q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
                              q.getColumn(6).getInt64()};
  });
}

namespace {

//! Every street with its address points (a street without addresses: its own point).
std::vector<geo::StreetPoints> allStreetPoints(SQLite::Database& db) {
  std::vector<geo::StreetPoints> out;
  SQLite::Statement q(db,
                      "SELECT s.id, s.name, s.lat, s.lon, p.lat, p.lon FROM gazetteer_streets s "
                      "LEFT JOIN gazetteer_points p ON p.street_id = s.id ORDER BY s.id");
  std::int64_t current = -1;
  while (q.executeStep()) {
    if (q.getColumn(0).getInt64() != current) {
      current = q.getColumn(0).getInt64();
      out.push_back(geo::StreetPoints{q.getColumn(1).getString(), {}});
      if (q.getColumn(4).isNull()) { out.back().points.push_back(pointOf(q, 2)); }
    }
    if (!q.getColumn(4).isNull()) { out.back().points.push_back(pointOf(q, 4)); }
  }
  return out;
}

}  // namespace

Result<geo::StreetLines> SqliteGazetteer::streetLines() {
  auto stamp = importStamp();
  if (!stamp) { return fail(stamp.error().code, stamp.error().detail); }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (lines_ && lines_stamp_ == *stamp) { return lines_; }
  }
  // Built once per import (a town's few thousand streets take milliseconds), outside the lock.
  auto points = db_.read([](SQLite::Database& db) { return allStreetPoints(db); });
  if (!points) { return fail(points.error().code, points.error().detail); }
  auto lines = std::make_shared<const std::vector<geo::StreetLine>>(geo::buildStreetLines(*points));
  const std::lock_guard<std::mutex> lock(mutex_);
  lines_ = lines;
  lines_stamp_ = *stamp;
  return lines_;
}

}  // namespace bb::storage
