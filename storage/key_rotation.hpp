#pragma once
// `buergerbox keys rotate`: re-encrypts every sealed reply address under the current key.
// Sealed values live in three places: citizens, outbox rows not yet final, and inbound events not
// yet processed (their JSON payload carries the sealed address). All or nothing: one write job
// (SQLite) or one transaction (PostgreSQL, storage/postgresql/pg_key_rotation.hpp).

#include <functional>
#include <optional>
#include <set>
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

//! What both backends share: re-sealing one value, counting what could not be opened, and the
//! answer. The backends read the rows and write the new values in their one transaction.
class AddressResealer {
public:
  AddressResealer(std::string current_key_id, OpenSealed open, SealCurrent seal)
      : current_(std::move(current_key_id)), open_(std::move(open)), seal_(std::move(seal)) {}

  const std::string& currentKeyId() const { return current_; }
  //! A column value under `key_id` sealed again under the current key; empty when it cannot be
  //! opened (counted as unreadable).
  std::optional<crypto::Sealed> reseal(const std::string& ciphertext, const std::string& key_id);
  //! An inbound event's payload with its address sealed again; empty when it has no sealed
  //! address, is under the current key already (counted) or cannot be opened (counted).
  std::optional<std::string> resealPayload(const std::string& payload);
  //! Starts over (a retried transaction).
  void reset();
  //! True when a value could not be opened: the transaction must roll back.
  bool anyUnreadable() const { return unreadable_ > 0; }
  //! The report, or the error that names the unreadable values' key ids (nothing was changed),
  //! or the store's own failure.
  Result<RotationReport> answer(const Result<void>& written) const;

  RotationReport report;

private:
  std::string current_;
  OpenSealed open_;
  SealCurrent seal_;
  int unreadable_ = 0;
  std::set<std::string> unreadable_key_ids_;
};

//! Re-encrypts every value not sealed under `current_key_id`. When any value cannot be opened,
//! nothing is changed and the error names how many values and which key ids were unreadable.
Result<RotationReport> reencryptAddresses(Database& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal);

}  // namespace bb::storage
