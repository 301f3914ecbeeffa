#pragma once
// Internal to bot/media: the content address (OpenSSL EVP).

#include <string>
#include <string_view>

#include "bot/result.hpp"

namespace bb::media {

//! Lowercase hex SHA-256 of `bytes` (64 characters).
Result<std::string> sha256Hex(std::string_view bytes);

}  // namespace bb::media
