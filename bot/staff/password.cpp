#include "bot/staff/password.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <openssl/evp.h>

#include "bot/security/crypto.hpp"
#include "bot/text/utf8.hpp"

namespace bb::auth {
namespace {

constexpr const char* kAlgorithm = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr int kMaxIterations = 10'000'000;

std::optional<std::string> derive(const std::string& password, const std::string& salt,
                                  int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) { break; }
    start = pos + 1;
  }
  return parts;
}

}  // namespace

Result<std::string> hashPassword(const std::string& password, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations) {
    return fail(ErrorCode::InvalidInput, "bad iteration count");
  }
  const std::string salt = crypto::randomBytes(kSaltBytes);
  auto hash = derive(password, salt, iterations);
  if (!hash) { return fail(ErrorCode::Internal, "PKCS5_PBKDF2_HMAC failed"); }
  return std::string(kAlgorithm) + "$" + std::to_string(iterations) + "$" + crypto::toHex(salt) +
         "$" + crypto::toHex(*hash);
}

bool verifyPassword(const std::string& password, const std::string& stored) {
  const auto parts = split(stored, '$');
  if (parts.size() != 4 || parts[0] != kAlgorithm) { return false; }
  int iterations = 0;
  if (parts[1].empty() || parts[1].size() > 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  iterations = std::stoi(parts[1]);
  if (iterations < 1 || iterations > kMaxIterations) { return false; }
  auto salt = crypto::fromHex(parts[2]);
  auto expected = crypto::fromHex(parts[3]);
  if (!salt || !expected || expected->size() != kHashBytes) { return false; }
  auto actual = derive(password, *salt, iterations);
  return actual && crypto::constantTimeEquals(*actual, *expected);
}

void burnPasswordTime(const std::string& password) {
  static const std::string kSalt(kSaltBytes, 'x');
  (void)derive(password, kSalt, kPbkdf2Iterations);
}

std::size_t passwordLength(const std::string& password) { return codePoints(password); }

}  // namespace bb::auth
