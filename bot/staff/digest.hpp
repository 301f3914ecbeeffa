#pragma once
// The daily digest by mail (docs/inbox.md): once a Berlin day, from `hour` on, every member who
// turned it on under "Mein Konto" gets the counts of new tickets and unread citizen messages in
// their departments, with a link to the inbox. Counts and links only: no ticket text, no
// citizen, no address, so nothing personal leaves the server by mail. No mail on a day without
// new work. A failed try is retried on the next run, at most `max_tries` a day; the reason stays
// on the member's account page and in /metrics.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"

namespace bb {

class Metrics;

//! Failed tries per member and day before the digest waits for the next day.
inline constexpr int kDigestMaxTries = 3;

struct DigestPolicy {
  int hour = 7;                //!< local hour from which the day's digest goes out
  std::string public_url;      //!< base of the links (server.public_url)
  std::map<std::string, std::string> department_names;  //!< flows.department_names
  int max_tries = kDigestMaxTries;
};

struct DigestRun {
  int sent = 0;
  int nothing_new = 0;
  int failed = 0;
};

//! Members who work tickets (admins, agents) can have a digest; moderators and editors cannot.
bool digestOffered(const StaffUser& user);

//! The mail for `work` (the member's departments), or nullopt when there is nothing new.
std::optional<MailMessage> digestMail(const std::string& to, const std::vector<NewWork>& work,
                                      const DigestPolicy& policy, SysTime now);

class StaffDigest {
public:
  StaffDigest(InboxStore& store, Mailer& mailer, DigestPolicy policy, Metrics* metrics = nullptr);
  //! Sends what is due at `now`; before the policy's hour nothing.
  DigestRun run(SysTime now);

private:
  InboxStore& store_;
  Mailer& mailer_;
  DigestPolicy policy_;
  Metrics* metrics_;
};

}  // namespace bb
