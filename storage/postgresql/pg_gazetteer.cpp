#include "storage/postgresql/pg_gazetteer.hpp"

#include <algorithm>
#include <functional>

#include "bot/log.hpp"
#include "storage/millis.hpp"

namespace bb::storage::pg {

namespace {

//! Rows per INSERT of an import (7 parameters at most each, far below PostgreSQL's 65,535).
constexpr std::size_t kImportBatch = 1000;

geo::LatLon pointOf(const Rows& rows, int row, int lat_column) {
  return geo::LatLon{rows.real(row, lat_column), rows.real(row, lat_column + 1)};
}

//! The rows a forward lookup reads, on one connection. Rows come in the order SQLite's indexes
//! give them (number key, then id), so that equally good answers are the same on both.
class PgRows final : public GazetteerRows {
public:
  explicit PgRows(Session& s) : s_(s) {}

  std::optional<std::pair<std::string, geo::LatLon>> numbered(
      std::int64_t street_id, const std::string& number_key) override {
    Rows rows = s_.run("SELECT number, lat, lon FROM gazetteer_points "
                       "WHERE street_id = $1 AND number_key = $2 ORDER BY id LIMIT 1",
                       street_id, number_key);
    if (rows.empty()) { return std::nullopt; }
    return std::make_pair(rows.text(0, 0), pointOf(rows, 0, 1));
  }

  std::optional<geo::LatLon> streetPoint(std::int64_t street_id) override {
    Rows rows = s_.run("SELECT lat, lon FROM gazetteer_streets WHERE id = $1", street_id);
    if (rows.empty()) { return std::nullopt; }
    return pointOf(rows, 0, 0);
  }

