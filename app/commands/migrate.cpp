#include <iostream>

#include "app/commands/commands.hpp"
#include "storage/open.hpp"

namespace bb::app {

int runMigrate(const Args& args) {
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto db = storage::openDatabase(config.storage);
  if (!db) {
    std::cerr << "migration failed: " << db.error().detail << "\n";
    return 1;
  }
  (*db)->close();
  return 0;
}

}  // namespace bb::app
