#include "config/json_error.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>

#include <nlohmann/json.hpp>

namespace bb::config {

std::optional<std::string> jsonSyntaxError(const std::string& text) {
  if (nlohmann::json::accept(text)) { return std::nullopt; }
  try {
    const auto parsed = nlohmann::json::parse(text);  // throws the parse_error that locates it
    (void)parsed;
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the byte that broke the parse.
    const std::size_t end = e.byte == 0 ? 0 : std::min<std::size_t>(e.byte - 1, text.size());
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;  // columns count code points, not UTF-8 continuation bytes
      }
    }
    std::string what = e.what();
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 7: why"
    if (const auto colon = what.find(": "); colon != std::string::npos) { what = what.substr(colon + 2); }
    return std::to_string(line) + ":" + std::to_string(column) + ": JSON " + what;
  } catch (const nlohmann::json::exception& e) {
    return std::string("1:1: JSON ") + e.what();
  }
}

std::string inFile(const std::string& path, const std::string& detail) {
  const bool located = !detail.empty() && std::isdigit(static_cast<unsigned char>(detail[0])) != 0 &&
                       detail.find(':') != std::string::npos;
  return path + (located ? ":" : ": ") + detail;
}

}  // namespace bb::config
