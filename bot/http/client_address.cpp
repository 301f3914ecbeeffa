#include "bot/http/client_address.hpp"

#include <algorithm>
#include <cctype>

namespace bb {

namespace {

constexpr std::size_t kMaxHops = 32;  //!< a longer chain is cut: nobody has that many proxies

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\"");
  if (first == std::string_view::npos) { return {}; }
  const auto last = s.find_last_not_of(" \t\"");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() < kMaxHops) {
    const std::size_t end = s.find(sep, start);
    out.push_back(std::string(s.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) { break; }
    start = end + 1;
  }
  return out;
}

//! An RFC 7239 node: "192.0.2.60", "192.0.2.60:4711", "[2001:db8::1]:4711", "unknown".
std::string nodeAddress(std::string node) {
  node = trimmed(node);
  if (!node.empty() && node.front() == '[') {
    const auto close = node.find(']');
    return close == std::string::npos ? node : node.substr(1, close - 1);
  }
  if (std::count(node.begin(), node.end(), ':') == 1) { return node.substr(0, node.find(':')); }
  return node;
}

//! The addresses the proxies appended, client first.
std::vector<std::string> forwardedChain(const HttpRequest& req) {
  std::vector<std::string> chain;
  if (const std::string xff = req.header("x-forwarded-for"); !xff.empty()) {
    for (const auto& hop : split(xff, ',')) { chain.push_back(nodeAddress(hop)); }
    return chain;
  }
  for (const auto& element : split(req.header("forwarded"), ',')) {
    for (const auto& pair : split(element, ';')) {
      std::string p = trimmed(pair);
      std::string name = p.substr(0, std::min(p.size(), std::size_t{4}));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (name == "for=") { chain.push_back(nodeAddress(p.substr(4))); }
    }
  }
  return chain;
}

}  // namespace

std::string clientAddress(const HttpRequest& req, const std::vector<config::Cidr>& trusted) {
  if (!config::containsAny(trusted, req.remote_addr)) { return req.remote_addr; }
  const std::vector<std::string> chain = forwardedChain(req);
  // From the nearest hop outwards: the first address that is no proxy of ours is the client.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (it->empty()) { continue; }
    if (!config::containsAny(trusted, *it)) { return *it; }
  }
  return chain.empty() || chain.front().empty() ? req.remote_addr : chain.front();
}

}  // namespace bb
