// Webhook authenticity: the GET handshake and the X-Hub-Signature-256 HMAC, both constant-time.

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <climits>
#include <cstdint>

#include "bot/security/crypto.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::webhooks::whatsapp {

namespace {

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr std::size_t kDigestBytes = 32;
constexpr std::size_t kMaxChallenge = 256;

using Digest = std::array<unsigned char, kDigestBytes>;

int hexValue(char c) {
  if (c >= '0' && c <= '9') { return c - '0'; }
  if (c >= 'a' && c <= 'f') { return c - 'a' + 10; }
  if (c >= 'A' && c <= 'F') { return c - 'A' + 10; }
  return -1;
}

//! SHA-256 of `data`, so that secrets of different lengths compare in constant time.
Digest sha256(std::string_view data) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

bool challengeIsSafe(std::string_view challenge) {
  if (challenge.empty() || challenge.size() > kMaxChallenge) { return false; }
  for (const char c : challenge) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) { return false; }
  }
  return true;
}

}  // namespace

std::optional<std::string> verifyChallenge(std::string_view mode, std::string_view token,
                                           std::string_view challenge,
                                           std::string_view expected_token) {
  if (expected_token.empty()) { return std::nullopt; }
  const Digest given = sha256(token);
  const Digest expected = sha256(expected_token);
  const bool token_ok = CRYPTO_memcmp(given.data(), expected.data(), kDigestBytes) == 0;
  if (!token_ok || mode != "subscribe" || !challengeIsSafe(challenge)) { return std::nullopt; }
  return std::string(challenge);
}

bool verifySignature(std::string_view raw_body, std::string_view header_value,
                     std::string_view app_secret) {
  if (app_secret.empty() || app_secret.size() > INT_MAX) { return false; }
  if (header_value.size() != kSignaturePrefix.size() + 2 * kDigestBytes ||
      header_value.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return false;
  }
  const std::string_view hex = header_value.substr(kSignaturePrefix.size());
  Digest claimed{};
  bool hex_ok = true;
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    const int high = hexValue(hex[2 * i]);
    const int low = hexValue(hex[2 * i + 1]);
    hex_ok = hex_ok && high >= 0 && low >= 0;
    claimed[i] = static_cast<unsigned char>(((high & 0xF) << 4) | (low & 0xF));
  }
  const std::string actual = crypto::hmacSha256(app_secret, raw_body);  // keyed once per thread
  if (actual.size() != kDigestBytes) { return false; }
  const bool equal = CRYPTO_memcmp(claimed.data(), actual.data(), kDigestBytes) == 0;
  return hex_ok && equal;
}

}  // namespace bb::webhooks::whatsapp
