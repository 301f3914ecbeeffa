#pragma once
// Opening the embedded database the way every subcommand needs it: the folder created, the file
// opened (WAL, foreign keys, busy timeout, the configured synchronous mode) and migrated to the
// current schema. The composition root calls this and never touches SQLite itself.

#include <memory>

#include "bot/result.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"

namespace bb::storage {

//! The connection settings of the `storage` config section.
DatabaseOptions databaseOptions(const config::StorageConfig& storage);

//! Creates the file's folder, opens the database and applies every pending migration (in one
//! transaction: a failure leaves the old schema and is returned).
Result<std::unique_ptr<Database>> openDatabase(const config::StorageConfig& storage);

}  // namespace bb::storage
