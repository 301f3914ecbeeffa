#pragma once
// Subscriptions and the general consents table on PostgreSQL: the same rows and answers as
// storage/sqlite_subscription_store.cpp.

#include "bot/subscriptions/subscriptions.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgSubscriptionStore final : public SubscriptionStore {
public:
  explicit PgSubscriptionStore(PgDatabase& db) : db_(db) {}

  Result<std::vector<std::string>> topicsOf(const std::string& pseudonym) override;
  Result<std::vector<SubscriptionRecord>> subscriptionsOf(const std::string& pseudonym) override;
  Result<std::vector<ConsentRecord>> consentsOf(const std::string& pseudonym) override;
  Result<void> grantConsent(const std::string& pseudonym, const std::string& purpose,
                            int notice_version, SysTime now) override;
  Result<void> withdrawConsent(const std::string& pseudonym, const std::string& purpose,
                               SysTime now) override;
  Result<bool> hasConsent(const std::string& pseudonym, const std::string& purpose) override;
  Result<std::vector<CitizenRecord>> subscribersOf(const std::string& topic, Channel channel,
                                                   const std::string& after_pseudonym,
                                                   int limit) override;
  Result<std::vector<CitizenRecord>> inactiveSubscribers(SysTime inactive_before,
                                                         int limit) override;
  Result<void> remind(const std::string& pseudonym, const NewOutbound& reminder,
                      SysTime now) override;
  Result<int> clearAnsweredReminders() override;
  Result<int> removeUnanswered(SysTime reminded_before, SysTime now) override;

private:
  PgDatabase& db_;
};

}  // namespace bb::storage::pg
