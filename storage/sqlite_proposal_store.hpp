#pragma once
// The ProposalStore port on SQLite: reads on the reader pool, writes through the group-commit
// writer. One support per citizen and proposal is the table's primary key; notices are sent at
// most once per (proposal, key, pseudonym), also a primary key, in the write's own transaction.

#include "bot/participation/proposal_store.hpp"
#include "storage/database.hpp"

namespace bb::storage {

class SqliteProposalStore final : public ProposalStore {
public:
  explicit SqliteProposalStore(Database& db) : db_(db) {}

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
  Database& db_;
};

}  // namespace bb::storage
