#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/cases/case_service.hpp"
#include "bot/ports.hpp"
#include "storage/sqlite_case_store.hpp"

namespace bb::app {

int runApiKey(const Args& args) {
  if (args.size() < 2 || args[1] != "add") { return kBadUsage; }
  const std::string name = argValue(args, "--name");
  const std::vector<std::string> departments = argValues(args, "--department");
  if (name.empty() || departments.empty()) {
    std::cerr << "apikey add: --name and at least one --department are required\n";
    return 2;
  }
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto db = openDatabaseOrReport(config, "database");
  if (!db) { return 1; }
  SystemClock clock;
  SystemRandom random;
  storage::SqliteCaseStore cases(*db);
  auto key = [&]() -> Result<std::string> {
    std::string plain = CaseService::newApiKey(random);
    auto added = cases.addApiKey(name, CaseService::hashApiKey(plain), departments, clock.now());
    if (!added) { return fail(added.error().code, added.error().detail); }
    return plain;
  }();
  db->close();
  if (!key) {
    std::cerr << "apikey add: " << key.error().detail << "\n";
    return 1;
  }
  std::cout << *key << "\n";
  std::cerr << "API key for '" << name << "' created; it is shown only this once.\n";
  return 0;
}

}  // namespace bb::app
