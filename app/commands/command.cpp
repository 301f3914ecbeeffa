#include "app/commands/command.hpp"

#include <cstdlib>
#include <iostream>

#include "app/demo/demo_keys.hpp"
#include "bot/text/local_time.hpp"
#include "storage/open.hpp"
#include "storage/stores.hpp"

namespace bb::app {

std::string argValue(const Args& args, const std::string& name) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) { return args[i + 1]; }
  }
  return {};
}

std::vector<std::string> argValues(const Args& args, const std::string& name) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) { out.push_back(args[i + 1]); }
  }
  return out;
}

bool loadConfigOrReport(const Args& args, config::Config& out, bool create_demo_keys) {
  auto loaded =
      config::loadConfig(argValue(args, "--config"), config::processEnv(), config::diskFiles());
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) { std::cerr << "config error: " << e << "\n"; }
    return false;
  }
  out = loaded.config;
  if (out.demo && create_demo_keys) {
    auto keys = ensureDemoKeys(out);
    if (!keys) {
      std::cerr << "config error: demo keys: " << keys.error().detail << "\n";
      return false;
    }
  }
  return true;
}

std::unique_ptr<storage::Database> openDatabaseOrReport(const config::Config& config,
                                                        std::string_view what) {
  auto db = storage::openDatabase(config.storage, storage::pseudonymKeyBytes(config.privacy));
  if (!db) {
    std::cerr << what << ": " << db.error().detail << "\n";
    return nullptr;
  }
  return std::move(*db);
}

bool sqliteOnly(const config::Config& config, std::string_view command) {
  if (config.storage.backend != "postgresql") { return true; }
  std::cerr << command
            << ": works on the SQLite file only; with storage.backend postgresql use "
               "PostgreSQL's own tools (pg_dump, pg_basebackup; docs/deploy/ha.md)\n";
  return false;
}

std::unique_ptr<storage::Stores> openStoresOrReport(const config::Config& config,
                                                   std::string_view what) {
  static const SystemClock clock;  // the stores keep it: it outlives them
  auto stores = storage::openStores(config, clock, storage::pseudonymKeyBytes(config.privacy));
  if (!stores) {
    std::cerr << what << ": " << stores.error().detail << "\n";
    return nullptr;
  }
  return std::move(*stores);
}

Result<void> loadLocalZone() {
  const char* dir = std::getenv("TZDIR");
  return bb::loadLocalZone(dir != nullptr && *dir != '\0' ? std::string(dir)
                                                          : std::string(kDefaultZoneinfoDir));
}

}  // namespace bb::app
