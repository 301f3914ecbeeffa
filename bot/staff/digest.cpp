#include "bot/staff/digest.hpp"

#include "bot/log.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/text/local_time.hpp"

namespace bb {
namespace {

std::string counted(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string nameOf(const DigestPolicy& policy, const std::string& department) {
  auto it = policy.department_names.find(department);
  return it == policy.department_names.end() ? department : it->second;
}

std::string baseUrl(const std::string& url) {
  return !url.empty() && url.back() == '/' ? url.substr(0, url.size() - 1) : url;
}

}  // namespace

bool digestOffered(const StaffUser& user) {
  return user.role == StaffRole::Admin || user.role == StaffRole::Agent;
}

std::optional<MailMessage> digestMail(const std::string& to, const std::vector<NewWork>& work,
                                      const DigestPolicy& policy, SysTime now) {
  std::int64_t tickets = 0;
  std::int64_t messages = 0;
  std::string lines;
  for (const auto& w : work) {
    if (w.new_tickets == 0 && w.new_messages == 0) { continue; }
    tickets += w.new_tickets;
    messages += w.new_messages;
    std::string parts;
    if (w.new_tickets > 0) { parts = counted(w.new_tickets, "neue Meldung", "neue Meldungen"); }
    if (w.new_messages > 0) {
      if (!parts.empty()) { parts += ", "; }
      parts += counted(w.new_messages, "ungelesene Nachricht", "ungelesene Nachrichten");
    }
    lines += "- " + nameOf(policy, w.department) + ": " + parts + "\n";
  }
  if (tickets == 0 && messages == 0) { return std::nullopt; }
  const std::string base = baseUrl(policy.public_url);
  MailMessage mail;
  mail.to = to;
  mail.subject = "Bürgerbox: " + counted(tickets, "neue Meldung", "neue Meldungen") + ", " +
                 counted(messages, "ungelesene Nachricht", "ungelesene Nachrichten");
  mail.text = "Guten Tag,\n\nim Bürgerbox-Posteingang wartet neue Arbeit (Stand " +
              localDateTime(now) + " Uhr):\n\n" + lines + "\nZum Posteingang: " + base +
              "/inbox\n\n-- \nDiese Übersicht nennt nur Zahlen, keine Inhalte. Sie kommt "
              "einmal am Tag, wenn es Neues gibt.\nAbbestellen oder Adresse ändern: " +
              base + "/inbox/konto\n";
  return mail;
}

StaffDigest::StaffDigest(InboxStore& store, Mailer& mailer, DigestPolicy policy, Metrics* metrics)
    : store_(store), mailer_(mailer), policy_(std::move(policy)), metrics_(metrics) {}

DigestRun StaffDigest::run(SysTime now) {
  DigestRun out;
  if (localHour(now) < policy_.hour) { return out; }
  const std::string day = localIsoDate(now);
  auto due = store_.digestsDue(day);
  if (!due) {
    log::warn("digest_due_failed", {{"error", due.error().detail}});
    return out;
  }
  auto count = [this](const char* result) {
    if (metrics_ != nullptr) {
      metrics_->increment("buergerbox_staff_digests_total", std::string("result=\"") + result + "\"");
    }
  };
  for (const auto& d : *due) {
    std::vector<NewWork> work;
    if (digestOffered(d.user)) {
      TicketQuery scope;
      scope.all_departments = d.user.role == StaffRole::Admin;
      scope.departments = d.user.departments;
      auto w = store_.newWork(scope);
      if (!w) { continue; }  // the store is failing: the next run tries again
      work = std::move(*w);
    }
    auto mail = digestMail(d.email, work, policy_, now);
    if (!mail) {
      (void)store_.recordDigestDone(d.user.id, day, std::nullopt);
      ++out.nothing_new;
      count("nothing_new");
      continue;
    }
    if (auto sent = mailer_.send(*mail); sent) {
      (void)store_.recordDigestDone(d.user.id, day, now);
      ++out.sent;
      count("sent");
    } else {
      (void)store_.recordDigestFailure(d.user.id, day, sent.error().detail, now, policy_.max_tries);
      // The account id, never the address.
      log::warn("digest_send_failed", {{"staff_id", std::to_string(d.user.id)},
                                       {"try", std::to_string(d.failed_tries + 1)},
                                       {"error", sent.error().detail}});
      ++out.failed;
      count("failed");
    }
  }
  return out;
}

}  // namespace bb
