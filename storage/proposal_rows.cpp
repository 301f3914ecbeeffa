#include "storage/proposal_rows.hpp"

namespace bb::storage {

std::string joinTopics(const std::vector<std::string>& topics) {
  std::string out;
  for (const auto& t : topics) {
    std::string clean;
    for (const char c : t) { clean += (c == '\n' || c == '\r') ? ' ' : c; }
    if (clean.empty()) { continue; }
    if (!out.empty()) { out += '\n'; }
    out += clean;
  }
  return out;
}

std::vector<std::string> splitTopics(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    const std::string part = text.substr(start, nl == std::string::npos ? nl : nl - start);
    if (!part.empty()) { out.push_back(part); }
    if (nl == std::string::npos) { break; }
    start = nl + 1;
  }
  return out;
}

}  // namespace bb::storage
