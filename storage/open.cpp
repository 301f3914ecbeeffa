#include "storage/open.hpp"

#include <filesystem>
#include <string>

#include "bot/log.hpp"
#include "storage/migrations.hpp"

namespace bb::storage {

DatabaseOptions databaseOptions(const config::StorageConfig& storage) {
  DatabaseOptions o;
  o.path = storage.path;
  o.synchronous = storage.synchronous;
  o.readers = storage.reader_connections;
  o.fault_file = storage.fault_file;
  return o;
}

Result<std::unique_ptr<Database>> openDatabase(const config::StorageConfig& storage) {
  std::error_code ec;
  const auto parent = std::filesystem::path(storage.path).parent_path();
  // A folder that cannot be created shows up as the open error below.
  if (!parent.empty()) { std::filesystem::create_directories(parent, ec); }
  auto db = Database::open(databaseOptions(storage));
  if (!db) { return db; }
  Result<int> version = fail(ErrorCode::Internal, "not run");
  auto run = (*db)->exclusive([&version](SQLite::Database& raw) { version = migrate(raw); });
  if (!run) { return fail(run.error().code, run.error().detail); }
  if (!version) { return fail(version.error().code, version.error().detail); }
  log::info("schema_ready", {{"version", std::to_string(*version)}});
  return db;
}

}  // namespace bb::storage
