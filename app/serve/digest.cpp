#include "app/serve/digest.hpp"

#include <chrono>

namespace bb::app {

DigestPolicy digestPolicy(const config::Config& c) {
  DigestPolicy p;
  p.hour = c.smtp.digest_hour;
  p.public_url = c.server.public_url;
  std::vector<std::pair<std::string, std::string>> names;
  if (config::parseDepartmentNames(c.flows.department_names, names)) {
    p.department_names.insert(names.begin(), names.end());
  }
  return p;
}

SmtpSettings smtpSettings(const config::Config& c) {
  SmtpSettings s;
  s.url = c.smtp.url;
  s.from = c.smtp.from;
  s.user = c.smtp.user;
  s.password = c.smtp.password;
  s.require_tls = c.smtp.require_tls;
  return s;
}

// The first check soon after start (a restart at 7:30 still sends the 7 o'clock digest), then
// every five minutes: a failed try is retried within minutes, not the next day.
StaffDigestTask::StaffDigestTask(const config::Config& config, InboxStore& store, Random& random,
                                 const Clock& clock, Metrics& metrics)
    : mailer(makeCurlMailer(smtpSettings(config), random, clock)),
      digest(store, *mailer, digestPolicy(config), &metrics),
      task("staff-digest", std::chrono::minutes(5), std::chrono::seconds(10),
           [this, &clock] { (void)digest.run(clock.now()); }) {}

}  // namespace bb::app
