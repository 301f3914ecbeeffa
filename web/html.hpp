#pragma once
// What the pages share: escaping (every citizen-supplied string is escaped on output), templates,
// the Content-Security-Policy, and the static files they serve.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace bb::web {

std::string escapeHtml(const std::string& s);
//! Replaces `{{NAME}}` placeholders with already-escaped values.
std::string fillTemplate(std::string text, const std::map<std::string, std::string>& values);

//! The strict Content-Security-Policy of every page: nothing from elsewhere, no inline code.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

//! The static files of a folder (page templates, CSS, scripts), each read from disk once and then
//! served from memory. Names come from route patterns that admit no path separators.
class AssetCache {
public:
  explicit AssetCache(std::string dir) : dir_(std::move(dir)) {}

  //! The content of `name`; nullopt when the file cannot be read.
  std::optional<std::string> get(const std::string& name);

private:
  std::string dir_;
  std::mutex mutex_;
  std::map<std::string, std::string> files_;
};

}  // namespace bb::web
