#pragma once
// The official German house coordinates (Hauskoordinaten Deutschland, HK-DE 4.2) as a
// gazetteer: one building address per line, fields separated by ';', positions in ETRS89/UTM.
// The East value carries the UTM zone as its first two digits ("32357221,733" = zone 32,
// easting 357221.733): zone 32 (EPSG:25832) in most states, 33 (EPSG:25833) in Berlin,
// Brandenburg, Mecklenburg-Vorpommern and Saxony. PROJ transforms them to WGS84.

#include <optional>
#include <string>
#include <string_view>

#include "bot/geo/gazetteer.hpp"
#include "bot/result.hpp"

namespace bb::geo {

//! One record as the file has it, before the transformation.
struct HkRecord {
  std::string street;
  std::string number;  //!< house number and addition: "12" + "a" → "12a"
  std::string postcode;
  std::string city;
  int zone = 0;         //!< 32 or 33
  double easting = 0;   //!< metres, without the zone prefix
  double northing = 0;  //!< metres
};

//! A data line; nullopt for a line to skip (a header, a comment, a record marked deleted);
//! an error for a line that is no record.
Result<std::optional<HkRecord>> parseHkLine(std::string_view line);

//! Reads the whole file (UTF-8; a Latin-1 file is refused with the iconv command to convert
//! it); an error names the first bad line by its number, never its content.
Result<GazetteerImport> parseHk(std::string_view text);

//! ETRS89/UTM `zone` → WGS84 (latitude, longitude), through PROJ.
Result<LatLon> utmToWgs84(int zone, double easting, double northing);

}  // namespace bb::geo
