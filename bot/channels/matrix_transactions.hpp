#pragma once
// The Matrix homeserver's transactions already processed, kept durably. The homeserver sends a
// transaction again (same txnId) until it was answered 200; a repeat is answered at once,
// without parsing or storing its events again. storage/ implements it; webhooks/matrix uses it.

#include <string>

#include "bot/result.hpp"

namespace bb {

class MatrixTransactionLog {
public:
  virtual ~MatrixTransactionLog() = default;
  //! True when the transaction `txn_id` was processed already.
  virtual Result<bool> seen(const std::string& txn_id) = 0;
  //! Records `txn_id` as processed (idempotent).
  virtual Result<void> record(const std::string& txn_id) = 0;
};

}  // namespace bb
