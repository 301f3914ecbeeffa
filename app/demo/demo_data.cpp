#include "app/demo/demo_data.hpp"

#include <chrono>
#include <iostream>

#include "bot/log.hpp"
#include "bot/security/crypto.hpp"
#include "bot/staff/staff_accounts.hpp"

namespace bb::app {

void seedDemoCampaign(ProposalStore& proposals, const Clock& clock) {
  auto existing = proposals.campaigns();
  if (!existing || !existing->empty()) { return; }
  const auto day = std::chrono::hours(24);
  Campaign c;
  c.title = "Bürgerhaushalt 2027";
  c.description = "Was soll die Stadt 2027 für Sie umsetzen? Reichen Sie Vorschläge ein, "
                  "kommentieren und unterstützen Sie die Vorschläge anderer.";
  const auto now = clock.now();
  c.dates.collecting_from = now - day;
  c.dates.supporting_from = now + 13 * day;
  c.dates.review_from = now + 28 * day;
  c.dates.decision_from = now + 42 * day;
  c.dates.implementation_from = now + 56 * day;
  c.dates.closed_from = now + 365 * day;
  c.max_proposals_per_citizen = 3;
  c.support_threshold = 50;
  c.topics = {"Verkehr", "Grün und Klima", "Freizeit und Sport", "Kultur", "Soziales"};
  if (auto id = proposals.createCampaign(c); id) {
    log::info("demo_campaign_created", {{"campaign", std::to_string(*id)}});
  }
}

void seedDemoAdmin(InboxStore& staff, const std::vector<std::string>& departments,
                   const std::string& public_url, const Clock& clock) {
  auto count = staff.staffCount();
  if (!count || *count != 0) { return; }
  auth::NewAccount a;
  a.login = "demo";
  a.role = "admin";
  a.departments = departments;
  a.password = crypto::randomHex(8);
  // Printed on a terminal (and often in a shared log): it must not stay the account's password.
  a.must_change_password = true;
  if (auto id = auth::createAccount(staff, a, clock.now()); id) {
    std::cout << "Staff inbox (demo): " << public_url << "/inbox  login: demo  "
              << "password: " << a.password << "  (shown only this once; choose a new one at the first login)" << std::endl;
    log::info("inbox_demo_admin_created", {{"staff_id", std::to_string(*id)}});
  }
}

}  // namespace bb::app
