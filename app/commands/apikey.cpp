#include <algorithm>
#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/cases/case_service.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/ports.hpp"
#include "bot/text/local_time.hpp"
#include "storage/stores.hpp"

namespace bb::app {
namespace {

//! False (with the known ones on stderr) when a department is neither "*" nor named by a
//! category or district: a typo would make a key that sees no ticket at all.
bool departmentsKnown(const config::Config& config, const std::vector<std::string>& departments) {
  auto flows = loadFlowData(config);
  if (!flows) {
    std::cerr << "apikey add: " << flows.error().detail << "\n";
    return false;
  }
  std::vector<std::string> known;
  for (const auto& c : flows->categories) { known.push_back(c.department); }
  for (const auto& d : flows->geo.districts) {
    if (!d.department.empty()) { known.push_back(d.department); }
  }
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  for (const auto& d : departments) {
    if (d == "*" || std::binary_search(known.begin(), known.end(), d)) { continue; }
    std::cerr << "apikey add: unknown department '" << d << "' (known: *";
    for (const auto& k : known) { std::cerr << " " << k; }
    std::cerr << ")\n";
    return false;
  }
  return true;
}

int addKey(const Args& args, CaseStore& cases) {
  const std::string name = argValue(args, "--name");
  const std::vector<std::string> departments = argValues(args, "--department");
  SystemClock clock;
  SystemRandom random;
  std::string plain = CaseService::newApiKey(random);
  auto added = cases.addApiKey(name, CaseService::hashApiKey(plain), departments, clock.now());
  if (!added) {
    std::cerr << "apikey add: " << added.error().detail << "\n";
    return 1;
  }
  std::cout << plain << "\n";
  std::cerr << "API key for '" << name << "' created; it is shown only this once.\n";
  return 0;
}

int listKeys(CaseStore& cases) {
  auto keys = cases.apiKeys();
  if (!keys) {
    std::cerr << "apikey list: " << keys.error().detail << "\n";
    return 1;
  }
  std::cout << "name\tdepartments\tcreated\tstate\n";
  for (const auto& k : *keys) {
    std::string departments;
    for (const auto& d : k.departments) { departments += (departments.empty() ? "" : ",") + d; }
    std::cout << k.name << "\t" << departments << "\t" << localDateTime(k.created_at) << "\t"
              << (k.revoked ? "revoked " + localDateTime(k.revoked_at) : std::string("active"))
              << "\n";
  }
  return 0;
}

int revokeKey(const Args& args, CaseStore& cases) {
  const std::string name = argValue(args, "--name");
  SystemClock clock;
  auto revoked = cases.revokeApiKey(name, clock.now());
  if (!revoked) {
    std::cerr << "apikey revoke: " << revoked.error().detail << "\n";
    return revoked.error().code == ErrorCode::NotFound ? 2 : 1;
  }
  std::cerr << "API key '" << name << "' revoked; it is refused from now on.\n";
  return 0;
}

}  // namespace

int runApiKey(const Args& args) {
  if (args.size() < 2) { return kBadUsage; }
  const std::string& verb = args[1];
  if (verb != "add" && verb != "list" && verb != "revoke") { return kBadUsage; }
  if (verb == "add" && (argValue(args, "--name").empty() || argValues(args, "--department").empty())) {
    std::cerr << "apikey add: --name and at least one --department are required\n";
    return 2;
  }
  if (verb == "revoke" && argValue(args, "--name").empty()) {
    std::cerr << "apikey revoke: --name is required\n";
    return 2;
  }
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  if (verb == "add" && !departmentsKnown(config, argValues(args, "--department"))) { return 2; }
  if (verb == "list" && !loadLocalZone()) {
    std::cerr << "apikey list: the Europe/Berlin zone rules are missing (tzdata)\n";
    return 1;
  }
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  const int code = verb == "add"    ? addKey(args, stores->cases())
                   : verb == "list" ? listKeys(stores->cases())
                                    : revokeKey(args, stores->cases());
  stores->close();
  return code;
}

}  // namespace bb::app
