#pragma once
// What the SQLite and PostgreSQL gazetteers do alike around their SQL: the reverse grid, the
// answer to a forward lookup from the shortlist (bot/geo/gazetteer.hpp has the matching rules),
// the rows an import writes, the street points of the map lines, and the names and lines held
// in memory per import. Each backend reads its rows through GazetteerRows; the results are the
// same on both.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bot/geo/gazetteer.hpp"

namespace bb::storage {

// ---- the reverse grid ----

//! The grid cell of a point (about 220 m × 150 m in Bavaria).
std::int64_t gazetteerCell(geo::LatLon at);
//! Cells of one grid row: the cells of a row next to `cell` are `cell ± kGazetteerCellRow`.
inline constexpr std::int64_t kGazetteerCellRow = 200000;
//! How many cells around the centre's a reverse lookup within `max_m` of `at` scans (1 to 5).
int reverseRings(geo::LatLon at, double max_m);
//! Keeps the address `label` at `p` in `best` when it is within `max_m` of `at` and nearer
//! than `best` (of two equally near, the first seen stays).
void keepNearest(std::optional<geo::NearestAddress>& best, geo::LatLon at, double max_m,
                 const std::string& label, geo::LatLon p);

// ---- forward ----

//! What a forward lookup reads of the stored gazetteer.
class GazetteerRows {
public:
  virtual ~GazetteerRows() = default;
  //! The address with `number_key` on the street: its number as published and its point.
  virtual std::optional<std::pair<std::string, geo::LatLon>> numbered(
      std::int64_t street_id, const std::string& number_key) = 0;
  //! The street's own point; none when the street is not there.
  virtual std::optional<geo::LatLon> streetPoint(std::int64_t street_id) = 0;
  //! The points of the street's addresses.
  virtual std::vector<geo::LatLon> addressPoints(std::int64_t street_id) = 0;
};

//! The candidates `query` finds among the shortlist's streets and places (numbered address,
//! the number without its suffix, the street; or the intersection of two streets), at most 3.
geo::ForwardResult lookupShortlist(GazetteerRows& rows, const geo::AddressQuery& query,
                                   const geo::Shortlist& list);

// ---- import ----

//! A street row an import writes: one per name, postcode and town, at the point from its
//! geometry or else at the mean of its addresses.
struct ImportStreet {
  std::string name;
  std::string postcode;
  std::string city;
  geo::LatLon at;
};

struct ImportPlan {
  std::vector<ImportStreet> streets;         //!< in the order their ids are given out
  std::vector<std::size_t> address_street;   //!< per address of the import: its street's index
};

ImportPlan planImport(const geo::GazetteerImport& data);

// ---- street lines ----

//! Adds one row of (street id, name, the street's own point, an address point or none), read in
//! street id order, to the streets' points (a street without addresses: its own point).
void addStreetPointRow(std::vector<geo::StreetPoints>& out, std::int64_t& current,
                       std::int64_t street_id, const std::string& name, geo::LatLon own,
                       std::optional<geo::LatLon> point);

// ---- held in memory per import ----

struct GazetteerNames {
  std::int64_t imported_at = -1;
  std::vector<geo::StreetEntry> streets;
  std::vector<geo::PlaceEntry> places;
};

//! The street and place names for the typo scan and the map's street lines, each built once per
//! import (`stamp`, the import's time) and shared by the callers until the next import.
class GazetteerMemo {
public:
  using LoadNames = std::function<Result<std::shared_ptr<GazetteerNames>>()>;
  using LoadPoints = std::function<Result<std::vector<geo::StreetPoints>>()>;

  Result<std::shared_ptr<const GazetteerNames>> names(std::int64_t stamp, const LoadNames& load);
  Result<geo::StreetLines> lines(std::int64_t stamp, const LoadPoints& load);

private:
  std::mutex mutex_;
  std::shared_ptr<const GazetteerNames> names_;
  std::int64_t lines_stamp_ = -1;  //!< the import the street lines were built from
  geo::StreetLines lines_;
};

//! The forward lookup of both backends: `text` taken apart, matched against the names of the
//! current import (`stamp` reads its time) and answered through `read` (a backend's rows,
//! inside its read).
Result<geo::ForwardResult> forwardLookup(
    const std::string& text, GazetteerMemo& memo,
    const std::function<Result<std::int64_t>()>& stamp, const GazetteerMemo::LoadNames& load,
    const std::function<Result<geo::ForwardResult>(const geo::AddressQuery&,
                                                   const geo::Shortlist&)>& read);

}  // namespace bb::storage
