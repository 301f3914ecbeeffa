#include "storage/open.hpp"

#include <filesystem>
#include <string>

#include "bot/log.hpp"
#include "bot/security/crypto.hpp"
#include "storage/migrations.hpp"

namespace bb::storage {

DatabaseOptions databaseOptions(const config::StorageConfig& storage) {
  DatabaseOptions o;
  o.path = storage.path;
  o.synchronous = storage.synchronous;
  o.readers = storage.reader_connections;
  o.fault_file = storage.fault_file;
  o.sync_delay_us = storage.sync_delay_us;
  return o;
}

std::string pseudonymKeyBytes(const config::PrivacyConfig& privacy) {
  auto key = crypto::fromHex(privacy.pseudonym_key);
  return key ? *key : std::string();
}

Result<std::unique_ptr<Database>> openDatabase(const config::StorageConfig& storage,
                                               const std::string& pseudonym_key) {
  std::error_code ec;
  const auto parent = std::filesystem::path(storage.path).parent_path();
  // A folder that cannot be created shows up as the open error below.
  if (!parent.empty()) { std::filesystem::create_directories(parent, ec); }
  auto db = Database::open(databaseOptions(storage));
  if (!db) { return db; }
  Result<int> version = fail(ErrorCode::Internal, "not run");
  auto run = (*db)->exclusive([&version, &pseudonym_key](SQLite::Database& raw) {
    version = migrate(raw, migrations(), pseudonym_key);
  });
  if (!run) { return fail(run.error().code, run.error().detail); }
  if (!version) { return fail(version.error().code, version.error().detail); }
  log::info("schema_ready", {{"version", std::to_string(*version)}});
  return db;
}

}  // namespace bb::storage
