#pragma once
// The CaseStore port on PostgreSQL: the same rows and answers as SqliteCaseStore
// (storage/sqlite_case_store.cpp). The queue entries themselves are appended by the Store's
// own transactions (appendCaseEntry in storage/postgresql/pg_ticket_rows.cpp).

#include "bot/cases/case_store.hpp"
#include "storage/case_statements.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! Claims a back-office update id inside the running transaction; false when it was claimed
//! before (the caller then changes nothing). An empty key always succeeds. Two instances that
//! claim one key at once: the second waits for the first's commit and then finds it claimed.
bool claimUpdate(Session& s, const std::string& update_key, std::int64_t number,
                 std::int64_t now_ms);

class PgCaseStore final : public CaseStore {
public:
  explicit PgCaseStore(PgDatabase& db, double grid_m = kDefaultPublicGridM)
      : db_(db), grid_m_(grid_m) {}

  Result<std::vector<CaseEntry>> dueCaseEntries(const std::string& department, SysTime now,
                                                int limit) override;
  Result<std::vector<std::string>> dueCaseDepartments(SysTime now) override;
  Result<std::map<std::string, std::int64_t>> pendingByDepartment() override;
  Result<void> markCaseEntry(std::int64_t id, const std::string& state, int tries,
                             SysTime next_attempt_at, int last_status, const std::string& error,
                             SysTime now) override;
  Result<std::vector<CaseEntry>> deadCaseEntries(int limit) override;
  Result<void> requeueCaseEntry(std::int64_t id, SysTime now) override;
  Result<void> discardCaseEntry(std::int64_t id, SysTime now) override;
  Result<CaseQueueCounts> caseQueueCounts() override;

  // storage/postgresql/pg_case_deliveries.cpp
  Result<std::vector<DeliveryProblem>> deliveryProblems(int limit) override;
  Result<std::int64_t> deliveryProblemCount() override;
  Result<void> retryDelivery(DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                             AuditEntry audit) override;
  Result<void> discardDelivery(DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                               AuditEntry audit) override;
  Result<std::vector<CaseEntry>> caseEntriesOf(std::int64_t ticket_number) override;

  Result<std::int64_t> addApiKey(const std::string& name, const std::string& hash,
                                 const std::vector<std::string>& departments,
                                 SysTime now) override;
  Result<std::vector<ApiKeyRecord>> activeApiKeys() override;
  Result<std::vector<ApiKeyRecord>> apiKeys() override;
  Result<void> revokeApiKey(const std::string& name, SysTime now) override;

  Result<std::vector<PublicTicket>> publicTickets(const PublicTicketQuery& query) override;
  Result<std::optional<PublicTicket>> publicTicket(std::int64_t number) override;
  Result<std::vector<PublicUpdate>> publicUpdates(SysTime start, SysTime end, int limit,
                                                  int offset) override;
  Result<void> addPublicNote(const PublicNote& note) override;
  Result<bool> updateSeen(const std::string& update_key) override;
  Result<void> changeStatusOnce(const StatusChange& change, const std::string& update_key) override;
  Result<std::vector<CaseEntry>> caseEntriesAfter(std::int64_t after_id,
                                                  const std::vector<std::string>& departments,
                                                  int limit) override;
  // storage/postgresql/pg_case_report.cpp
  Result<CitizenThreadMessage> citizenMessage(std::int64_t number, std::int64_t first,
                                              std::int64_t last) override;
  Result<std::optional<CaseReport>> caseReport(std::int64_t number) override;

  Result<void> setExternalRef(std::int64_t number, const std::string& ref,
                              const std::string& actor, SysTime now) override;
  Result<void> setPublicDescription(std::int64_t number, const std::string& text,
                                    const std::string& actor, SysTime now) override;

private:
  PgDatabase& db_;
  double grid_m_;
};

}  // namespace bb::storage::pg
