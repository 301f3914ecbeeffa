#pragma once
// Schema migrations as an ordered list indexed by `PRAGMA user_version` (the ish model): all
// pending steps and the version bump run in one transaction, so a failure leaves the old schema.

#include <string>
#include <vector>

#include "bot/result.hpp"

namespace SQLite {
class Database;
}

namespace bb::storage {

//! The project's migrations; index i upgrades user_version i to i+1.
const std::vector<std::string>& migrations();

//! Applies the pending migrations of `steps`; returns the resulting schema version.
//! `pseudonym_key` (raw bytes) is needed by steps that rewrite stored ids as keyed hashes
//! (SQL function bb_provider_id); without it such a step fails if it has rows to rewrite.
Result<int> migrate(SQLite::Database& db, const std::vector<std::string>& steps = migrations(),
                    const std::string& pseudonym_key = {});

int schemaVersion(SQLite::Database& db);

}  // namespace bb::storage
