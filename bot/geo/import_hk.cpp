#include "bot/geo/import_hk.hpp"

#include <proj.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

#include "bot/text/utf8.hpp"

namespace bb::geo {

namespace {

// Field positions of HK-DE 4.2 (0-based).
constexpr std::size_t kNba = 0;
constexpr std::size_t kNumber = 9;
constexpr std::size_t kAddition = 10;
constexpr std::size_t kEast = 11;
constexpr std::size_t kNorth = 12;
constexpr std::size_t kStreet = 13;
constexpr std::size_t kPostcode = 14;
constexpr std::size_t kTown = 15;
constexpr std::size_t kMinFields = 16;

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\"");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r\"");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(';', start);
    out.push_back(trimmed(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos || out.size() > 32) {
      return out;
    }
    start = end + 1;
  }
}

//! "357221,733" (decimal comma, as the file has it) or with a point.
std::optional<double> decimal(std::string s) {
  for (char& c : s) {
    if (c == ',') {
      c = '.';
    }
  }
  double value = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

struct ProjDeleter {
  void operator()(PJ* p) const { proj_destroy(p); }
};
struct ContextDeleter {
  void operator()(PJ_CONTEXT* c) const { proj_context_destroy(c); }
};

}  // namespace

Result<std::optional<HkRecord>> parseHkLine(std::string_view line) {
  const std::string whole = trimmed(line);
  if (whole.empty() || whole[0] == '#') {
    return std::optional<HkRecord>{};
  }
  const std::vector<std::string> f = fields(line);
  if (f[kNba] == "NBA") {
    return std::optional<HkRecord>{};  // the header line
  }
  if (f.size() < kMinFields) {
    return fail(ErrorCode::InvalidInput, "not an HK-DE record (too few fields)");
  }
  if (f[kNba] == "L") {
    return std::optional<HkRecord>{};  // marked deleted
  }
  const auto east = decimal(f[kEast]);
  const auto north = decimal(f[kNorth]);
  if (!east || !north || f[kStreet].empty() || f[kNumber].empty()) {
    return fail(ErrorCode::InvalidInput, "not an HK-DE record (street, number or position)");
  }
  // The zone is the East value's first two digits: 32 357221,733 m.
  const int zone = static_cast<int>(std::floor(*east / 1'000'000.0));
  if (zone != 32 && zone != 33) {
    return fail(ErrorCode::InvalidInput,
                "UTM zone " + std::to_string(zone) + " (Germany has zones 32 and 33)");
  }
  HkRecord r;
  r.street = f[kStreet];
  r.number = f[kNumber] + f[kAddition];
  r.postcode = f[kPostcode];
  r.city = f[kTown];
  r.zone = zone;
  r.easting = *east - zone * 1'000'000.0;
  r.northing = *north;
  return std::optional<HkRecord>{std::move(r)};
}

Result<LatLon> utmToWgs84(int zone, double easting, double northing) {
  // One transformation per zone and thread: creating one reads proj.db.
  struct Transforms {
    std::unique_ptr<PJ_CONTEXT, ContextDeleter> context{proj_context_create()};
    std::unique_ptr<PJ, ProjDeleter> zone32;
    std::unique_ptr<PJ, ProjDeleter> zone33;
  };
  thread_local Transforms t;
  std::unique_ptr<PJ, ProjDeleter>& slot = zone == 32 ? t.zone32 : t.zone33;
  if (zone != 32 && zone != 33) {
    return fail(ErrorCode::InvalidInput, "UTM zone not in Germany");
  }
  if (!slot) {
    const std::string source = zone == 32 ? "EPSG:25832" : "EPSG:25833";
    std::unique_ptr<PJ, ProjDeleter> raw(
        proj_create_crs_to_crs(t.context.get(), source.c_str(), "EPSG:4326", nullptr));
    if (!raw) {
      return fail(ErrorCode::Internal, "PROJ cannot transform " + source +
                                           " (is proj-data installed?)");
    }
    // EPSG:4326 is latitude first; normalized, PROJ answers (longitude, latitude) always.
    slot.reset(proj_normalize_for_visualization(t.context.get(), raw.get()));
    if (!slot) {
      return fail(ErrorCode::Internal, "PROJ cannot normalize the transformation");
    }
  }
  const PJ_COORD out = proj_trans(slot.get(), PJ_FWD, proj_coord(easting, northing, 0, 0));
  const double lon = out.xy.x;
  const double lat = out.xy.y;
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90) {
    return fail(ErrorCode::InvalidInput, "position outside the UTM zone");
  }
  return LatLon{lat, lon};
}

Result<GazetteerImport> parseHk(std::string_view text) {
  if (!isValidUtf8(text)) {
    return fail(ErrorCode::InvalidInput,
                "not UTF-8 (an older Latin-1 file: iconv -f latin1 -t utf-8 FILE > FILE.utf8)");
  }
  GazetteerImport out;
  out.format = "hk";
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    ++line_no;
    start = end == std::string_view::npos ? text.size() : end + 1;
    auto record = parseHkLine(line);
    Result<LatLon> at = fail(ErrorCode::Internal);
    if (record && *record) {
      at = utmToWgs84((*record)->zone, (*record)->easting, (*record)->northing);
    }
    if (!record || (*record && !at)) {
      const std::string why = !record ? record.error().detail : at.error().detail;
      return fail(ErrorCode::InvalidInput, "line " + std::to_string(line_no) + ": " + why);
    }
    if (*record) {
      HkRecord& r = **record;
      out.addresses.push_back(AddressRecord{std::move(r.street), std::move(r.number),
                                            std::move(r.postcode), std::move(r.city), *at});
    }
  }
  if (out.addresses.empty()) {
    return fail(ErrorCode::InvalidInput, "no records");
  }
  return out;
}

}  // namespace bb::geo
