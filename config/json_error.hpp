#pragma once
// Where a JSON text stops being JSON, as "line:column: what", so an operator can open the file at
// the spot (the config, categories, texts, topics, GeoJSON files all report through this).

#include <optional>
#include <string>

namespace bb::config {

//! "12:5: syntax error ..." (1-based line and column of the offending byte) when `text` is not
//! JSON; nullopt when it parses.
std::optional<std::string> jsonSyntaxError(const std::string& text);

//! "path:12:5: what" for a located detail ("12:5: what"), "path: what" otherwise.
std::string inFile(const std::string& path, const std::string& detail);

}  // namespace bb::config
