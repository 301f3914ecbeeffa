#include "storage/sqlite_subscription_store.hpp"

#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {

void grantConsentIn(SQLite::Database& db, const std::string& pseudonym, const std::string& purpose,
                    int notice_version, std::int64_t now) {
  withdrawConsentIn(db, pseudonym, purpose, now);
  SQLite::Statement q(db,
                      "INSERT INTO consents (pseudonym, purpose, notice_version, granted_at) "
                      "VALUES (?, ?, ?, ?)");
  q.bind(1, pseudonym);
  q.bind(2, purpose);
  q.bind(3, notice_version);
  q.bind(4, now);
  q.exec();
}

void withdrawConsentIn(SQLite::Database& db, const std::string& pseudonym,
                       const std::string& purpose, std::int64_t now) {
  SQLite::Statement q(db,
                      "UPDATE consents SET withdrawn_at = ? "
                      "WHERE pseudonym = ? AND purpose = ? AND withdrawn_at IS NULL");
  q.bind(1, now);
  q.bind(2, pseudonym);
  q.bind(3, purpose);
  q.exec();
}

void grantConsentOnceIn(SQLite::Database& db, const std::string& pseudonym,
                        const std::string& purpose, std::int64_t now) {
  SQLite::Statement q(db,
                      "INSERT INTO consents (pseudonym, purpose, notice_version, granted_at) "
                      "SELECT pseudonym, ?2, consent_version, ?3 FROM citizens "
                      "WHERE pseudonym = ?1 AND consent_version > 0 AND NOT EXISTS "
                      "(SELECT 1 FROM consents WHERE pseudonym = ?1 AND purpose = ?2 "
                      "AND withdrawn_at IS NULL)");
  q.bind(1, pseudonym);
  q.bind(2, purpose);
  q.bind(3, now);
  q.exec();
}

void applySubscriptionChanges(SQLite::Database& db, const std::string& pseudonym,
                              const std::vector<SubscriptionChange>& changes, std::int64_t now) {
  using Op = SubscriptionChange::Op;
  for (const SubscriptionChange& c : changes) {
    switch (c.op) {
      case Op::Subscribe: {
        SQLite::Statement q(db,
                            "INSERT INTO sub_subscriptions (pseudonym, topic, created_at) "
                            "VALUES (?, ?, ?) ON CONFLICT (pseudonym, topic) DO UPDATE SET "
                            "reminded_at = NULL");
        q.bind(1, pseudonym);
        q.bind(2, c.topic);
        q.bind(3, now);
        q.exec();
        grantConsentIn(db, pseudonym, broadcastPurpose(c.topic), c.notice_version, now);
        break;
      }
      case Op::Unsubscribe: {
        SQLite::Statement q(db, "DELETE FROM sub_subscriptions WHERE pseudonym = ? AND topic = ?");
        q.bind(1, pseudonym);
        q.bind(2, c.topic);
        q.exec();
        withdrawConsentIn(db, pseudonym, broadcastPurpose(c.topic), now);
        break;
      }
      case Op::UnsubscribeAll: {
        SQLite::Statement d(db, "DELETE FROM sub_subscriptions WHERE pseudonym = ?");
        d.bind(1, pseudonym);
        d.exec();
        SQLite::Statement w(db,
                            "UPDATE consents SET withdrawn_at = ? WHERE pseudonym = ? AND "
                            "purpose LIKE 'broadcast:%' AND withdrawn_at IS NULL");
        w.bind(1, now);
        w.bind(2, pseudonym);
        w.exec();
        break;
      }
    }
  }
}

Result<std::vector<std::string>> SqliteSubscriptionStore::topicsOf(const std::string& pseudonym) {
  return readAll(
      db_,
      "SELECT s.topic FROM sub_subscriptions s JOIN consents k ON "
      "k.pseudonym = s.pseudonym AND k.purpose = 'broadcast:' || s.topic AND "
      "k.withdrawn_at IS NULL WHERE s.pseudonym = ? ORDER BY s.topic",
      textColumn, pseudonym);
}

Result<std::vector<SubscriptionRecord>> SqliteSubscriptionStore::subscriptionsOf(
    const std::string& pseudonym) {
  return readAll(
      db_,
      "SELECT topic, created_at, reminded_at FROM sub_subscriptions "
      "WHERE pseudonym = ? ORDER BY topic",
      [](SQLite::Statement& q) {
        SubscriptionRecord r;
        r.topic = q.getColumn(0).getString();
        r.created_at = fromMillis(q.getColumn(1).getInt64());
        r.reminded_at = optionalTime(q.getColumn(2));
        return r;
      },
      pseudonym);
}

Result<std::vector<ConsentRecord>> SqliteSubscriptionStore::consentsOf(
    const std::string& pseudonym) {
  return readAll(
      db_,
      "SELECT purpose, notice_version, granted_at, withdrawn_at FROM consents "
      "WHERE pseudonym = ? ORDER BY id",
      [&pseudonym](SQLite::Statement& q) {
        ConsentRecord r;
        r.pseudonym = pseudonym;
        r.purpose = q.getColumn(0).getString();
        r.notice_version = q.getColumn(1).getInt();
        r.granted_at = fromMillis(q.getColumn(2).getInt64());
        r.withdrawn_at = optionalTime(q.getColumn(3));
        return r;
      },
      pseudonym);
}

