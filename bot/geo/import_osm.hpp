#pragma once
// An OpenStreetMap extract (.osm.pbf, read with libosmium) as a gazetteer:
// - addresses: `addr:housenumber` with `addr:street` (or `addr:place` where a hamlet has no
//   streets) on nodes, and on building ways at the centre of their outline;
// - streets without numbered addresses: named `highway=*` ways, at the middle node of the
//   street's longest way, in the town most addresses name;
// - named places: `amenity`, `leisure`, `tourism`, `shop`, `office`, `historic`, stations and
//   `place=*` nodes and ways, with that tag's value as their kind ("townhall", "park", ...).
// Relations (multipolygon buildings) and interpolation ways are not read: in a town extract
// their addresses are few, and the numbered nodes at both ends of an interpolation are.

#include <string>

#include "bot/geo/gazetteer.hpp"
#include "bot/result.hpp"

namespace bb::geo {

//! "ODbL 1.0, © OpenStreetMap contributors": addresses from OpenStreetMap shown to the public
//! carry this attribution.
inline constexpr const char* kOsmLicence = "ODbL 1.0, © OpenStreetMap contributors";

//! Reads the extract at `path`; a file that is no .osm.pbf is an InvalidInput error.
Result<GazetteerImport> readOsmPbf(const std::string& path);

}  // namespace bb::geo
