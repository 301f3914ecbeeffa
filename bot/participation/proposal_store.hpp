#pragma once
// The participatory-budget repository port: campaigns, proposals, comments, supports,
// outcomes and the notices that tell authors and supporters about them. storage/ implements it
// on SQLite (storage/sqlite_proposal_store.*). Citizens appear only by pseudonym; the public
// reads (published*) never return one.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/conversation/store.hpp"
#include "bot/types.hpp"
#include "flows/participation.hpp"

namespace bb {

struct Campaign {
  std::int64_t id = 0;
  std::string title;
  std::string description;
  flows::PhaseDates dates;
  int max_proposals_per_citizen = 3;
  int support_threshold = 50;
  std::vector<std::string> topics;
};

//! Moderation state of a proposal or comment.
//! pending → published | rejected; a published proposal can be merged into another one.
struct Proposal {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::string status;  //!< pending | published | rejected | merged
  std::string title;
  std::string description;
  std::optional<std::int64_t> cost_eur;
  std::string topic;
  std::optional<double> lat;  //!< rounded on public pages
  std::optional<double> lon;
  std::string address_text;  //!< as the citizen typed it; never shown publicly
  std::int64_t photo_media_id = 0;
  std::string photo_content_id;  //!< the cleaned image in the media store; empty until ready
  //! What the moderator approved for the public page when publishing: the place in their own
  //! words (often the typed address without a house number) and whether the photo is shown.
  std::string public_address;
  bool photo_public = false;
  std::string author;  //!< pseudonym; empty once anonymized. Never shown publicly.
  std::string reject_reason;
  std::int64_t merged_into = 0;
  int supports = 0;
  int comments = 0;  //!< published comments
  SysTime created_at{};
  std::optional<SysTime> published_at;
};

struct ProposalComment {
  std::int64_t id = 0;
  std::int64_t proposal_id = 0;
  std::string status;  //!< pending | published | rejected
  std::string body;
  std::string author;  //!< pseudonym; empty once anonymized
  std::string reject_reason;
  SysTime created_at{};
  std::optional<SysTime> published_at;
};

//! A committee, council or implementation result for one proposal.
struct ProposalOutcome {
  std::int64_t proposal_id = 0;
  std::string stage;     //!< committee | council | implementation
  std::string decision;  //!< accepted | rejected | deferred | in_progress | done
  std::string text;      //!< public explanation
  SysTime decided_at{};
};

struct NewProposal {
  std::int64_t campaign_id = 0;
  std::int64_t source_event = 0;  //!< the inbound event; a re-run of the event adds nothing
  std::string author;
  std::string title;
  std::string description;
  std::optional<std::int64_t> cost_eur;
  std::string topic;
  std::optional<double> lat;
  std::optional<double> lon;
  std::string address_text;
  std::int64_t photo_media_id = 0;
  SysTime now{};
};

//! A moderator's choice of what of a proposal's place and photo becomes public.
struct ProposalPublication {
  std::string public_address;  //!< empty: no place text on the public page
  bool photo_public = false;
};

enum class SubmitResult { Stored, LimitReached, NoCampaign };
enum class SupportResult { Added, AlreadySupported, Withdrawn, NotSupported, NotPublished };

//! The outbox row that tells one citizen (found by the store) about it, in their language.
using NoticeRenderer = std::function<NewOutbound(const CitizenRecord& citizen)>;

//! Something citizens are told about exactly once: `key` identifies it (e.g.
//! "outcome:committee:accepted"); a recipient who got this key for this proposal before gets
//! nothing again, however often it is recorded.
struct NoticeSpec {
  std::string key;
  bool to_author = true;
  bool to_supporters = true;
  NoticeRenderer render;
};

struct ProposalPage {
  std::vector<Proposal> items;
  bool more = false;
};

//! Everything stored about one citizen (data export).
struct ParticipationRecords {
  std::vector<Proposal> proposals;
  std::vector<ProposalComment> comments;
  std::vector<Proposal> supported;
};

class ProposalStore {
public:
  virtual ~ProposalStore() = default;

