#include <algorithm>
#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/cases/deliveries.hpp"
#include "bot/ports.hpp"
#include "bot/text/local_time.hpp"
#include "storage/stores.hpp"

namespace bb::app {
namespace {

constexpr int kMaxListed = 10000;

AuditEntry cliAudit(const std::string& action, const std::string& ref, SysTime now) {
  AuditEntry a;
  a.at = now;
  a.actor = "cli";
  a.action = action;
  a.detail = ref;
  return a;
}

int list(CaseStore& cases, SysTime now) {
  auto problems = cases.deliveryProblems(kMaxListed);
  if (!problems) {
    std::cerr << "deliveries list: " << problems.error().detail << "\n";
    return 1;
  }
  std::cout << "ref\tkind\tticket\tdepartment\tstate\ttries\tqueued\tage\treason\n";
  for (const auto& p : *problems) {
    std::cout << deliveryRef(p) << "\t" << deliveryKindLabel(p) << "\t" << p.ticket_number << "\t"
              << (p.department.empty() ? "-" : p.department) << "\t" << p.state << "\t"
              << p.tries << "\t" << localDateTime(p.since) << "\t" << deliveryAge(p.since, now)
              << "\t" << p.reason << "\n";
  }
  std::cerr << problems->size() << " deliveries need attention.\n";
  return 0;
}

//! Retries or discards the deliveries named by their references (or, for a retry, --all).
int act(const Args& args, CaseStore& cases, SysTime now, bool discard) {
  const char* verb = discard ? "discard" : "retry";
  std::vector<std::string> refs;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--config") {
      ++i;
    } else if (args[i] != "--all") {
      refs.push_back(args[i]);
    }
  }
  const bool all = std::find(args.begin(), args.end(), "--all") != args.end();
  if (!discard && all) {
    auto problems = cases.deliveryProblems(kMaxListed);
    if (!problems) {
      std::cerr << "deliveries retry: " << problems.error().detail << "\n";
      return 1;
    }
    for (const auto& p : *problems) { refs.push_back(deliveryRef(p)); }
  }
  if (refs.empty()) {
    std::cerr << "deliveries " << verb << ": name at least one reference (b-12, m-34, e-56)"
              << (discard ? "" : " or --all") << "\n";
    return 2;
  }
  int code = 0;
  for (const auto& ref : refs) {
    auto parsed = parseDeliveryRef(ref);
    if (!parsed) {
      std::cerr << "deliveries " << verb << ": '" << ref
                << "' is not a reference (b-12, m-34, e-56)\n";
      code = 2;
      continue;
    }
    const auto audit = cliAudit(discard ? "delivery_discard" : "delivery_retry", ref, now);
    auto r = discard ? cases.discardDelivery(parsed->first, parsed->second, now, audit)
                     : cases.retryDelivery(parsed->first, parsed->second, now, audit);
    if (!r) {
      std::cerr << "deliveries " << verb << " " << ref << ": " << r.error().detail << "\n";
      code = code == 0 ? 1 : code;
      continue;
    }
    std::cout << ref << " " << (discard ? "discarded" : "queued again") << "\n";
  }
  return code;
}

}  // namespace

int runDeliveries(const Args& args) {
  if (args.size() < 2) { return kBadUsage; }
  const std::string& verb = args[1];
  if (verb != "list" && verb != "retry" && verb != "discard") { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  if (!loadLocalZone()) {
    std::cerr << "deliveries: the Europe/Berlin zone rules are missing (tzdata)\n";
    return 1;
  }
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  SystemClock clock;
  CaseStore& cases = stores->cases();
  const int code = verb == "list" ? list(cases, clock.now())
                                  : act(args, cases, clock.now(), verb == "discard");
  stores->close();
  return code;
}

}  // namespace bb::app
