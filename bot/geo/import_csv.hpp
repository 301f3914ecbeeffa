#pragma once
// The gazetteer's own text format ("csv"): a small hand-made or converted list of addresses,
// streets and named places in WGS84, one per line, fields separated by ';':
//
//   # comment
//   address;<street>;<house number>;<postcode>;<town>;<lat>;<lon>
//   street;<street>;;<postcode>;<town>;<lat>;<lon>       (a point on a street without numbers)
//   place;<name>;<kind>;;;<lat>;<lon>                    (Rathaus, Bahnhof, a school, a park)
//
// Lines "#source: …" and "#licence: …" name the data's source and licence.

#include <string>
#include <string_view>

#include "bot/geo/gazetteer.hpp"
#include "bot/result.hpp"

namespace bb::geo {

//! Parses the whole file; an error names the first bad line by its number (never its content).
Result<GazetteerImport> parseGazetteerCsv(std::string_view text);

}  // namespace bb::geo
