#pragma once
// A slow disk on demand, for benchmarks and tests: an SQLite VFS that wraps the default one and
// waits a fixed time before every sync (xSync: the fdatasync of a commit under
// synchronous=FULL, and of checkpoints). A run with a 500 µs or 2 ms disk is then reproducible
// on any machine (docs/performance.md). Never used unless storage.sync_delay_us is set.

#include <chrono>
#include <string>

#include "bot/result.hpp"

namespace bb::storage {

//! Registers (once per delay) a VFS that adds `delay` to every sync of the default VFS and
//! returns its name, to pass to sqlite3_open_v2 / SQLite::Database. A zero delay returns "".
Result<std::string> syncDelayVfs(std::chrono::microseconds delay);

}  // namespace bb::storage
