// `backup --to FILE` and `restore --from FILE` (docs/deploy/README.md, "Backup and restore").
// The database is copied with SQLite's online backup API while the service runs. Photos are
// content-addressed files that never change once written: the backup lists them in FILE.media
// (name and size, one a line) for the file-level copy of storage.media_dir, and a restore
// reports every listed photo that is missing.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>

#include "app/commands/commands.hpp"
#include "storage/backup.hpp"

namespace bb::app {
namespace {

namespace fs = std::filesystem;

//! Writes "relative/name size" for every regular file under `dir`; returns how many.
Result<std::size_t> listMedia(const std::string& dir, const std::string& list_path) {
  std::ofstream out(list_path, std::ios::trunc);
  if (!out) { return fail(ErrorCode::Unavailable, "cannot write " + list_path); }
  std::size_t count = 0;
  std::error_code ec;
  if (!fs::exists(dir, ec)) { return count; }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) { continue; }
    out << fs::relative(it->path(), dir, ec).string() << " " << it->file_size(ec) << "\n";
    ++count;
  }
  if (ec || !out.flush()) { return fail(ErrorCode::Unavailable, "cannot list " + dir); }
  return count;
}

//! How many files in the list at `list_path` are missing (or of another size) under `dir`.
std::size_t missingMedia(const std::string& dir, const std::string& list_path) {
  std::ifstream in(list_path);
  std::string name;
  std::uintmax_t size = 0;
  std::size_t missing = 0;
  while (in >> name >> size) {
    std::error_code ec;
    if (fs::file_size(fs::path(dir) / name, ec) != size || ec) { ++missing; }
  }
  return missing;
}

}  // namespace

int runBackup(const Args& args) {
  const std::string to = argValue(args, "--to");
  if (to.empty()) { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  if (!sqliteOnly(config, "backup")) { return 2; }
  auto info = storage::backupDatabase(config.storage.path, to);
  if (!info) {
    std::cerr << "backup failed: " << info.error().detail << "\n";
    return 1;
  }
  auto media = listMedia(config.storage.media_dir, to + ".media");
  if (!media) {
    std::cerr << "backup failed: " << media.error().detail << "\n";
    return 1;
  }
  std::cout << "backup: " << to << " (" << info->bytes << " bytes); " << *media
            << " photo file(s) of " << config.storage.media_dir << " listed in " << to
            << ".media: copy that folder as files (rsync -a)\n";
  return 0;
}

int runRestore(const Args& args) {
  const std::string from = argValue(args, "--from");
  if (from.empty()) { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  if (!sqliteOnly(config, "restore")) { return 2; }
  std::error_code ec;
  fs::create_directories(fs::path(config.storage.path).parent_path(), ec);
  auto info = storage::restoreDatabase(from, config.storage.path);
  if (!info) {
    std::cerr << "restore failed: " << info.error().detail << "\n";
    return 1;
  }
  // A backup from an older version gets the current schema now rather than at the next start.
  auto db = openDatabaseOrReport(config, "restore: migration failed");
  if (!db) { return 1; }
  db->close();
  std::cout << "restore: " << config.storage.path << " from " << from << " (" << info->bytes
            << " bytes)\n";
  if (fs::exists(from + ".media", ec)) {
    const auto missing = missingMedia(config.storage.media_dir, from + ".media");
    if (missing > 0) {
      std::cerr << "restore warning: " << missing << " photo file(s) listed in " << from
                << ".media are missing in " << config.storage.media_dir << "\n";
      return 3;
    }
    std::cout << "restore: every listed photo file is in " << config.storage.media_dir << "\n";
  }
  return 0;
}

}  // namespace bb::app
