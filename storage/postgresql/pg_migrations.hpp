#pragma once
// The PostgreSQL schema as numbered migrations (its own list: the SQL dialects differ). All
// pending steps and the version bump run in one transaction (PostgreSQL's DDL is transactional),
// under an advisory lock, so two instances starting at once apply each step once and a failed
// step leaves the old schema.

#include <string>
#include <vector>

#include "bot/result.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! The project's PostgreSQL migrations; index i upgrades version i to i + 1.
const std::vector<std::string>& migrations();

//! Applies the pending steps of `steps`; returns the resulting schema version. Fails with
//! Internal when the database holds a newer schema than `steps` knows (an older binary).
Result<int> migrate(PgDatabase& db, const std::vector<std::string>& steps = migrations());

//! The schema version recorded in the database; 0 before the first migration.
Result<int> schemaVersion(PgDatabase& db);

}  // namespace bb::storage::pg