  // ---- campaigns (admin) ----
  virtual Result<std::int64_t> createCampaign(const Campaign& campaign) = 0;
  virtual Result<void> updateCampaign(const Campaign& campaign) = 0;
  virtual Result<std::vector<Campaign>> campaigns() = 0;
  virtual Result<std::optional<Campaign>> campaign(std::int64_t id) = 0;
  //! The campaign the chat offers at `now`: the newest one that has started and is not closed.
  virtual Result<std::optional<Campaign>> activeCampaign(SysTime now) = 0;

  // ---- citizens (chat) ----
  // A stored proposal, an added support and a stored comment each record the consent
  // kParticipationPurpose in the same transaction, once per citizen (the first act; later ones
  // add no row), under the privacy-notice version the citizen accepted.
  //! Stores a pending proposal unless the author already has `max_per_citizen` proposals in the
  //! campaign that are not rejected; idempotent per source_event.
  virtual Result<SubmitResult> submit(const NewProposal& proposal, int max_per_citizen) = 0;
  virtual Result<SupportResult> support(std::int64_t proposal_id, const std::string& pseudonym,
                                        bool withdraw, SysTime now) = 0;
  virtual Result<bool> hasSupported(std::int64_t proposal_id, const std::string& pseudonym) = 0;
  //! Stores a pending comment on a published proposal; false when it is not published.
  //! Idempotent per source_event.
  virtual Result<bool> comment(std::int64_t proposal_id, const std::string& pseudonym,
                               const std::string& body, std::int64_t source_event, SysTime now) = 0;
  virtual Result<ParticipationRecords> recordsOf(const std::string& pseudonym) = 0;

  // ---- public reads (never a pseudonym in the result) ----
  //! Published proposals, "new" (newest first) or "top" (most supports first).
  virtual Result<ProposalPage> published(std::int64_t campaign_id, const std::string& order,
                                         int offset, int limit) = 0;
  //! One proposal in any status (callers decide what to show).
  virtual Result<std::optional<Proposal>> proposal(std::int64_t id) = 0;
  virtual Result<std::vector<ProposalComment>> publishedComments(std::int64_t proposal_id) = 0;
  virtual Result<std::vector<ProposalOutcome>> outcomes(std::int64_t proposal_id) = 0;

  // ---- moderation (staff) ----
  virtual Result<std::vector<Proposal>> pendingProposals(int limit) = 0;
  virtual Result<std::vector<ProposalComment>> pendingComments(int limit) = 0;
  //! Each of these writes its change and sends `notice` (exactly once per recipient and key) in
  //! one transaction. They fail with Conflict when the item is not in the expected state.
  virtual Result<void> publishProposal(std::int64_t id, const ProposalPublication& publication,
                                       SysTime now, const NoticeSpec& notice) = 0;
  virtual Result<void> rejectProposal(std::int64_t id, const std::string& reason, SysTime now,
                                      const NoticeSpec& notice) = 0;
  //! `duplicate` (published or pending) is merged into published `target`: its supporters (and
  //! its author) support `target` from now on.
  virtual Result<void> mergeProposal(std::int64_t duplicate, std::int64_t target, SysTime now,
                                     const NoticeSpec& notice) = 0;
  virtual Result<void> publishComment(std::int64_t id, SysTime now) = 0;
  virtual Result<void> rejectComment(std::int64_t id, const std::string& reason, SysTime now) = 0;
  //! Saves the outcome of `stage` (replacing an earlier text of the same stage) and sends the
  //! notice; saving it again sends nothing to anyone who was told before.
  virtual Result<void> recordOutcome(const ProposalOutcome& outcome, SysTime now,
                                     const NoticeSpec& notice) = 0;
};

}  // namespace bb
