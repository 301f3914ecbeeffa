#include "storage/gazetteer_lookup.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "bot/geo/street_lines.hpp"

namespace bb::storage {

namespace {

constexpr double kCellDegrees = 0.002;
constexpr std::int64_t kLonOffset = 100000;
constexpr double kMaxIntersectionGapM = 250;
constexpr int kMaxRings = 5;

std::vector<geo::LatLon> streetPoints(GazetteerRows& rows, const geo::StreetEntry& street) {
  std::vector<geo::LatLon> points;
  if (auto own = rows.streetPoint(street.id)) { points.push_back(*own); }
  for (const geo::LatLon& p : rows.addressPoints(street.id)) { points.push_back(p); }
  return points;
}

//! The numbered address on `street`, else the same number without its suffix ("12a" → "12"),
//! else a point on the street itself.
geo::Candidate resolve(GazetteerRows& rows, const geo::StreetEntry& street,
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
    if (auto found = rows.numbered(street.id, key)) {
      return geo::Candidate{
          geo::addressLabel(street.name, found->first, street.postcode, street.city),
          found->second};
    }
  }
  return geo::Candidate{geo::addressLabel(street.name, "", street.postcode, street.city),
                        rows.streetPoint(street.id).value_or(geo::LatLon{})};
}

std::optional<geo::Candidate> intersection(GazetteerRows& rows, const geo::StreetEntry& a,
                                           const geo::StreetEntry& b) {
  const std::vector<geo::LatLon> pa = streetPoints(rows, a);
  const std::vector<geo::LatLon> pb = streetPoints(rows, b);
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

}  // namespace

std::int64_t gazetteerCell(geo::LatLon at) {
  const auto row = static_cast<std::int64_t>(std::floor(at.lat / kCellDegrees));
  const auto col = static_cast<std::int64_t>(std::floor(at.lon / kCellDegrees));
  return row * kGazetteerCellRow + col + kLonOffset;
}

int reverseRings(geo::LatLon at, double max_m) {
  const double cell_m = kCellDegrees * 111320.0 * std::cos(at.lat * 3.14159265358979 / 180.0);
  return std::clamp(static_cast<int>(std::ceil(max_m / std::max(cell_m, 1.0))), 1, kMaxRings);
}

void keepNearest(std::optional<geo::NearestAddress>& best, geo::LatLon at, double max_m,
                 const std::string& label, geo::LatLon p) {
  const double d = geo::distanceMeters(at, p);
  if (d <= max_m && (!best || d < best->distance_m)) {
    best = geo::NearestAddress{label, p, d};
  }
}

geo::ForwardResult lookupShortlist(GazetteerRows& rows, const geo::AddressQuery& query,
                                   const geo::Shortlist& list) {
  if (list.elsewhere) {
    return geo::ForwardResult{geo::Match::Elsewhere, {}};
  }
  std::vector<geo::Candidate> candidates;
  if (!query.cross_key.empty()) {
    for (const geo::StreetEntry* a : list.streets) {
      for (const geo::StreetEntry* b : list.cross) {
        if (auto c = intersection(rows, *a, *b)) {
          candidates.push_back(std::move(*c));
        }
      }
    }
    return answer(std::move(candidates));
  }
  for (const geo::StreetEntry* street : list.streets) {
    candidates.push_back(resolve(rows, *street, query.number));
  }
  for (const geo::PlaceEntry* place : list.places) {
    candidates.push_back(geo::Candidate{place->name, place->at});
  }
  return answer(std::move(candidates));
}

ImportPlan planImport(const geo::GazetteerImport& data) {
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
  ImportPlan plan;
  std::map<StreetKey, std::size_t> index;
  for (const auto& [key, sum] : sums) {
    index[key] = plan.streets.size();
    plan.streets.push_back(ImportStreet{key.name, key.postcode, key.city,
                                        geo::LatLon{sum.lat / sum.n, sum.lon / sum.n}});
  }
  plan.address_street.reserve(data.addresses.size());
  for (const geo::AddressRecord& a : data.addresses) {
    plan.address_street.push_back(index.at(StreetKey{a.street, a.postcode, a.city}));
  }
  return plan;
}

void addStreetPointRow(std::vector<geo::StreetPoints>& out, std::int64_t& current,
                       std::int64_t street_id, const std::string& name, geo::LatLon own,
                       std::optional<geo::LatLon> point) {
  if (street_id != current) {
    current = street_id;
    out.push_back(geo::StreetPoints{name, {}});
    if (!point) { out.back().points.push_back(own); }
  }
  if (point) { out.back().points.push_back(*point); }
}

Result<std::shared_ptr<const GazetteerNames>> GazetteerMemo::names(std::int64_t stamp,
                                                                   const LoadNames& load) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (names_ && names_->imported_at == stamp) {
      return names_;
    }
  }
  auto loaded = load();
  if (!loaded) {
    return fail(loaded.error().code, loaded.error().detail);
  }
  (*loaded)->imported_at = stamp;
  const std::lock_guard<std::mutex> lock(mutex_);
  names_ = *loaded;
  return names_;
}

Result<geo::StreetLines> GazetteerMemo::lines(std::int64_t stamp, const LoadPoints& load) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (lines_ && lines_stamp_ == stamp) { return lines_; }
  }
  // Built once per import (a town's few thousand streets take milliseconds), outside the lock.
  auto points = load();
  if (!points) { return fail(points.error().code, points.error().detail); }
  auto lines = std::make_shared<const std::vector<geo::StreetLine>>(geo::buildStreetLines(*points));
  const std::lock_guard<std::mutex> lock(mutex_);
  lines_ = lines;
  lines_stamp_ = stamp;
  return lines_;
}

Result<geo::ForwardResult> forwardLookup(
    const std::string& text, GazetteerMemo& memo,
    const std::function<Result<std::int64_t>()>& stamp, const GazetteerMemo::LoadNames& load,
    const std::function<Result<geo::ForwardResult>(const geo::AddressQuery&,
                                                   const geo::Shortlist&)>& read) {
  const auto query = geo::parseAddress(text);
  if (!query) {
    return geo::ForwardResult{};
  }
  auto imported = stamp();
  if (!imported) {
    return fail(imported.error().code, imported.error().detail);
  }
  auto loaded = memo.names(*imported, load);
  if (!loaded) {
    return fail(loaded.error().code, loaded.error().detail);
  }
  const std::shared_ptr<const GazetteerNames> held = *loaded;
  if (held->streets.empty() && held->places.empty()) {
    return geo::ForwardResult{geo::Match::Empty, {}};
  }
  const geo::Shortlist list = geo::shortlist(*query, held->streets, held->places);
  return read(*query, list);
}

}  // namespace bb::storage
