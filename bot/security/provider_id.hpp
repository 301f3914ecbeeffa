#pragma once
// Channel-native ids (a WhatsApp wamid, a Telegram message or update id, a Matrix event id) are
// kept only as keyed hashes. A wamid is base64 of a record that holds the citizen's phone
// number, so the raw id is personal data; its hash still serves what the id is kept for:
// deduplicating redelivered events, matching delivery receipts and a citizen's reply to one of
// our messages (hash the id the channel quotes and look it up).

#include <string>
#include <string_view>

namespace bb::crypto {

//! Hex HMAC-SHA256 under the pseudonym key of "provider-id:<channel>:<id>" (the prefix keeps it
//! apart from the pseudonym of a user whose id happens to equal a message id). Empty id → "".
std::string providerIdHash(std::string_view pseudonym_key, std::string_view channel,
                           std::string_view provider_id);

}  // namespace bb::crypto
