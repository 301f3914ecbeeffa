#pragma once
// Readiness of this instance: can it store a webhook right now? A reader answering `SELECT 1`
// says nothing about that (a read-only or full database still reads), so the probe commits.

#include "bot/result.hpp"
#include "storage/database.hpp"

namespace bb::storage {

//! Commits one small change (the `ready_probe` row of `meta`) through the writer queue, like
//! any webhook's write: a read-only, full or locked database, or a writer that cannot commit,
//! answers an error.
Result<void> probeWrite(Database& database);

}  // namespace bb::storage
