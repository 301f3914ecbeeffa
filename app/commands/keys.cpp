#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/security/crypto.hpp"
#include "storage/key_rotation.hpp"
#include "storage/postgresql/pg_key_rotation.hpp"

namespace bb::app {
namespace {

void printReport(const storage::RotationReport& report, const std::string& current,
                 const EngineKeys& keys) {
  std::cout << "keys rotate: re-encrypted " << report.citizens << " citizen addresses, "
            << report.outbox << " queued messages and " << report.inbound_events
            << " pending events under key " << current << "; " << report.already_current
            << " were already under it.\n";
  if (!keys.previous_encryption_keys.empty()) {
    std::cout << "keys rotate: privacy.previous_encryption_keys can now be removed "
                 "(after a restart of the service with the new key).\n";
  }
}

}  // namespace

int runKeys(const Args& args) {
  if (args.size() < 2 || args[1] != "rotate") { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto keys = engineKeys(config.privacy.pseudonym_key, config.privacy.encryption_key,
                         config.privacy.previous_encryption_keys);
  if (!keys) {
    std::cerr << "keys rotate: " << keys.error().detail << "\n";
    return 2;
  }
  const EngineKeys& k = *keys;
  const std::string current = crypto::keyId(k.encryption_key);
  const storage::OpenSealed open = [&k](const std::string& ciphertext,
                                        const std::string& key_id) -> Result<std::string> {
    const crypto::Key* key = k.keyFor(key_id);
    if (key == nullptr) { return fail(ErrorCode::NotFound, "unknown key id"); }
    return crypto::open(*key, ciphertext);
  };
  const storage::SealCurrent seal = [&k](const std::string& plain) {
    return crypto::seal(k.encryption_key, plain);
  };
  Result<storage::RotationReport> report = fail(ErrorCode::Internal, "not run");
  if (config.storage.backend == "postgresql") {
    auto options = storage::pg::optionsFrom(config.storage.postgresql);
    options.pool_size = 1;
    auto db = storage::pg::PgDatabase::open(options);
    if (!db) {
      std::cerr << "keys rotate: " << db.error().detail << "\n";
      return 1;
    }
    report = storage::pg::reencryptAddresses(**db, current, open, seal);
  } else {
    auto db = openDatabaseOrReport(config, "database");
    if (!db) { return 1; }
    report = storage::reencryptAddresses(*db, current, open, seal);
    db->close();
  }
  if (!report) {
    std::cerr << "keys rotate: " << report.error().detail << "\n";
    return 1;
  }
  printReport(*report, current, k);
  return 0;
}

}  // namespace bb::app
