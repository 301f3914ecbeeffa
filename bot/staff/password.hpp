#pragma once
// Staff password hashing: PBKDF2-HMAC-SHA256 (OpenSSL PKCS5_PBKDF2_HMAC) with a random 16-byte
// salt. The stored form names algorithm and iterations, so the cost can be raised later:
//   pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>

#include <string>

#include "bot/result.hpp"

namespace bb::auth {

inline constexpr int kPbkdf2Iterations = 210000;  //!< OWASP 2023 minimum for PBKDF2-HMAC-SHA256
inline constexpr std::size_t kMinPasswordChars = 10;

//! The stored form of `password`; fails only if OpenSSL fails.
Result<std::string> hashPassword(const std::string& password, int iterations = kPbkdf2Iterations);

//! True when `password` matches `stored` (constant-time comparison of the derived hash). A
//! malformed `stored` never matches.
bool verifyPassword(const std::string& password, const std::string& stored);

//! Spends the same time as a verification against a real hash (for unknown logins, so timing
//! does not tell which logins exist).
void burnPasswordTime(const std::string& password);

//! Counts Unicode code points.
std::size_t passwordLength(const std::string& password);

}  // namespace bb::auth
