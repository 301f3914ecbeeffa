#pragma once
// Data-protection retention (docs/privacy.md "Retention"): what is kept only for a
// while is removed by this job, which the scheduler runs every retention.interval_minutes.
// - closed tickets, N days after closure (per category, else the default): photos and message
//   texts deleted, reporter and followers unlinked, coordinates coarsened — the ticket stays
//   for the city's records, anonymized;
// - abandoned drafts (a conversation left mid-flow) after draft_days, with their photos;
// - final outbox rows and processed inbound event ids after message_days; final outbox rows of
//   people who are no longer citizens (declined the notice, erased) at once;
// - people who never answered the privacy notice, 24 hours after their last message: the
//   citizen row (sealed address), conversation and uploaded photos, as if they had declined;
// - links to data exports ("meine daten") once they expired (24 hours).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

struct RetentionCutoffs {
  SysTime closed_default;                        //!< tickets closed before this are anonymized
  std::map<std::string, SysTime> closed_by_category;  //!< per category overrides
  SysTime drafts;                                //!< conversations idle since before this
  SysTime messages;                              //!< final outbox rows / processed events
  SysTime unanswered_notice;                     //!< no consent and silent since before this
};

struct RetentionSummary {
  int tickets_anonymized = 0;
  int photos_deleted = 0;
  int drafts_deleted = 0;
  int messages_deleted = 0;      //!< outbox rows
  int events_deleted = 0;        //!< processed inbound event rows
  int unanswered_forgotten = 0;  //!< people who never accepted the notice
  int export_links_deleted = 0;  //!< expired links to data exports
  std::vector<std::string> removed_content_ids;  //!< media files to delete from disk
};

//! Storage port of the job; one call = one transaction.
class RetentionStore {
public:
  virtual ~RetentionStore() = default;
  virtual Result<RetentionSummary> applyRetention(const RetentionCutoffs& cutoffs, SysTime now) = 0;
};

struct RetentionPolicy {
  std::chrono::days closed_ticket{180};
  std::map<std::string, std::chrono::days> closed_by_category;
  std::chrono::days drafts{7};
  std::chrono::days messages{30};
  //! The notice asks once; who has not answered after a day is forgotten (docs/privacy.md).
  std::chrono::hours unanswered_notice{24};

  RetentionCutoffs cutoffsAt(SysTime now) const;
};

//! Runs the retention policy once: database first, then the files of deleted photos.
class RetentionJob {
public:
  RetentionJob(RetentionStore& store, RetentionPolicy policy,
               std::function<void(const std::string& content_id)> remove_media);
  Result<RetentionSummary> run(SysTime now);

private:
  RetentionStore& store_;
  RetentionPolicy policy_;
  std::function<void(const std::string&)> remove_media_;
};

}  // namespace bb
