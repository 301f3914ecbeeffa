#include "bot/privacy/data_export.hpp"

#include "bot/security/crypto.hpp"

namespace bb {

std::string exportTokenHash(const std::string& token) { return crypto::sha256Hex(token); }

}  // namespace bb
