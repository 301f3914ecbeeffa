#pragma once
// Backup and restore of the embedded SQLite database with SQLite's online backup API: a copy
// taken while the service writes is one consistent snapshot (a read transaction in WAL mode
// blocks no writer), and a restore replaces the database's content page by page.

#include <cstdint>
#include <string>

#include "bot/result.hpp"

namespace bb::storage {

struct BackupInfo {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
};

//! Copies the database at `from` into `to` (written as `to.partial`, checked with
//! `PRAGMA quick_check`, then renamed over `to`). The service may keep running.
Result<BackupInfo> backupDatabase(const std::string& from, const std::string& to);

//! Checks the backup at `from` (`PRAGMA quick_check`) and copies it over the database at `to`
//! (created when missing). The service must be stopped: its open connections would keep the
//! old pages in their caches.
Result<BackupInfo> restoreDatabase(const std::string& from, const std::string& to);

}  // namespace bb::storage
