#include "bot/ports.hpp"

#include "bot/security/crypto.hpp"

namespace bb {

std::string Random::hex(std::size_t n) {
  auto b = bytes(n);
  return crypto::toHex(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::string Random::byteString(std::size_t n) {
  auto b = bytes(n);
  return std::string(b.begin(), b.end());
}

std::vector<std::uint8_t> SystemRandom::bytes(std::size_t n) {
  auto s = crypto::randomBytes(n);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

}  // namespace bb
