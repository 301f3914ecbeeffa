#include <algorithm>
#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/ports.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "storage/stores.hpp"

namespace bb::app {
namespace {

//! The departments named in the categories and districts, sorted.
std::vector<std::string> knownDepartments(const FlowData& flows) {
  std::vector<std::string> out;
  for (const auto& c : flows.categories) {
    if (std::find(out.begin(), out.end(), c.department) == out.end()) {
      out.push_back(c.department);
    }
  }
  for (const auto& d : flows.geo.districts) {
    if (!d.department.empty() && std::find(out.begin(), out.end(), d.department) == out.end()) {
      out.push_back(d.department);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

//! False (and the known ones named on stderr) when a department is not in the config.
bool departmentsKnown(const config::Config& config, const std::vector<std::string>& departments) {
  auto flows = loadFlowData(config);
  if (!flows) {
    std::cerr << "staff add: " << flows.error().detail << "\n";
    return false;
  }
  const auto known = knownDepartments(*flows);
  for (const auto& d : departments) {
    if (std::find(known.begin(), known.end(), d) == known.end()) {
      std::cerr << "staff add: unknown department '" << d << "' (known:";
      for (const auto& k : known) { std::cerr << " " << k; }
      std::cerr << ")\n";
      return false;
    }
  }
  return true;
}

std::string readPassword() {
  std::cerr << "Password (min. 10 characters), then Enter: " << std::flush;
  std::string password;
  std::getline(std::cin, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
    password.pop_back();
  }
  return password;
}

//! `staff reset-password --login NAME`: the way back in when the only admin lost their password.
//! Prints a temporary password once; the member must choose a new one at the next login, and
//! every session of the account ends.
int resetPassword(const Args& args) {
  const std::string login = argValue(args, "--login");
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  SystemClock clock;
  InboxStore& inbox_store = stores->inbox();
  auto user = inbox_store.staffByLogin(login);
  if (!user || !*user) {
    stores->close();
    std::cerr << "staff reset-password: no account with that login\n";
    return 2;
  }
  const std::string temporary = auth::temporaryPassword();
  auto hash = auth::hashPassword(temporary);
  AuditEntry audit;
  audit.at = clock.now();
  audit.actor = "cli";
  audit.action = "password_reset";
  audit.detail = "staff=" + std::to_string((*user)->id);
  auto done = hash ? inbox_store.setPassword((*user)->id, *hash, true, "", audit)
                   : Result<void>(fail(hash.error().code, hash.error().detail));
  stores->close();
  if (!done) {
    std::cerr << "staff reset-password: " << done.error().detail << "\n";
    return 1;
  }
  std::cout << "temporary password: " << temporary
            << "  (shown only this once; a new one must be chosen at the next login)" << std::endl;
  return 0;
}

}  // namespace

int runStaff(const Args& args) {
  if (args.size() >= 2 && args[1] == "reset-password") { return resetPassword(args); }
  if (args.size() < 2 || args[1] != "add") { return kBadUsage; }
  auth::NewAccount a;
  a.login = argValue(args, "--login");
  a.role = argValue(args, "--role");
  a.departments = argValues(args, "--department");
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  if (!departmentsKnown(config, a.departments)) { return 2; }
  a.password = readPassword();
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  SystemClock clock;
  InboxStore& inbox_store = stores->inbox();
  auto id = auth::createAccount(inbox_store, a, clock.now());
  stores->close();
  if (!id) {
    std::cerr << "\nstaff add: " << id.error().detail << "\n";
    return 2;
  }
  std::cerr << "\nstaff account '" << a.login << "' (" << a.role << ") created\n";
  return 0;
}

}  // namespace bb::app
