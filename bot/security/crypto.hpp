#pragma once
// Small OpenSSL wrappers: HMAC pseudonyms, AES-256-GCM field encryption, constant-time compare.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bot/result.hpp"

namespace bb::crypto {

using Key = std::array<std::uint8_t, 32>;

std::string toHex(std::string_view bytes);
Result<std::string> fromHex(std::string_view hex);
Result<Key> keyFromHex(std::string_view hex);

//! Raw 32-byte HMAC-SHA256.
std::string hmacSha256(std::string_view key, std::string_view message);
std::string sha256Hex(std::string_view data);

//! Constant-time equality (length is not secret).
bool constantTimeEquals(std::string_view a, std::string_view b);

//! A keyed field cipher: AES-256-GCM with a random 96-bit nonce; the key id is stored beside
//! each ciphertext so `keys rotate` can find what to re-encrypt.
struct Sealed {
  std::string key_id;      //!< first 8 hex characters of SHA-256 over the key
  std::string ciphertext;  //!< nonce || ciphertext || tag (binary)
};

std::string keyId(const Key& key);
Sealed seal(const Key& key, std::string_view plaintext, std::string_view associated_data = {});
Result<std::string> open(const Key& key, std::string_view sealed,
                         std::string_view associated_data = {});

std::string randomBytes(std::size_t n);
std::string randomHex(std::size_t bytes);

}  // namespace bb::crypto
