#pragma once
// The InboxStore port on PostgreSQL: the same rows and answers as SqliteInboxStore
// (storage/sqlite_inbox_store.cpp). Each staff change is one transaction with its audit entry;
// the outbox rows, case queue entries and thread events it writes are those of PgStore
// (storage/postgresql/pg_step_parts.hpp), so the outbox workers and the web chat of every
// instance find a staff reply as soon as it commits. The ticket queries are in
// pg_inbox_tickets.cpp.

#include <functional>

#include "bot/staff/inbox_store.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgInboxStore final : public InboxStore {
public:
  //! `grid_m`: open311.public_grid_m, for the coordinates of the case queue entries that
  //! recategorizing, merging and replies append.
  explicit PgInboxStore(PgDatabase& db, double grid_m = 25.0) : db_(db), grid_m_(grid_m) {}

  Result<std::int64_t> createStaff(const StaffUser& user, SysTime now) override;
  Result<std::optional<StaffUser>> staffByLogin(const std::string& login) override;
  Result<std::optional<StaffUser>> staffById(std::int64_t id) override;
  Result<std::vector<StaffUser>> listStaff() override;
  Result<std::int64_t> staffCount() override;
  Result<void> updateStaff(std::int64_t id, StaffRole role,
                           const std::vector<std::string>& departments, bool disabled,
                           const AuditEntry& audit) override;
  Result<void> setPassword(std::int64_t id, const std::string& password_hash, bool must_change,
                           const std::string& keep_session_hash, const AuditEntry& audit) override;
  Result<void> endAllSessions(std::int64_t staff_id, const AuditEntry& audit) override;
  Result<std::optional<DigestSetting>> digestSetting(std::int64_t staff_id) override;
  Result<void> setDigest(std::int64_t staff_id, const std::string& email, bool enabled,
                         const AuditEntry& audit) override;
  Result<std::vector<DigestDue>> digestsDue(const std::string& day) override;
  Result<void> recordDigestDone(std::int64_t staff_id, const std::string& day,
                                std::optional<SysTime> sent_at) override;
  Result<void> recordDigestFailure(std::int64_t staff_id, const std::string& day,
                                   const std::string& error, SysTime at, int max_tries) override;

  Result<void> createSession(const StaffSession& session) override;
  Result<std::optional<StaffSession>> session(const std::string& id_hash) override;
  Result<void> touchSession(const std::string& id_hash, SysTime now) override;
  Result<void> deleteSession(const std::string& id_hash) override;
  Result<void> recordLoginFailure(const std::string& key_hash, SysTime at,
                                  SysTime forget_before) override;
  Result<std::vector<std::pair<std::string, SysTime>>> loginFailuresSince(SysTime since) override;
  Result<void> clearLoginFailures(const std::string& key_hash) override;

  Result<void> addAudit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> auditLog(std::int64_t before_id, int limit) override;
  Result<std::vector<AuditEntry>> auditOfTicket(std::int64_t number) override;

  Result<TicketPage> listTickets(const TicketQuery& query) override;
  Result<std::vector<TicketPlace>> ticketPlaces(const TicketQuery& query, int limit) override;
  Result<std::vector<std::pair<std::string, std::int64_t>>> statusCounts(
      const TicketQuery& query) override;
  Result<std::optional<InboxTicket>> inboxTicket(std::int64_t number) override;
  Result<std::vector<ThreadEntry>> thread(std::int64_t number) override;
  Result<std::optional<InboxMedia>> ticketMedia(std::int64_t media_id) override;
  Result<std::int64_t> unreadCount(const TicketQuery& query) override;
  Result<std::vector<NewWork>> newWork(const TicketQuery& scope) override;
  Result<void> markCitizenMessagesRead(std::int64_t number) override;

  Result<void> addUnsentStaffReply(std::int64_t number, const std::string& body,
                                   const AuditEntry& audit) override;
  Result<void> addStaffReply(std::int64_t number, const NewOutbound& message,
                             const std::string& body, const AuditEntry& audit) override;
  Result<void> addInternalNote(std::int64_t number, const std::string& body,
                               const AuditEntry& audit) override;
  Result<void> assign(std::int64_t number, std::int64_t assignee, const AuditEntry& audit) override;
  Result<void> recategorize(std::int64_t number, const std::string& category,
                            const std::string& department, const AuditEntry& audit) override;
  Result<void> mergeFollowers(std::int64_t duplicate, std::int64_t target,
                              const AuditEntry& audit) override;

  //! Writes `entry` to the audit log inside the caller's transaction.
  static void insertAudit(Session& s, const AuditEntry& entry);

private:
  //! Runs `change` in one transaction; when it answers false (the ticket or account it names
  //! does not exist, nothing was written) the answer is NotFound.
  Result<void> changeKnown(const std::function<bool(Session&)>& change);

  PgDatabase& db_;
  double grid_m_;
};

}  // namespace bb::storage::pg
