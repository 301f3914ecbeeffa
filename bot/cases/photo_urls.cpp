#include "bot/cases/photo_urls.hpp"

#include <algorithm>
#include <utility>

#include "bot/security/crypto.hpp"

namespace bb {
namespace {

std::int64_t unixSeconds(SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool allDigits(const std::string& s) {
  return !s.empty() && s.size() <= 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

PhotoUrlSigner::PhotoUrlSigner(std::string base_url, std::string key, std::chrono::seconds ttl)
    : base_url_(std::move(base_url)), key_(std::move(key)), ttl_(ttl) {
  while (!base_url_.empty() && base_url_.back() == '/') { base_url_.pop_back(); }
  // Domain separation: the same secret also signs push bodies.
  key_ = crypto::hmacSha256(key_.empty() ? crypto::randomBytes(32) : key_, "photo-links-v1");
}

std::string PhotoUrlSigner::signature(std::int64_t number, std::int64_t media_id,
                                      std::int64_t expires) const {
  return crypto::toHex(crypto::hmacSha256(key_, std::to_string(number) + "/" +
                                                    std::to_string(media_id) + "/" +
                                                    std::to_string(expires)));
}

PhotoLink PhotoUrlSigner::link(std::int64_t number, std::int64_t media_id, SysTime now) const {
  const std::int64_t expires = unixSeconds(now + ttl_);
  PhotoLink out;
  out.expires_at = SysTime(std::chrono::seconds(expires));
  out.url = base_url_ + "/api/v1/tickets/" + std::to_string(number) + "/photos/" +
            std::to_string(media_id) + "?expires=" + std::to_string(expires) +
            "&sig=" + signature(number, media_id, expires);
  return out;
}

bool PhotoUrlSigner::valid(std::int64_t number, std::int64_t media_id, const std::string& expires,
                           const std::string& sig, SysTime now) const {
  if (!allDigits(expires) || sig.size() != 64) { return false; }
  const std::int64_t at = std::stoll(expires);
  if (at < unixSeconds(now)) { return false; }
  return crypto::constantTimeEquals(signature(number, media_id, at), sig);
}

}  // namespace bb