  std::vector<geo::LatLon> addressPoints(std::int64_t street_id) override {
    Rows rows = s_.run("SELECT lat, lon FROM gazetteer_points WHERE street_id = $1 "
                       "ORDER BY number_key COLLATE \"C\", id",
                       street_id);
    std::vector<geo::LatLon> points;
    for (int i = 0; i < rows.size(); ++i) { points.push_back(pointOf(rows, i, 0)); }
    return points;
  }

private:
  Session& s_;
};

//! Inserts `count` rows into `into` ("table (columns)"), `width` parameters each, which `row`
//! appends for row i; one multi-row INSERT per kImportBatch rows.
void insertBatched(Session& s, const std::string& into, std::size_t width, std::size_t count,
                   const std::function<void(std::size_t, std::vector<Param>&)>& row) {
  for (std::size_t from = 0; from < count; from += kImportBatch) {
    const std::size_t to = std::min(count, from + kImportBatch);
    std::string sql = "INSERT INTO " + into + " VALUES ";
    std::vector<Param> params;
    params.reserve((to - from) * width);
    for (std::size_t i = from; i < to; ++i) {
      sql += i == from ? "(" : ", (";
      for (std::size_t k = 1; k <= width; ++k) {
        sql += (k == 1 ? "$" : ", $") + std::to_string(params.size() + k);
      }
      sql += ")";
      row(i, params);
    }
    s.exec(sql, params);
  }
}

//! Street ids for the plan's streets, ascending in its order, from the table's own sequence.
std::vector<std::int64_t> streetIds(Session& s, std::size_t count) {
  Rows rows = s.run("SELECT nextval(pg_get_serial_sequence('gazetteer_streets', 'id')) "
                    "FROM generate_series(1, $1::bigint)",
                    static_cast<std::int64_t>(count));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < rows.size(); ++i) { ids.push_back(rows.int64(i, 0)); }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void writeAll(Session& s, const geo::GazetteerImport& data, std::int64_t now) {
  // DELETE, not TRUNCATE: readers keep the old data until the commit instead of waiting.
  s.script("DELETE FROM gazetteer_points; DELETE FROM gazetteer_streets; "
           "DELETE FROM gazetteer_places; DELETE FROM gazetteer_source");
  const ImportPlan plan = planImport(data);
  const std::vector<std::int64_t> ids = streetIds(s, plan.streets.size());
  insertBatched(s, "gazetteer_streets (id, name, key, postcode, city, lat, lon)", 7,
                plan.streets.size(), [&](std::size_t i, std::vector<Param>& p) {
                  const ImportStreet& street = plan.streets[i];
                  p.insert(p.end(), {param(ids.at(i)), param(street.name),
                                     param(geo::nameKey(street.name)), param(street.postcode),
                                     param(street.city), param(street.at.lat),
                                     param(street.at.lon)});
                });
  insertBatched(s, "gazetteer_points (street_id, number, number_key, lat, lon, cell)", 6,
                data.addresses.size(), [&](std::size_t i, std::vector<Param>& p) {
                  const geo::AddressRecord& a = data.addresses[i];
                  p.insert(p.end(), {param(ids.at(plan.address_street[i])), param(a.number),
                                     param(geo::numberKey(a.number)), param(a.at.lat),
                                     param(a.at.lon), param(gazetteerCell(a.at))});
                });
  insertBatched(s, "gazetteer_places (name, key, kind, lat, lon)", 5, data.places.size(),
                [&](std::size_t i, std::vector<Param>& p) {
                  const geo::PlaceRecord& place = data.places[i];
                  p.insert(p.end(), {param(place.name), param(geo::nameKey(place.name)),
                                     param(place.kind), param(place.at.lat),
                                     param(place.at.lon)});
                });
  s.run("INSERT INTO gazetteer_source (id, source, licence, format, imported_at) "
        "VALUES (1, $1, $2, $3, $4)",
        data.source, data.licence, data.format, now);
}

std::shared_ptr<GazetteerNames> loadNames(Session& s) {
  auto names = std::make_shared<GazetteerNames>();
  Rows streets = s.run("SELECT id, name, key, postcode, city FROM gazetteer_streets ORDER BY id");
  for (int i = 0; i < streets.size(); ++i) {
    geo::StreetEntry e;
    e.id = streets.int64(i, 0);
    e.name = streets.text(i, 1);
    e.key = streets.text(i, 2);
    e.postcode = streets.text(i, 3);
    e.city = streets.text(i, 4);
    e.city_key = geo::nameKey(e.city);
    names->streets.push_back(std::move(e));
  }
  Rows places = s.run("SELECT id, name, key, lat, lon FROM gazetteer_places ORDER BY id");
  for (int i = 0; i < places.size(); ++i) {
    names->places.push_back(geo::PlaceEntry{places.int64(i, 0), places.text(i, 1),
                                            places.text(i, 2), pointOf(places, i, 3)});
  }
  return names;
}

//! Every street with its address points (a street without addresses: its own point).
std::vector<geo::StreetPoints> allStreetPoints(Session& s) {
  Rows rows = s.run("SELECT s.id, s.name, s.lat, s.lon, p.lat, p.lon FROM gazetteer_streets s "
                    "LEFT JOIN gazetteer_points p ON p.street_id = s.id "
                    "ORDER BY s.id, p.number_key COLLATE \"C\", p.id");
  std::vector<geo::StreetPoints> out;
  std::int64_t current = -1;
  for (int i = 0; i < rows.size(); ++i) {
    addStreetPointRow(out, current, rows.int64(i, 0), rows.text(i, 1), pointOf(rows, i, 2),
                      rows.isNull(i, 4) ? std::nullopt
                                        : std::optional<geo::LatLon>(pointOf(rows, i, 4)));
  }
  return out;
}

}  // namespace

Result<std::int64_t> PgGazetteer::importStamp() {
  return db_.withConnection([](Session& s) -> std::int64_t {
    Rows rows = s.run("SELECT imported_at FROM gazetteer_source WHERE id = 1");
    return rows.empty() ? 0 : rows.int64(0, 0);
  });
}

Result<geo::ForwardResult> PgGazetteer::forward(const std::string& text) {
  return forwardLookup(
      text, memo_, [this] { return importStamp(); },
      [this] { return db_.transaction(loadNames); },
      [this](const geo::AddressQuery& query, const geo::Shortlist& list) {
        return db_.withConnection([&](Session& s) {
          PgRows rows(s);
          return lookupShortlist(rows, query, list);
        });
      });
}

Result<std::optional<geo::NearestAddress>> PgGazetteer::reverse(geo::LatLon at, double max_m) {
  const int rings = reverseRings(at, max_m);
  return db_.withConnection([&](Session& s) -> std::optional<geo::NearestAddress> {
    // The cells of each grid row around the centre's, in the order SQLite scans them.
    Rows rows = s.run(
        "SELECT s.name, p.number, p.lat, p.lon FROM generate_series(-$2::bigint, $2::bigint) "
        "AS r(k) JOIN gazetteer_points p ON p.cell BETWEEN $1::bigint + r.k * $3::bigint - $2 "
        "AND $1::bigint + r.k * $3::bigint + $2 JOIN gazetteer_streets s ON s.id = p.street_id "
        "ORDER BY r.k, p.cell, p.id",
        gazetteerCell(at), rings, kGazetteerCellRow);
    std::optional<geo::NearestAddress> best;
    for (int i = 0; i < rows.size(); ++i) {
      keepNearest(best, at, max_m, rows.text(i, 0) + " " + rows.text(i, 1), pointOf(rows, i, 2));
    }
    return best;
  });
}

Result<void> PgGazetteer::replace(const geo::GazetteerImport& data) {
  const std::int64_t now = toMillis(clock_.now());
  auto done = db_.transaction([&data, now](Session& s) { writeAll(s, data, now); });
  if (done) {
    // Not part of the import: without it the lookups still work, once autovacuum analyzes.
    auto analyzed = db_.withConnection([](Session& s) {
      s.script("ANALYZE gazetteer_points; ANALYZE gazetteer_streets; ANALYZE gazetteer_places");
    });
    if (!analyzed) {
      log::warn("gazetteer_analyze_failed", {{"code", toString(analyzed.error().code)}});
    }
  }
  return done;
}

Result<std::optional<geo::GazetteerInfo>> PgGazetteer::info() {
  return db_.withConnection([](Session& s) -> std::optional<geo::GazetteerInfo> {
    Rows rows = s.run("SELECT source, licence, format, imported_at, "
                      "(SELECT count(*) FROM gazetteer_points), "
                      "(SELECT count(*) FROM gazetteer_streets), "
                      "(SELECT count(*) FROM gazetteer_places) "
                      "FROM gazetteer_source WHERE id = 1");
    if (rows.empty()) { return std::nullopt; }
    return geo::GazetteerInfo{rows.text(0, 0),  rows.text(0, 1),  rows.text(0, 2),
                              rows.int64(0, 3), rows.int64(0, 4), rows.int64(0, 5),
                              rows.int64(0, 6)};
  });
}

Result<geo::StreetLines> PgGazetteer::streetLines() {
  auto stamp = importStamp();
  if (!stamp) { return fail(stamp.error().code, stamp.error().detail); }
  return memo_.lines(*stamp, [this] { return db_.withConnection(allStreetPoints); });
}

}  // namespace bb::storage::pg