Result<void> SqliteSubscriptionStore::grantConsent(const std::string& pseudonym,
                                                   const std::string& purpose, int notice_version,
                                                   SysTime now) {
  return db_.write([&](SQLite::Database& db) {
    grantConsentIn(db, pseudonym, purpose, notice_version, toMillis(now));
  });
}

Result<void> SqliteSubscriptionStore::withdrawConsent(const std::string& pseudonym,
                                                      const std::string& purpose, SysTime now) {
  return db_.write(
      [&](SQLite::Database& db) { withdrawConsentIn(db, pseudonym, purpose, toMillis(now)); });
}

Result<bool> SqliteSubscriptionStore::hasConsent(const std::string& pseudonym,
                                                 const std::string& purpose) {
  return readExists(db_,
                    "SELECT 1 FROM consents WHERE pseudonym = ? AND purpose = ? AND "
                    "withdrawn_at IS NULL",
                    pseudonym, purpose);
}

Result<std::vector<CitizenRecord>> SqliteSubscriptionStore::subscribersOf(
    const std::string& topic, Channel channel, const std::string& after_pseudonym, int limit) {
  // Only a valid consent for this topic's broadcasts counts (opt-in), and only reachable
  // citizens who accepted the privacy notice.
  return readAll(db_,
                 selectFrom(kCitizenColumns,
                            "sub_subscriptions s JOIN citizens c ON c.pseudonym = s.pseudonym "
                            "JOIN consents k ON k.pseudonym = s.pseudonym AND "
                            "k.purpose = 'broadcast:' || s.topic AND k.withdrawn_at IS NULL "
                            "WHERE s.topic = ? AND c.channel = ? AND c.unreachable = 0 AND "
                            "c.consent_version > 0 AND s.pseudonym > ? "
                            "ORDER BY s.pseudonym LIMIT ?"),
                 readCitizen, topic, toString(channel), after_pseudonym, limit);
}

Result<std::vector<CitizenRecord>> SqliteSubscriptionStore::inactiveSubscribers(
    SysTime inactive_before, int limit) {
  return readAll(db_,
                 selectFrom(kCitizenColumns,
                            "citizens c JOIN sub_subscriptions s ON s.pseudonym = c.pseudonym "
                            "GROUP BY c.pseudonym HAVING MAX(s.reminded_at) IS NULL AND "
                            "MAX(s.created_at) < ?1 AND COALESCE(c.last_inbound_at, 0) < ?1 "
                            "LIMIT ?2"),
                 readCitizen, inactive_before, limit);
}

Result<void> SqliteSubscriptionStore::remind(const std::string& pseudonym,
                                             const NewOutbound& reminder, SysTime now) {
  return db_.write([&](SQLite::Database& db) {
    const std::int64_t ms = toMillis(now);
    insertOutbound(db, reminder, 0, ms);
    SQLite::Statement q(db, "UPDATE sub_subscriptions SET reminded_at = ? WHERE pseudonym = ?");
    q.bind(1, ms);
    q.bind(2, pseudonym);
    q.exec();
  });
}

Result<int> SqliteSubscriptionStore::clearAnsweredReminders() {
  int citizens = 0;
  auto r = db_.write([&](SQLite::Database& db) {
    const char* answered =
        "SELECT DISTINCT s.pseudonym FROM sub_subscriptions s JOIN citizens c ON "
        "c.pseudonym = s.pseudonym WHERE s.reminded_at IS NOT NULL AND "
        "c.last_inbound_at > s.reminded_at";
    std::vector<std::string> who;
    SQLite::Statement q(db, answered);
    while (q.executeStep()) { who.push_back(q.getColumn(0).getString()); }
    for (const std::string& p : who) {
      SQLite::Statement u(db, "UPDATE sub_subscriptions SET reminded_at = NULL WHERE pseudonym = ?");
      u.bind(1, p);
      u.exec();
    }
    citizens = static_cast<int>(who.size());
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return citizens;
}

Result<int> SqliteSubscriptionStore::removeUnanswered(SysTime reminded_before, SysTime now) {
  std::set<std::string> citizens;
  auto r = db_.write([&](SQLite::Database& db) {
    std::vector<std::pair<std::string, std::string>> rows;
    SQLite::Statement q(db,
                        "SELECT s.pseudonym, s.topic FROM sub_subscriptions s LEFT JOIN citizens c "
                        "ON c.pseudonym = s.pseudonym WHERE s.reminded_at IS NOT NULL AND "
                        "s.reminded_at <= ? AND COALESCE(c.last_inbound_at, 0) <= s.reminded_at");
    q.bind(1, toMillis(reminded_before));
    while (q.executeStep()) {
      rows.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    }
    for (const auto& [p, topic] : rows) {
      applySubscriptionChanges(db, p, {SubscriptionChange{SubscriptionChange::Op::Unsubscribe,
                                                          topic, 0}},
                               toMillis(now));
      citizens.insert(p);
    }
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return static_cast<int>(citizens.size());
}

}  // namespace bb::storage
