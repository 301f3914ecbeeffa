#pragma once
// `buergerbox keys rotate`: re-encrypts every sealed reply address under the current key.
// Sealed values live in three places: citizens, outbox rows not yet final, and inbound events not
// yet processed (their JSON payload carries the sealed address). All or nothing: one write job.

#include <functional>
#include <string>

#include "bot/security/crypto.hpp"
#include "bot/result.hpp"
#include "storage/database.hpp"

namespace bb::storage {

struct RotationReport {
  int citizens = 0;        //!< re-encrypted in citizens
  int outbox = 0;          //!< re-encrypted in outbox rows
  int inbound_events = 0;  //!< re-encrypted in pending inbound events
  int already_current = 0; //!< values that were sealed under the current key already
  int total() const { return citizens + outbox + inbound_events; }
};

//! Opens a sealed value whose key id is given; fails when no configured key has that id.
using OpenSealed = std::function<Result<std::string>(const std::string& ciphertext,
                                                     const std::string& key_id)>;
//! Seals a plaintext under the current key.
using SealCurrent = std::function<crypto::Sealed(const std::string& plaintext)>;

//! Re-encrypts every value not sealed under `current_key_id`. When any value cannot be opened,
//! nothing is changed and the error names how many values and which key ids were unreadable.
Result<RotationReport> reencryptAddresses(Database& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal);

}  // namespace bb::storage
