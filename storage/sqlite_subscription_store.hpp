#pragma once
// Subscriptions and the general consents table on SQLite.

#include <string>
#include <vector>

#include "bot/subscriptions/subscriptions.hpp"
#include "storage/database.hpp"

namespace SQLite {
class Database;
}

namespace bb::storage {

//! Applies chat subscription changes inside the caller's transaction (SqliteStore::commitStep):
//! a subscribe grants consent "broadcast:<topic>", an unsubscribe withdraws it.
void applySubscriptionChanges(SQLite::Database& db, const std::string& pseudonym,
                              const std::vector<SubscriptionChange>& changes, std::int64_t now);

//! Consent rows inside the caller's transaction (for other stores that record consent together
//! with their own rows).
void grantConsentIn(SQLite::Database& db, const std::string& pseudonym, const std::string& purpose,
                    int notice_version, std::int64_t now);
void withdrawConsentIn(SQLite::Database& db, const std::string& pseudonym,
                       const std::string& purpose, std::int64_t now);
//! Records `purpose` under the privacy-notice version the citizen accepted
//! (citizens.consent_version) unless a valid row for it exists: the first act for the purpose
//! records it, later ones add nothing. Nothing for someone who accepted no notice.
void grantConsentOnceIn(SQLite::Database& db, const std::string& pseudonym,
                        const std::string& purpose, std::int64_t now);

class SqliteSubscriptionStore final : public SubscriptionStore {
public:
  explicit SqliteSubscriptionStore(Database& db) : db_(db) {}

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
  Database& db_;
};

}  // namespace bb::storage
