#pragma once
// The gazetteer port: the town's addresses, streets and named places with their coordinates,
// for turning typed text into a point (forward) and a pin into the nearest address (reverse).
// storage/sqlite_gazetteer implements it; the engine asks it when a flow says Geocode or
// LookupNearby. The matching rules (which street a typed name means) are pure and live here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/geo/address.hpp"
#include "bot/result.hpp"

namespace bb::geo {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

// ---- what an import brings ----

struct AddressRecord {
  std::string street;
  std::string number;  //!< as published, e.g. "12a"
  std::string postcode;
  std::string city;
  LatLon at;
};

//! A street known by its geometry only (no numbered addresses): a point on it.
struct StreetRecord {
  std::string name;
  std::string postcode;
  std::string city;
  LatLon at;
};

//! A named place: Rathaus, Bahnhof, a school, a park.
struct PlaceRecord {
  std::string name;
  std::string kind;  //!< e.g. "townhall", "station", "school", "park"
  LatLon at;
};

struct GazetteerImport {
  std::string source;   //!< e.g. "OpenStreetMap extract ebersberg.osm.pbf"
  std::string licence;  //!< e.g. "ODbL 1.0, © OpenStreetMap contributors"
  std::string format;   //!< "osm" | "hk" | "csv"
  std::vector<AddressRecord> addresses;
  std::vector<StreetRecord> streets;
  std::vector<PlaceRecord> places;
};

struct GazetteerInfo {
  std::string source;
  std::string licence;
  std::string format;
  std::int64_t imported_at_ms = 0;
  std::int64_t addresses = 0;
  std::int64_t streets = 0;
  std::int64_t places = 0;
};

// ---- answers ----

struct Candidate {
  std::string label;  //!< normalized for people: "Marienplatz 1, 85560 Ebersberg"
  LatLon at;
};

enum class Match {
  Found,      //!< one clear candidate
  Ambiguous,  //!< two or three candidates, closest first
  NotFound,   //!< nothing known by that name
  Elsewhere,  //!< a postcode or town that is not this gazetteer's: another town
  Empty,      //!< nothing was imported: the town has no gazetteer (typed text stays as it is)
};

struct ForwardResult {
  Match match = Match::NotFound;
  std::vector<Candidate> candidates;
};

struct NearestAddress {
  std::string label;  //!< "Marienplatz 1"
  LatLon at;
  double distance_m = 0;
};

//! A street's known points (its addresses, and its own point when it has no addresses).
struct StreetPoints {
  std::string name;
  std::vector<LatLon> points;
};

//! One piece of a street as a map draws it: at least two points, in drawing order
//! (bot/geo/street_lines.hpp).
struct StreetLine {
  std::string name;
  std::vector<LatLon> points;
};

using StreetLines = std::shared_ptr<const std::vector<StreetLine>>;

class Gazetteer {
public:
  virtual ~Gazetteer() = default;
  //! What the typed `text` names.
  virtual Result<ForwardResult> forward(const std::string& text) = 0;
  //! The nearest numbered address (or place) within `max_m` of `at`; nullopt when none.
  virtual Result<std::optional<NearestAddress>> reverse(LatLon at, double max_m) = 0;
  //! Replaces the whole gazetteer in one transaction (readers see the old or the new one).
  virtual Result<void> replace(const GazetteerImport& data) = 0;
  //! Source, licence and date of the current data; nullopt when nothing was imported.
  virtual Result<std::optional<GazetteerInfo>> info() = 0;
  //! The streets as lines for the inbox map, the same object until the next import; an
  //! implementation without street data answers none.
  virtual Result<StreetLines> streetLines() {
    return StreetLines(std::make_shared<const std::vector<StreetLine>>());
  }
};

// ---- the pure matching rules ----

//! A street as the matcher sees it (one row per name, postcode and town).
struct StreetEntry {
  std::int64_t id = 0;
  std::string name;
  std::string key;  //!< nameKey(name)
  std::string postcode;
  std::string city;
  std::string city_key;  //!< nameKey(city)
};

struct PlaceEntry {
  std::int64_t id = 0;
  std::string name;
  std::string key;
  LatLon at;
};

struct Shortlist {
  bool elsewhere = false;
  std::vector<const StreetEntry*> streets;  //!< the best matches, equally good, at most 3
  std::vector<const PlaceEntry*> places;    //!< the same for places (an exact place wins)
  std::vector<const StreetEntry*> cross;    //!< the second street of an intersection
};

//! Which streets and places `query` means: exact keys first, then the fewest typos within
//! typoAllowance(); a postcode or town that none of the streets has makes it `elsewhere`.
Shortlist shortlist(const AddressQuery& query, const std::vector<StreetEntry>& streets,
                    const std::vector<PlaceEntry>& places);

//! "Marienplatz 1, 85560 Ebersberg" (number and town only when known).
std::string addressLabel(const std::string& street, const std::string& number,
                         const std::string& postcode, const std::string& city);

//! Great-circle distance in metres.
double distanceMeters(LatLon a, LatLon b);

}  // namespace bb::geo
