#pragma once
// The gazetteer on SQLite (tables gazetteer_*). The street and place names are held in memory
// for the typo scan (a town has a few thousand streets) and reloaded when another process
// (`buergerbox gazetteer import`) replaced the data; house numbers and the reverse grid are
// looked up through their indexes.

#include <memory>
#include <mutex>

#include "bot/geo/gazetteer.hpp"
#include "bot/ports.hpp"
#include "storage/database.hpp"

namespace bb::storage {

class SqliteGazetteer final : public geo::Gazetteer {
public:
  SqliteGazetteer(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<geo::ForwardResult> forward(const std::string& text) override;
  Result<std::optional<geo::NearestAddress>> reverse(geo::LatLon at, double max_m) override;
  Result<void> replace(const geo::GazetteerImport& data) override;
  Result<std::optional<geo::GazetteerInfo>> info() override;
  Result<geo::StreetLines> streetLines() override;

  //! The grid cell of a point (about 220 m × 150 m in Bavaria).
  static std::int64_t cellOf(geo::LatLon at);

private:
  struct Names {
    std::int64_t imported_at = -1;
    std::vector<geo::StreetEntry> streets;
    std::vector<geo::PlaceEntry> places;
  };
  Result<std::shared_ptr<const Names>> names();
  Result<std::int64_t> importStamp();

  Database& db_;
  const Clock& clock_;
  std::mutex mutex_;
  std::shared_ptr<const Names> names_;
  std::int64_t lines_stamp_ = -1;  //!< the import the street lines were built from
  geo::StreetLines lines_;
};

}  // namespace bb::storage
