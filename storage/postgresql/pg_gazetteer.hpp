#pragma once
// The gazetteer on PostgreSQL (tables gazetteer_*): the same answers as storage/sqlite_gazetteer
// (the lookup around the SQL is shared, storage/gazetteer_lookup.hpp). The street and place
// names are held in memory for the typo scan and reloaded when any instance or
// `buergerbox gazetteer import` replaced the data; house numbers and the reverse grid are looked
// up through their indexes. An import is one transaction of multi-row INSERTs.

#include "bot/geo/gazetteer.hpp"
#include "bot/ports.hpp"
#include "storage/gazetteer_lookup.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgGazetteer final : public geo::Gazetteer {
public:
  PgGazetteer(PgDatabase& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<geo::ForwardResult> forward(const std::string& text) override;
  Result<std::optional<geo::NearestAddress>> reverse(geo::LatLon at, double max_m) override;
  Result<void> replace(const geo::GazetteerImport& data) override;
  Result<std::optional<geo::GazetteerInfo>> info() override;
  Result<geo::StreetLines> streetLines() override;

private:
  Result<std::int64_t> importStamp();

  PgDatabase& db_;
  const Clock& clock_;
  GazetteerMemo memo_;
};

}  // namespace bb::storage::pg
