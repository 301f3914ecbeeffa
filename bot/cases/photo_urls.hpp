#pragma once
// Signed, expiring links to a ticket's photos for its department's back office (push payload v2
// and GET /api/v1/tickets/{n}). A link names the ticket, the photo and its expiry, signed with
// HMAC-SHA256; the server still asks for an API key of the ticket's department when the link is
// fetched, so a link that leaks (a forwarded e-mail, a proxy log) shows nothing to others, and
// an old one shows nothing to anybody.

#include <chrono>
#include <cstdint>
#include <string>

#include "bot/types.hpp"

namespace bb {

struct PhotoLink {
  std::string url;
  SysTime expires_at{};
};

class PhotoUrlSigner {
public:
  //! `base_url`: server.public_url; `key`: the signing key (never empty: a random one when the
  //! operator configured none, then links live as long as the process).
  PhotoUrlSigner(std::string base_url, std::string key, std::chrono::seconds ttl);

  //! <base>/api/v1/tickets/<number>/photos/<media_id>?expires=<unix s>&sig=<hex>
  PhotoLink link(std::int64_t number, std::int64_t media_id, SysTime now) const;
  //! True when `sig` signs (number, media_id, expires) and `expires` is not past at `now`.
  bool valid(std::int64_t number, std::int64_t media_id, const std::string& expires,
             const std::string& sig, SysTime now) const;

private:
  std::string signature(std::int64_t number, std::int64_t media_id,
                        std::int64_t expires) const;

  std::string base_url_;
  std::string key_;
  std::chrono::seconds ttl_;
};

}  // namespace bb
