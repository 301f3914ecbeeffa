#include "bot/geo/import.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bot/geo/import_csv.hpp"
#include "bot/geo/import_hk.hpp"
#include "bot/geo/import_osm.hpp"

namespace bb::geo {

std::string formatOfFile(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const std::string pbf = ".osm.pbf";
  if (name.size() > pbf.size() && name.compare(name.size() - pbf.size(), pbf.size(), pbf) == 0) {
    return "osm";
  }
  return "csv";
}

Result<GazetteerImport> readGazetteerFile(const std::string& path, const std::string& format) {
  if (format != "csv" && format != "osm" && format != "hk") {
    return fail(ErrorCode::InvalidInput, "unknown format (csv, osm or hk)");
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return fail(ErrorCode::NotFound, "cannot read the file");
  }
  if (size > kMaxGazetteerFileBytes) {
    return fail(ErrorCode::InvalidInput, "file too large");
  }
  if (format == "osm") {
    return readOsmPbf(path);
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return fail(ErrorCode::NotFound, "cannot read the file");
  }
  auto parsed = format == "hk" ? parseHk(text.str()) : parseGazetteerCsv(text.str());
  if (!parsed) {
    return parsed;
  }
  if (parsed->source.empty()) {
    parsed->source = std::filesystem::path(path).filename().string();
  }
  return parsed;
}

}  // namespace bb::geo
