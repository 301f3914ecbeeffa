#include "bot/geo/import.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bot/geo/import_csv.hpp"

namespace bb::geo {

Result<GazetteerImport> readGazetteerFile(const std::string& path, const std::string& format) {
  if (format != "csv") {
    return fail(ErrorCode::InvalidInput, "unknown format (csv)");
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return fail(ErrorCode::NotFound, "cannot read the file");
  }
  if (size > kMaxGazetteerFileBytes) {
    return fail(ErrorCode::InvalidInput, "file too large");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return fail(ErrorCode::NotFound, "cannot read the file");
  }
  auto parsed = parseGazetteerCsv(text.str());
  if (!parsed) {
    return parsed;
  }
  if (parsed->source.empty()) {
    parsed->source = std::filesystem::path(path).filename().string();
  }
  return parsed;
}

}  // namespace bb::geo
