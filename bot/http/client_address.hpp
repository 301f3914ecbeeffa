#pragma once
// The address of the client behind the reverse proxies the operator trusts: the peer address,
// unless the peer is a trusted proxy; then the nearest address in X-Forwarded-For (or the
// RFC 7239 Forwarded header) that is not itself a trusted proxy. Headers from anyone else are
// ignored: a client cannot choose the address it is counted under.

#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "config/cidr.hpp"

namespace bb {

std::string clientAddress(const HttpRequest& req, const std::vector<config::Cidr>& trusted);

}  // namespace bb
