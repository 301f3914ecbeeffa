#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include <charconv>

namespace bb::config {

namespace {

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) { return {}; }
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

//! The address's bytes; "::ffff:1.2.3.4" is read as the IPv4 address it maps.
std::optional<Cidr> parseAddress(const std::string& text) {
  Cidr out;
  if (inet_pton(AF_INET, text.c_str(), out.bytes.data()) == 1) {
    out.prefix = 32;
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, out.bytes.begin())) {
      std::array<unsigned char, 16> v4{};
      std::copy(out.bytes.begin() + 12, out.bytes.end(), v4.begin());
      out.bytes = v4;
      out.prefix = 32;
      return out;
    }
    out.v6 = true;
    out.prefix = 128;
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Cidr> parseCidr(std::string_view text) {
  const std::string s = trimmed(text);
  const auto slash = s.find('/');
  auto range = parseAddress(s.substr(0, slash));
  if (!range) { return std::nullopt; }
  if (slash != std::string::npos) {
    const std::string bits = s.substr(slash + 1);
    int prefix = -1;
    const auto res = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || res.ec != std::errc() || res.ptr != bits.data() + bits.size() ||
        prefix < 0 || prefix > (range->v6 ? 128 : 32)) {
      return std::nullopt;
    }
    range->prefix = prefix;
  }
  return range;
}

std::optional<std::vector<Cidr>> parseCidrList(std::string_view text) {
  std::vector<Cidr> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(',', start);
    const std::string_view item =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!trimmed(item).empty()) {
      auto range = parseCidr(item);
      if (!range) { return std::nullopt; }
      out.push_back(*range);
    }
    if (end == std::string_view::npos) { break; }
    start = end + 1;
  }
  return out;
}

bool contains(const Cidr& range, std::string_view address) {
  const auto a = parseAddress(trimmed(address));
  if (!a || a->v6 != range.v6) { return false; }
  const int full = range.prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (a->bytes[static_cast<std::size_t>(i)] != range.bytes[static_cast<std::size_t>(i)]) {
      return false;
    }
  }
  const int rest = range.prefix % 8;
  if (rest == 0) { return true; }
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a->bytes[static_cast<std::size_t>(full)] & mask) ==
         (range.bytes[static_cast<std::size_t>(full)] & mask);
}

bool containsAny(const std::vector<Cidr>& ranges, std::string_view address) {
  for (const Cidr& r : ranges) {
    if (contains(r, address)) { return true; }
  }
  return false;
}

}  // namespace bb::config
