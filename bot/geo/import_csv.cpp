#include "bot/geo/import_csv.hpp"

#include <charconv>
#include <vector>

namespace bb::geo {

namespace {

constexpr std::size_t kMaxFields = 8;

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() < kMaxFields) {
    const std::size_t end = line.find(';', start);
    out.push_back(trimmed(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

std::optional<double> number(const std::string& s) {
  double value = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<LatLon> latLon(const std::string& lat, const std::string& lon) {
  const auto a = number(lat);
  const auto b = number(lon);
  if (!a || !b || *a < -90 || *a > 90 || *b < -180 || *b > 180) {
    return std::nullopt;
  }
  return LatLon{*a, *b};
}

//! "#source: …" / "#licence: …" comment lines.
void readMeta(const std::string& line, GazetteerImport& out) {
  for (const auto& [prefix, target] :
       {std::pair{"#source:", &out.source}, std::pair{"#licence:", &out.licence}}) {
    const std::string p = prefix;
    if (line.rfind(p, 0) == 0) {
      *target = trimmed(std::string_view(line).substr(p.size()));
    }
  }
}

bool readRecord(const std::vector<std::string>& f, GazetteerImport& out) {
  if (f.size() < 7 || f[1].empty()) {
    return false;
  }
  const auto at = latLon(f[5], f[6]);
  if (!at) {
    return false;
  }
  if (f[0] == "address" && !f[2].empty()) {
    out.addresses.push_back(AddressRecord{f[1], f[2], f[3], f[4], *at});
  } else if (f[0] == "street") {
    out.streets.push_back(StreetRecord{f[1], f[3], f[4], *at});
  } else if (f[0] == "place") {
    out.places.push_back(PlaceRecord{f[1], f[2], *at});
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<GazetteerImport> parseGazetteerCsv(std::string_view text) {
  GazetteerImport out;
  out.format = "csv";
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line =
        trimmed(text.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                                  : end - start));
    ++line_no;
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      readMeta(line, out);
      continue;
    }
    if (!readRecord(fields(line), out)) {
      return fail(ErrorCode::InvalidInput, "line " + std::to_string(line_no) + ": not a record");
    }
  }
  if (out.addresses.empty() && out.streets.empty() && out.places.empty()) {
    return fail(ErrorCode::InvalidInput, "no records");
  }
  return out;
}

}  // namespace bb::geo
