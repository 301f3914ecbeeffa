#include <iostream>

#include "app/commands/commands.hpp"
#include "storage/stores.hpp"

namespace bb::app {

int runMigrate(const Args& args) {
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto stores = openStoresOrReport(config, "migration failed");
  if (!stores) { return 1; }
  stores->close();
  return 0;
}

}  // namespace bb::app
