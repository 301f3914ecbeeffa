#pragma once
// The gazetteer on SQLite (tables gazetteer_*). The street and place names are held in memory
// for the typo scan (a town has a few thousand streets) and reloaded when another process
// (`buergerbox gazetteer import`) replaced the data; house numbers and the reverse grid are
// looked up through their indexes.

#include "bot/geo/gazetteer.hpp"
#include "bot/ports.hpp"
#include "storage/database.hpp"
#include "storage/gazetteer_lookup.hpp"

namespace bb::storage {

class SqliteGazetteer final : public geo::Gazetteer {
public:
  SqliteGazetteer(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<geo::ForwardResult> forward(const std::string& text) override;
  Result<std::optional<geo::NearestAddress>> reverse(geo::LatLon at, double max_m) override;
  Result<void> replace(const geo::GazetteerImport& data) override;
  Result<std::optional<geo::GazetteerInfo>> info() override;
  Result<geo::StreetLines> streetLines() override;

private:
  Result<std::int64_t> importStamp();

  Database& db_;
  const Clock& clock_;
  GazetteerMemo memo_;
};

}  // namespace bb::storage
