#include "bot/security/provider_id.hpp"

#include "bot/security/crypto.hpp"

namespace bb::crypto {

std::string providerIdHash(std::string_view pseudonym_key, std::string_view channel,
                           std::string_view provider_id) {
  if (provider_id.empty()) { return {}; }
  std::string message = "provider-id:";
  message.append(channel);
  message.push_back(':');
  message.append(provider_id);
  return toHex(hmacSha256(pseudonym_key, message));
}

}  // namespace bb::crypto
