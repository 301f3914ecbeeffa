#include "bot/geo/gazetteer.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace bb::geo {

namespace {

constexpr std::size_t kMaxCandidates = 3;

//! The fewest typos between the query's keys and `key`, or more than the allowance.
std::size_t keyDistance(const std::string& key, const std::string& bare, const std::string& key_to) {
  std::size_t fewest = std::string::npos;
  for (const std::string* k : {&key, &bare}) {
    if (k->empty()) {
      continue;
    }
    const std::size_t bound = typoAllowance(k->size());
    const std::size_t d = editDistance(*k, key_to, bound);
    if (d <= bound) {
      fewest = std::min(fewest, d);
    }
  }
  return fewest;
}

template <class Entry>
std::vector<const Entry*> best(const std::vector<Entry>& entries, const std::string& key,
                               const std::string& bare, std::size_t& distance) {
  std::vector<const Entry*> out;
  distance = std::string::npos;
  for (const Entry& e : entries) {
    const std::size_t d = keyDistance(key, bare, e.key);
    if (d == std::string::npos || d > distance) {
      continue;
    }
    if (d < distance) {
      out.clear();
      distance = d;
    }
    out.push_back(&e);
  }
  return out;
}

bool townKnown(const std::string& town_key, const std::vector<StreetEntry>& streets) {
  const std::size_t bound = typoAllowance(town_key.size());
  return std::any_of(streets.begin(), streets.end(), [&](const StreetEntry& s) {
    return !s.city_key.empty() && editDistance(town_key, s.city_key, bound) <= bound;
  });
}

//! Keeps the streets in the typed postcode or town when some are (a name can exist in two
//! villages of one municipality).
std::vector<const StreetEntry*> narrow(std::vector<const StreetEntry*> hits, const AddressQuery& q) {
  const auto keep = [&](auto pred) {
    std::vector<const StreetEntry*> in;
    std::copy_if(hits.begin(), hits.end(), std::back_inserter(in), pred);
    if (!in.empty()) {
      hits = std::move(in);
    }
  };
  if (!q.postcode.empty()) {
    keep([&](const StreetEntry* s) { return s->postcode == q.postcode; });
  }
  if (!q.town_key.empty()) {
    keep([&](const StreetEntry* s) { return s->city_key == q.town_key; });
  }
  if (hits.size() > kMaxCandidates) {
    hits.resize(kMaxCandidates);
  }
  return hits;
}

}  // namespace

Shortlist shortlist(const AddressQuery& query, const std::vector<StreetEntry>& streets,
                    const std::vector<PlaceEntry>& places) {
  Shortlist out;
  if (!query.postcode.empty()) {
    const bool known = std::any_of(streets.begin(), streets.end(), [&](const StreetEntry& s) {
      return s.postcode == query.postcode;
    });
    if (!known) {
      out.elsewhere = true;
      return out;
    }
  }
  if (!query.town_key.empty() && !townKnown(query.town_key, streets)) {
    out.elsewhere = true;
    return out;
  }
  std::size_t street_distance = std::string::npos;
  std::vector<const StreetEntry*> hits =
      best(streets, query.street_key, query.bare_key, street_distance);
  std::size_t place_distance = std::string::npos;
  std::vector<const PlaceEntry*> place_hits;
  if (query.cross_key.empty()) {
    place_hits = best(places, query.street_key, query.bare_key, place_distance);
  }
  // The closer kind of name wins; on a tie both are offered (a street "Bahnhof" and the station).
  if (place_distance < street_distance) {
    hits.clear();
  } else if (street_distance < place_distance) {
    place_hits.clear();
  }
  out.streets = narrow(std::move(hits), query);
  if (place_hits.size() > kMaxCandidates) {
    place_hits.resize(kMaxCandidates);
  }
  out.places = std::move(place_hits);
  if (!query.cross_key.empty()) {
    std::size_t cross_distance = std::string::npos;
    out.cross = narrow(best(streets, query.cross_key, std::string(), cross_distance), query);
  }
  return out;
}

std::string addressLabel(const std::string& street, const std::string& number,
                         const std::string& postcode, const std::string& city) {
  std::string label = street;
  if (!number.empty()) {
    label += " " + number;
  }
  std::string town = postcode;
  if (!city.empty()) {
    town += town.empty() ? city : " " + city;
  }
  if (!town.empty()) {
    label += ", " + town;
  }
  return label;
}

double distanceMeters(LatLon a, LatLon b) {
  constexpr double kEarthRadius = 6371000.0;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (b.lat - a.lat) * kRad;
  const double dlon = (b.lon - a.lon) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace bb::geo
