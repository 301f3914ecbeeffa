#include "storage/sqlite_gazetteer.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/millis.hpp"

namespace bb::storage {

namespace {

geo::LatLon pointOf(SQLite::Statement& q, int lat_column) {
  return geo::LatLon{q.getColumn(lat_column).getDouble(), q.getColumn(lat_column + 1).getDouble()};
}

//! The rows a forward lookup reads, inside one read of the pool.
class SqliteRows final : public GazetteerRows {
public:
  explicit SqliteRows(SQLite::Database& db) : db_(db) {}

  std::optional<std::pair<std::string, geo::LatLon>> numbered(
      std::int64_t street_id, const std::string& number_key) override {
    SQLite::Statement q(db_,
                        "SELECT number, lat, lon FROM gazetteer_points "
                        "WHERE street_id = ? AND number_key = ? LIMIT 1");
    q.bind(1, street_id);
    q.bind(2, number_key);
    if (!q.executeStep()) { return std::nullopt; }
    return std::make_pair(q.getColumn(0).getString(), pointOf(q, 1));
  }

  std::optional<geo::LatLon> streetPoint(std::int64_t street_id) override {
    SQLite::Statement q(db_, "SELECT lat, lon FROM gazetteer_streets WHERE id = ?");
    q.bind(1, street_id);
    if (!q.executeStep()) { return std::nullopt; }
    return pointOf(q, 0);
  }

  std::vector<geo::LatLon> addressPoints(std::int64_t street_id) override {
    std::vector<geo::LatLon> points;
    SQLite::Statement q(db_, "SELECT lat, lon FROM gazetteer_points WHERE street_id = ?");
    q.bind(1, street_id);
    while (q.executeStep()) { points.push_back(pointOf(q, 0)); }
    return points;
  }

private:
  SQLite::Database& db_;
};

void writeAll(SQLite::Database& db, const geo::GazetteerImport& data, std::int64_t now) {
  db.exec("DELETE FROM gazetteer_points");
  db.exec("DELETE FROM gazetteer_streets");
  db.exec("DELETE FROM gazetteer_places");
  db.exec("DELETE FROM gazetteer_source");
  const ImportPlan plan = planImport(data);
  std::vector<std::int64_t> ids;
  SQLite::Statement insert(db,
                           "INSERT INTO gazetteer_streets (name, key, postcode, city, lat, lon) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
  for (const ImportStreet& s : plan.streets) {
    insert.reset();
    insert.bind(1, s.name);
    insert.bind(2, geo::nameKey(s.name));
    insert.bind(3, s.postcode);
    insert.bind(4, s.city);
    insert.bind(5, s.at.lat);
    insert.bind(6, s.at.lon);
    insert.exec();
    ids.push_back(db.getLastInsertRowid());
  }
  SQLite::Statement point(db,
                          "INSERT INTO gazetteer_points (street_id, number, number_key, lat, lon, "
                          "cell) VALUES (?, ?, ?, ?, ?, ?)");
  for (std::size_t i = 0; i < data.addresses.size(); ++i) {
    const geo::AddressRecord& a = data.addresses[i];
    point.reset();
    point.bind(1, ids.at(plan.address_street[i]));
    point.bind(2, a.number);
    point.bind(3, geo::numberKey(a.number));
    point.bind(4, a.at.lat);
    point.bind(5, a.at.lon);
    point.bind(6, gazetteerCell(a.at));
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

std::shared_ptr<GazetteerNames> loadNames(SQLite::Database& db) {
  auto names = std::make_shared<GazetteerNames>();
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
}

//! Every street with its address points (a street without addresses: its own point).
std::vector<geo::StreetPoints> allStreetPoints(SQLite::Database& db) {
  std::vector<geo::StreetPoints> out;
  SQLite::Statement q(db,
                      "SELECT s.id, s.name, s.lat, s.lon, p.lat, p.lon FROM gazetteer_streets s "
                      "LEFT JOIN gazetteer_points p ON p.street_id = s.id ORDER BY s.id");
  std::int64_t current = -1;
  while (q.executeStep()) {
    addStreetPointRow(out, current, q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                      pointOf(q, 2),
                      q.getColumn(4).isNull() ? std::nullopt
                                              : std::optional<geo::LatLon>(pointOf(q, 4)));
  }
  return out;
}

}  // namespace

Result<std::int64_t> SqliteGazetteer::importStamp() {
  return db_.read([](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT imported_at FROM gazetteer_source WHERE id = 1");
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

Result<geo::ForwardResult> SqliteGazetteer::forward(const std::string& text) {
  return forwardLookup(
      text, memo_, [this] { return importStamp(); },
      [this] { return db_.read(loadNames); },
      [this](const geo::AddressQuery& query, const geo::Shortlist& list) {
        return db_.read([&](SQLite::Database& db) {
          SqliteRows rows(db);
          return lookupShortlist(rows, query, list);
        });
      });
}

Result<std::optional<geo::NearestAddress>> SqliteGazetteer::reverse(geo::LatLon at, double max_m) {
  const int rings = reverseRings(at, max_m);
  return db_.read([&](SQLite::Database& db) -> std::optional<geo::NearestAddress> {
    const std::int64_t centre = gazetteerCell(at);
    SQLite::Statement q(db,
                        "SELECT s.name, p.number, p.lat, p.lon FROM gazetteer_points p "
                        "JOIN gazetteer_streets s ON s.id = p.street_id "
                        "WHERE p.cell BETWEEN ? AND ?");
    std::optional<geo::NearestAddress> best;
    for (int row = -rings; row <= rings; ++row) {
      const std::int64_t first = centre + row * kGazetteerCellRow - rings;
      q.reset();
      q.bind(1, first);
      q.bind(2, first + 2 * rings);
      while (q.executeStep()) {
        keepNearest(best, at, max_m,
                    q.getColumn(0).getString() + " " + q.getColumn(1).getString(), pointOf(q, 2));
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

Result<geo::StreetLines> SqliteGazetteer::streetLines() {
  auto stamp = importStamp();
  if (!stamp) { return fail(stamp.error().code, stamp.error().detail); }
  return memo_.lines(*stamp, [this] { return db_.read(allStreetPoints); });
}

}  // namespace bb::storage
