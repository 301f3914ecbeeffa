#pragma once
// The staff digest by mail (docs/inbox.md), run when `smtp.url` is set: a check every few
// minutes sends what is due (bot/staff/digest.hpp decides what and when).

#include <memory>

#include "bot/ports.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/runtime/periodic.hpp"
#include "bot/staff/digest.hpp"
#include "config/config.hpp"

namespace bb::app {

DigestPolicy digestPolicy(const config::Config& c);
SmtpSettings smtpSettings(const config::Config& c);

struct StaffDigestTask {
  StaffDigestTask(const config::Config& config, InboxStore& store, Random& random,
                  const Clock& clock, Metrics& metrics);

  std::unique_ptr<Mailer> mailer;
  StaffDigest digest;
  PeriodicTask task;
};

}  // namespace bb::app
