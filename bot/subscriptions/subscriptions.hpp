#pragma once
// Subscriptions and consents: the types and the repository port (storage/ implements
// it in sqlite_subscription_store.*), the topics file, and the retention pass for inactive
// subscriptions. Consents are general (purpose "broadcast:<topic>", "service", "participation";
// bot/conversation/store.hpp names them).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/conversation/store.hpp"
#include "bot/types.hpp"
#include "flows/flow_types.hpp"

namespace bb {

//! One consent a citizen gave for a purpose, under a version of the privacy notice.
struct ConsentRecord {
  std::string pseudonym;
  std::string purpose;  //!< "broadcast:stadtrat", "service", "participation"
  int notice_version = 0;
  SysTime granted_at{};
  std::optional<SysTime> withdrawn_at;  //!< set: no longer valid
};

struct SubscriptionRecord {
  std::string topic;
  SysTime created_at{};
  std::optional<SysTime> reminded_at;  //!< the retention reminder went out at this time
};

//! A topic as configured: its chat labels, the OParl organizations whose results it carries and
//! whether OParl results go out at once (otherwise they wait as drafts for an editor).
struct TopicSetting {
  flows::Topic topic;
  std::vector<std::string> oparl_organizations;  //!< Organization ids (URLs)
  bool send_at_once = false;
};

//! Parses the topics file: `[{"id", "label": {"de", "en"}, "oparl_organizations": [...],
//! "send_at_once": false}]`. Ids are lowercase [a-z0-9_-], unique, at most 40 characters.
Result<std::vector<TopicSetting>> parseTopics(const std::string& json_text);

//! Retention of subscriptions (data protection): what one pass did.
struct RetentionReport {
  int reminded = 0;  //!< citizens reminded (once)
  int removed = 0;   //!< citizens whose subscriptions were removed
  int revived = 0;   //!< reminded citizens who wrote again and keep their subscriptions
};

class SubscriptionStore {
public:
  virtual ~SubscriptionStore() = default;

  //! Topic ids the citizen subscribed to (with a valid consent), sorted.
  virtual Result<std::vector<std::string>> topicsOf(const std::string& pseudonym) = 0;
  virtual Result<std::vector<SubscriptionRecord>> subscriptionsOf(const std::string& pseudonym) = 0;

  // ---- consents (general) ----
  virtual Result<std::vector<ConsentRecord>> consentsOf(const std::string& pseudonym) = 0;
  //! Records a consent (a new row; an earlier valid consent for the purpose is withdrawn).
  virtual Result<void> grantConsent(const std::string& pseudonym, const std::string& purpose,
                                    int notice_version, SysTime now) = 0;
  virtual Result<void> withdrawConsent(const std::string& pseudonym, const std::string& purpose,
                                       SysTime now) = 0;
  virtual Result<bool> hasConsent(const std::string& pseudonym, const std::string& purpose) = 0;

  // ---- fan-out ----
  //! Reachable subscribers of `topic` on `channel` who hold a valid consent for its broadcasts,
  //! ordered by pseudonym, after `after_pseudonym`, at most `limit`.
  virtual Result<std::vector<CitizenRecord>> subscribersOf(const std::string& topic,
                                                           Channel channel,
                                                           const std::string& after_pseudonym,
                                                           int limit) = 0;

  // ---- retention ----
  //! Citizens with subscriptions, not reminded yet, whose last message and newest subscription
  //! are both older than `inactive_before`.
  virtual Result<std::vector<CitizenRecord>> inactiveSubscribers(SysTime inactive_before,
                                                                 int limit) = 0;
  //! Queues `reminder` and marks the citizen's subscriptions reminded at `now` (one transaction).
  virtual Result<void> remind(const std::string& pseudonym, const NewOutbound& reminder,
                              SysTime now) = 0;
  //! Reminded citizens who wrote since: the reminder is cleared. Returns how many.
  virtual Result<int> clearAnsweredReminders() = 0;
  //! Removes subscriptions reminded before `reminded_before` whose citizen did not write since,
  //! withdrawing their broadcast consents at `now`. Returns the number of citizens.
  virtual Result<int> removeUnanswered(SysTime reminded_before, SysTime now) = 0;
};

struct RetentionOptions {
  int inactive_months = 12;  //!< remind after this long without a message from the citizen
  int remove_after_days = 30;  //!< then remove, if the citizen still did not write
};

//! The export lines (Replies::dataExport): every subscription and every consent, each on its
//! own line starting with a newline; empty when there are none.
std::string exportSubscriptions(SubscriptionStore& store, const flows::TextCatalog& texts,
                                const std::vector<flows::Topic>& topics,
                                const std::string& pseudonym, flows::Lang lang);

//! The scheduler's retention pass: remind inactive subscribers once, remove after a grace period.
RetentionReport runSubscriptionRetention(SubscriptionStore& store, const flows::TextCatalog& texts,
                                         const std::vector<flows::Topic>& topics,
                                         const RetentionOptions& options, SysTime now);

}  // namespace bb
