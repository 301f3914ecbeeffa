#include "support/privacy_checks.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>

#include "support/server_process.hpp"

namespace bb::test {

std::vector<std::string> identifyingTags(const std::string& path) {
  const std::string command = "exiftool -a -G1 -s '" + path + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) { return {"exiftool missing"}; }
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) { out += buf.data(); }
  const int status = pclose(pipe);
  if (status != 0 || out.find("[ExifTool]") == std::string::npos) { return {"exiftool missing"}; }

  static const std::regex line_re(R"(^\[([^\]]+)\]\s+(\S+)\s*:)");
  static const std::regex identifying(
      R"(GPS|Make|Model|Date|Time|Serial|Owner|Artist|Copyright|Software|Comment|Thumbnail|XMP|IPTC|Lens)",
      std::regex::icase);
  std::vector<std::string> found;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, line_re)) { continue; }
    const std::string group = m[1];
    const std::string tag = m[2];
    if (group == "ExifTool" || group == "System" || group == "File" || group == "Composite") {
      continue;  // exiftool's own facts (file dates, size, encoding), not the image's metadata
    }
    // What an encoder writes itself (JFIF density, PNG/WebP image header) is not about anyone,
    // unless a tag name says otherwise; every other group (EXIF IFDs, GPS, maker notes such as
    // [Nikon], XMP, IPTC, ICC with a date, comments) is metadata we promised to remove.
    const bool encoder_group = group == "JFIF" || group == "PNG" || group == "RIFF" ||
                               group == "VP8" || group == "VP8L" || group == "VP8X";
    if (!encoder_group || std::regex_search(tag, identifying)) {
      found.push_back("[" + group + "] " + tag);
    }
  }
  return found;
}

std::vector<std::string> databaseFiles(const std::string& db_path) {
  std::vector<std::string> files;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string p = db_path + suffix;
    if (std::filesystem::exists(p)) { files.push_back(p); }
  }
  return files;
}

std::vector<std::string> leaksInFiles(const std::vector<std::string>& files,
                                      const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  for (const auto& file : files) {
    const std::string bytes = readFile(file);
    for (const auto& needle : needles) {
      if (!needle.empty() && bytes.find(needle) != std::string::npos) {
        found.push_back(needle + " in " + file);
      }
    }
  }
  return found;
}

std::vector<std::string> leaksInText(const std::string& text, const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  for (const auto& needle : needles) {
    if (!needle.empty() && text.find(needle) != std::string::npos) { found.push_back(needle); }
  }
  return found;
}

std::string logWithoutTimestamps(const std::string& log) {
  std::string out;
  out.reserve(log.size());
  std::size_t at = 0;
  while (at < log.size()) {
    std::size_t end = log.find('\n', at);
    end = end == std::string::npos ? log.size() : end + 1;
    std::size_t from = at;
    if (log.compare(at, 3, "ts=") == 0) {
      const std::size_t space = log.find(' ', at);
      if (space != std::string::npos && space < end) { from = space + 1; }
    }
    out.append(log, from, end - from);
    at = end;
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) { out.push_back(kAlphabet[(v >> shift) & 63]); }
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) { v |= static_cast<unsigned char>(bytes[i + 1]) << 8; }
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string realisticWamid(const std::string& number, unsigned serial, bool outbound) {
  char key[32];
  // Inbound keys are 20 upper-case hex characters, the ones of our sends 18.
  std::snprintf(key, sizeof key, outbound ? "%018X" : "3A%018X", serial);
  std::string record;
  record += '\x1c';
  record += '\x18';
  record += static_cast<char>(number.size());
  record += number;
  record += '\x15';
  record += '\x02';
  record += '\0';
  record += outbound ? '\x11' : '\x12';
  record += '\x18';
  record += static_cast<char>(std::string(key).size());
  record += key;
  record += '\0';
  return "wamid." + base64(record);
}

std::vector<std::string> rawAndBase64(const std::string& value) {
  std::vector<std::string> out = {value};
  for (std::size_t lead = 0; lead < 3; ++lead) {
    const std::string encoded = base64(std::string(lead, '\0') + value);
    // Characters fully inside the value's bits: from ceil(8*lead/6) to floor(8*(lead+n)/6).
    const std::size_t first = (8 * lead + 5) / 6;
    const std::size_t last = (8 * (lead + value.size())) / 6;
    if (last > first + 4) { out.push_back(encoded.substr(first, last - first)); }
  }
  return out;
}

std::vector<std::string> identifierNeedles(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    for (auto& n : rawAndBase64(v)) { out.push_back(std::move(n)); }
  }
  return out;
}

}  // namespace bb::test
