#include "web/html.hpp"

#include <fstream>
#include <sstream>

namespace bb::web {

std::string escapeHtml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(ch);
    }
  }
  return out;
}

std::string fillTemplate(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string marker = "{{" + name + "}}";
    for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + value.size())) {
      text.replace(pos, marker.size(), value);
    }
  }
  return text;
}

std::optional<std::string> AssetCache::get(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = files_.find(name); it != files_.end()) { return it->second; }
  std::ifstream in(dir_ + "/" + name, std::ios::binary);
  if (!in) { return std::nullopt; }
  std::stringstream ss;
  ss << in.rdbuf();
  files_[name] = ss.str();
  return ss.str();
}

}  // namespace bb::web
