#pragma once
// Opening the embedded database the way every subcommand needs it: the folder created, the file
// opened (WAL, foreign keys, busy timeout, the configured synchronous mode) and migrated to the
// current schema. The composition root calls this and never touches SQLite itself.

#include <memory>
#include <string>

#include "bot/result.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"

namespace bb::storage {

//! The connection settings of the `storage` config section.
DatabaseOptions databaseOptions(const config::StorageConfig& storage);

//! The raw bytes of `privacy.pseudonym_key` (64 hex), for openDatabase; "" when unset or invalid
//! (check-config reports that; a migration that needs the key then fails with its reason).
std::string pseudonymKeyBytes(const config::PrivacyConfig& privacy);

//! Creates the file's folder, opens the database and applies every pending migration (in one
//! transaction: a failure leaves the old schema and is returned). `pseudonym_key` (raw bytes)
//! lets a migration rewrite stored provider ids as keyed hashes.
Result<std::unique_ptr<Database>> openDatabase(const config::StorageConfig& storage,
                                               const std::string& pseudonym_key = {});

}  // namespace bb::storage
