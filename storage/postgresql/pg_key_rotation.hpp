#pragma once
// `buergerbox keys rotate` on PostgreSQL: the same three places as on SQLite
// (storage/key_rotation.hpp), re-sealed in one transaction. The rows are locked while they are
// rewritten, so instances that keep serving wait for the commit instead of overwriting a value.

#include <string>

#include "storage/key_rotation.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! Re-encrypts every value not sealed under `current_key_id`; nothing changes when any value
//! cannot be opened (the error names the key ids to add to privacy.previous_encryption_keys).
Result<RotationReport> reencryptAddresses(PgDatabase& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal);

}  // namespace bb::storage::pg
