#pragma once
// Reading a gazetteer file for `buergerbox gazetteer import` and for `flows.gazetteer_file`.

#include <string>

#include "bot/geo/gazetteer.hpp"
#include "bot/result.hpp"

namespace bb::geo {

//! Files larger than this are refused (a town's addresses are a few MB; Germany's 22 million
//! house coordinates are not meant for one town's chat).
inline constexpr std::size_t kMaxGazetteerFileBytes = std::size_t{512} * 1024 * 1024;

//! The format a file's name suggests when none is given: "osm" for *.osm.pbf, else "csv"
//! (house-coordinate files have no telling name: `--format hk`).
std::string formatOfFile(const std::string& path);

//! Reads `path` in `format`: "csv" (bot/geo/import_csv.hpp), "osm" (an .osm.pbf extract,
//! bot/geo/import_osm.hpp) or "hk" (HK-DE house coordinates, bot/geo/import_hk.hpp). The source defaults to the file's
//! name when the file does not name one.
Result<GazetteerImport> readGazetteerFile(const std::string& path, const std::string& format);

}  // namespace bb::geo
