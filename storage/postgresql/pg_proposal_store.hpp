#pragma once
// The ProposalStore port on PostgreSQL: the same rows and answers as
// storage/sqlite_proposal_store.cpp. Where SQLite's single writer puts writes one after the
// other, here the citizen's lock (lockRecipients) does it for what one citizen does (the limit
// of proposals, a first consent), and the proposal's row lock for moderation against supports.
// Notices are sent at most once per (proposal, key, pseudonym), a primary key, in the write's
// own transaction, through the same outbox rows as every PostgreSQL store.

#include "bot/participation/proposal_store.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgProposalStore final : public ProposalStore {
public:
  explicit PgProposalStore(PgDatabase& db) : db_(db) {}

  Result<std::int64_t> createCampaign(const Campaign& campaign) override;
  Result<void> updateCampaign(const Campaign& campaign) override;
  Result<std::vector<Campaign>> campaigns() override;
  Result<std::optional<Campaign>> campaign(std::int64_t id) override;
  Result<std::optional<Campaign>> activeCampaign(SysTime now) override;

  Result<SubmitResult> submit(const NewProposal& proposal, int max_per_citizen) override;
  Result<SupportResult> support(std::int64_t proposal_id, const std::string& pseudonym,
                                bool withdraw, SysTime now) override;
  Result<bool> hasSupported(std::int64_t proposal_id, const std::string& pseudonym) override;
  Result<bool> comment(std::int64_t proposal_id, const std::string& pseudonym,
                       const std::string& body, std::int64_t source_event, SysTime now) override;
  Result<ParticipationRecords> recordsOf(const std::string& pseudonym) override;

  Result<ProposalPage> published(std::int64_t campaign_id, const std::string& order, int offset,
                                 int limit) override;
  Result<std::optional<Proposal>> proposal(std::int64_t id) override;
  Result<std::vector<ProposalComment>> publishedComments(std::int64_t proposal_id) override;
  Result<std::vector<ProposalOutcome>> outcomes(std::int64_t proposal_id) override;

  Result<std::vector<Proposal>> pendingProposals(int limit) override;
  Result<std::vector<ProposalComment>> pendingComments(int limit) override;
  Result<void> publishProposal(std::int64_t id, const ProposalPublication& publication,
                               SysTime now, const NoticeSpec& notice) override;
  Result<void> rejectProposal(std::int64_t id, const std::string& reason, SysTime now,
                              const NoticeSpec& notice) override;
  Result<void> mergeProposal(std::int64_t duplicate, std::int64_t target, SysTime now,
                             const NoticeSpec& notice) override;
  Result<void> publishComment(std::int64_t id, SysTime now) override;
  Result<void> rejectComment(std::int64_t id, const std::string& reason, SysTime now) override;
  Result<void> recordOutcome(const ProposalOutcome& outcome, SysTime now,
                             const NoticeSpec& notice) override;

private:
  PgDatabase& db_;
};

}  // namespace bb::storage::pg
