#include "storage/postgresql/pg_subscription_store.hpp"

#include <string>
#include <vector>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/rows.hpp"

namespace bb::storage::pg {
namespace {

std::vector<CitizenRecord> citizensOf(const Rows& rows) {
  std::vector<CitizenRecord> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(readCitizen(rows, i)); }
  return out;
}

}  // namespace

Result<std::vector<std::string>> PgSubscriptionStore::topicsOf(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT s.topic FROM sub_subscriptions s JOIN consents k ON "
                      "k.pseudonym = s.pseudonym AND k.purpose = 'broadcast:' || s.topic AND "
                      "k.withdrawn_at IS NULL WHERE s.pseudonym = $1 ORDER BY s.topic",
                      pseudonym);
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.text(i, 0)); }
    return out;
  });
}

Result<std::vector<SubscriptionRecord>> PgSubscriptionStore::subscriptionsOf(
    const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT topic, created_at, reminded_at FROM sub_subscriptions "
                      "WHERE pseudonym = $1 ORDER BY topic",
                      pseudonym);
    std::vector<SubscriptionRecord> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(SubscriptionRecord{rows.text(i, 0), fromMillis(rows.int64(i, 1)),
                                       timeAt(rows, i, 2)});
    }
    return out;
  });
}

Result<std::vector<ConsentRecord>> PgSubscriptionStore::consentsOf(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT purpose, notice_version, granted_at, withdrawn_at FROM consents "
                      "WHERE pseudonym = $1 ORDER BY id",
                      pseudonym);
    std::vector<ConsentRecord> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(ConsentRecord{pseudonym, rows.text(i, 0),
                                  static_cast<int>(rows.int64(i, 1)),
                                  fromMillis(rows.int64(i, 2)), timeAt(rows, i, 3)});
    }
    return out;
  });
}

Result<void> PgSubscriptionStore::grantConsent(const std::string& pseudonym,
                                               const std::string& purpose, int notice_version,
                                               SysTime now) {
  return db_.transaction([&](Session& s) {
    pg::grantConsent(s, pseudonym, purpose, notice_version, toMillis(now));
  });
}

Result<void> PgSubscriptionStore::withdrawConsent(const std::string& pseudonym,
                                                  const std::string& purpose, SysTime now) {
  return db_.withConnection(
      [&](Session& s) { pg::withdrawConsent(s, pseudonym, purpose, toMillis(now)); });
}

Result<bool> PgSubscriptionStore::hasConsent(const std::string& pseudonym,
                                             const std::string& purpose) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM consents WHERE pseudonym = $1 AND purpose = $2 AND "
                  "withdrawn_at IS NULL",
                  pseudonym, purpose)
                .empty();
  });
}

Result<std::vector<CitizenRecord>> PgSubscriptionStore::subscribersOf(
    const std::string& topic, Channel channel, const std::string& after_pseudonym, int limit) {
  // Only a valid consent for this topic's broadcasts counts (opt-in), and only reachable
  // citizens who accepted the privacy notice.
  return db_.withConnection([&](Session& s) {
    return citizensOf(s.run(
        std::string("SELECT ") + kCitizenColumns +
            " FROM sub_subscriptions s JOIN citizens c ON c.pseudonym = s.pseudonym "
            "JOIN consents k ON k.pseudonym = s.pseudonym AND "
            "k.purpose = 'broadcast:' || s.topic AND k.withdrawn_at IS NULL "
            "WHERE s.topic = $1 AND c.channel = $2 AND c.unreachable = 0 AND "
            "c.consent_version > 0 AND s.pseudonym > $3 ORDER BY s.pseudonym LIMIT $4",
        topic, toString(channel), after_pseudonym, limit));
  });
}

Result<std::vector<CitizenRecord>> PgSubscriptionStore::inactiveSubscribers(
    SysTime inactive_before, int limit) {
  return db_.withConnection([&](Session& s) {
    return citizensOf(s.run(
        std::string("SELECT ") + kCitizenColumns +
            " FROM citizens c JOIN sub_subscriptions s ON s.pseudonym = c.pseudonym "
            "GROUP BY c.pseudonym HAVING MAX(s.reminded_at) IS NULL AND "
            "MAX(s.created_at) < $1 AND COALESCE(c.last_inbound_at, 0) < $1 "
            "ORDER BY c.pseudonym LIMIT $2",
        toMillis(inactive_before), limit));
  });
}

Result<void> PgSubscriptionStore::remind(const std::string& pseudonym,
                                         const NewOutbound& reminder, SysTime now) {
  return db_.transaction([&](Session& s) {
    const std::int64_t ms = toMillis(now);
    insertOutbound(s, reminder, 0, ms);
    s.run("UPDATE sub_subscriptions SET reminded_at = $1 WHERE pseudonym = $2", ms, pseudonym);
  });
}

Result<int> PgSubscriptionStore::clearAnsweredReminders() {
  return db_.withConnection([](Session& s) {
    // One statement: the citizens who wrote after their reminder, counted once each.
    Rows rows = s.run(
        "WITH answered AS (SELECT DISTINCT s.pseudonym FROM sub_subscriptions s "
        "JOIN citizens c ON c.pseudonym = s.pseudonym WHERE s.reminded_at IS NOT NULL AND "
        "c.last_inbound_at > s.reminded_at), "
        "cleared AS (UPDATE sub_subscriptions SET reminded_at = NULL "
        "WHERE pseudonym IN (SELECT pseudonym FROM answered) RETURNING pseudonym) "
        "SELECT count(DISTINCT pseudonym) FROM cleared");
    return static_cast<int>(rows.int64(0, 0));
  });
}

Result<int> PgSubscriptionStore::removeUnanswered(SysTime reminded_before, SysTime now) {
  auto candidates = db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT DISTINCT s.pseudonym FROM sub_subscriptions s LEFT JOIN citizens c "
                      "ON c.pseudonym = s.pseudonym WHERE s.reminded_at IS NOT NULL AND "
                      "s.reminded_at <= $1 AND COALESCE(c.last_inbound_at, 0) <= s.reminded_at "
                      "ORDER BY s.pseudonym",
                      toMillis(reminded_before));
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.text(i, 0)); }
    return out;
  });
  if (!candidates) { return Unexpected<Error>{candidates.error()}; }
  int removed = 0;
  for (const std::string& pseudonym : *candidates) {
    // One citizen at a time, looked at again under the lock every step of that citizen takes
    // first (storage/postgresql/pg_store.cpp): an answer committed since the list was read
    // (by any instance) is seen now, one being committed is waited for.
    auto done = db_.transaction([&](Session& s) {
      lockRecipients(s, {pseudonym});
      Rows topics = s.run("SELECT s.topic FROM sub_subscriptions s LEFT JOIN citizens c ON "
                          "c.pseudonym = s.pseudonym WHERE s.pseudonym = $1 AND s.reminded_at IS "
                          "NOT NULL AND s.reminded_at <= $2 AND COALESCE(c.last_inbound_at, 0) <= "
                          "s.reminded_at ORDER BY s.topic",
                          pseudonym, toMillis(reminded_before));
      std::vector<SubscriptionChange> changes;
      for (int t = 0; t < topics.size(); ++t) {
        changes.push_back(
            SubscriptionChange{SubscriptionChange::Op::Unsubscribe, topics.text(t, 0), 0});
      }
      applySubscriptionChanges(s, pseudonym, changes, toMillis(now));
      return !changes.empty();
    });
    if (!done) { return Unexpected<Error>{done.error()}; }
    if (*done) { ++removed; }
  }
  return removed;
}

}  // namespace bb::storage::pg
