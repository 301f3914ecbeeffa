#pragma once
// Address ranges in CIDR notation ("127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"), for
// `server.trusted_proxies`: the reverse proxies whose X-Forwarded-For / Forwarded headers are
// believed. A bare address is its own /32 or /128.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb::config {

struct Cidr {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  //!< network address (IPv4 in the first 4)
  int prefix = 0;
};

//! One range; nullopt when `text` is none.
std::optional<Cidr> parseCidr(std::string_view text);
//! A comma-separated list ("" is empty); nullopt when an entry is no range.
std::optional<std::vector<Cidr>> parseCidrList(std::string_view text);
//! True when `address` (IPv4 or IPv6 text, IPv4-mapped IPv6 counted as IPv4) lies in `range`.
bool contains(const Cidr& range, std::string_view address);
bool containsAny(const std::vector<Cidr>& ranges, std::string_view address);

}  // namespace bb::config
