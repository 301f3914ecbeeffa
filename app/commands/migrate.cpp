#include <iostream>

#include "app/commands/commands.hpp"

namespace bb::app {

int runMigrate(const Args& args) {
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto db = openDatabaseOrReport(config, "migration failed");
  if (!db) { return 1; }
  db->close();
  return 0;
}

}  // namespace bb::app
