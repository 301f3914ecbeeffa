#pragma once
// Participatory budget, engine side: runs the flow's participation effects against
// the ProposalStore, applies the campaign's phase rules, and carries out staff moderation and
// outcomes, telling authors and supporters through the outbox exactly once per notice.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/channels/whatsapp_templates.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/ports.hpp"
#include "bot/participation/proposal_store.hpp"
#include "flows/participation.hpp"

namespace bb {

struct ParticipationAnswer {
  std::string text;
  std::vector<flows::Choice> choices;
};

class Participation {
public:
  static constexpr int kPageSize = 5;

  Participation(ProposalStore& store, const Clock& clock, const FlowData& flows);

  //! The active campaign as the flows see it (null: none); cached for a second.
  std::shared_ptr<const flows::ParticipationContext> context(SysTime now);
  //! Drops the cache (after an admin changed a campaign).
  void invalidate();

  //! The citizen a participation effect runs for. `event_id` makes a re-run of the same event
  //! (after a crash before its commit) add nothing.
  struct Citizen {
    const std::string& pseudonym;
    std::int64_t event_id = 0;
    flows::Lang lang = flows::Lang::De;
    SysTime now{};
  };
  //! Runs one of the flow's participation effects (flows/flow_types.hpp) and answers it.
  ParticipationAnswer answer(const flows::SubmitProposal& effect, const Citizen& who);
  ParticipationAnswer answer(const flows::BrowseProposals& effect, const Citizen& who);
  ParticipationAnswer answer(const flows::ShowProposal& effect, const Citizen& who);
  ParticipationAnswer answer(const flows::SupportProposal& effect, const Citizen& who);
  ParticipationAnswer answer(const flows::CommentProposal& effect, const Citizen& who);
  //! Runs any effect for a citizen: the answer of a participation effect, none for the others.
  std::vector<ParticipationAnswer> run(const flows::Effect& effect, const std::string& pseudonym,
                                       std::int64_t event_id, flows::Lang lang, SysTime now);
  //! The citizen's proposals, comments and supports for their data export.
  std::string exportSection(const std::string& pseudonym, flows::Lang lang);

  // ---- staff (moderator role) ----
  //! Publishes with the place text and photo the moderator approved (by default neither).
  Result<void> publishProposal(std::int64_t id, const ProposalPublication& publication = {});
  Result<void> rejectProposal(std::int64_t id, const std::string& reason);
  Result<void> mergeProposal(std::int64_t duplicate, std::int64_t target);
  Result<void> publishComment(std::int64_t id);
  Result<void> rejectComment(std::int64_t id, const std::string& reason);
  //! stage: committee | council | implementation; decision: see validDecision().
  Result<void> recordOutcome(std::int64_t proposal_id, const std::string& stage,
                             const std::string& decision, const std::string& text);
  static bool validStage(const std::string& stage);
  static bool validDecision(const std::string& decision);

  //! The phase of campaign `c` now.
  flows::Phase phaseOf(const Campaign& c) const;
  ProposalStore& store() { return store_; }
  const FlowData& flowData() const { return flows_; }

private:
  ParticipationAnswer browse(const flows::BrowseProposals& b, flows::Lang lang);
  ParticipationAnswer show(std::int64_t id, const std::string& pseudonym, flows::Lang lang,
                           SysTime now, const std::string& prefix = {});
  std::vector<flows::Choice> detailChoices(flows::Phase phase, bool supported, flows::Lang lang) const;
  std::string choiceLabel(flows::Lang lang, const std::string& id) const;
  std::string text(flows::Lang lang, const std::string& key,
                   const std::map<std::string, std::string>& params = {}) const;
  //! What a notice is about, for the WhatsApp template that announces it after 24 h: the
  //! proposal's campaign and title and the text key of the result ("participation.result.*").
  struct NoticeSubject {
    NoticeKind kind = NoticeKind::ProposalModerated;
    std::string campaign;
    std::string title;
    std::string result_key;
  };
  NoticeSubject subjectOf(NoticeKind kind, const Proposal& p, std::string result_key) const;
  NoticeSpec notice(const std::string& key, bool to_supporters, const std::string& text_key,
                    std::map<std::string, std::string> params, NoticeSubject subject) const;

  ProposalStore& store_;
  const Clock& clock_;
  const FlowData& flows_;
  std::mutex mutex_;
  std::shared_ptr<const flows::ParticipationContext> cached_;
  SysTime cached_at_{};
  bool cache_valid_ = false;
};

//! A location rounded for public pages (3 decimals, about 100 m).
double roundForPublic(double degrees);

}  // namespace bb
