#include "bot/privacy/retention.hpp"

#include "bot/log.hpp"

namespace bb {

RetentionCutoffs RetentionPolicy::cutoffsAt(SysTime now) const {
  RetentionCutoffs c;
  c.closed_default = now - closed_ticket;
  for (const auto& [category, days] : closed_by_category) { c.closed_by_category[category] = now - days; }
  c.drafts = now - drafts;
  c.messages = now - messages;
  c.unanswered_notice = now - unanswered_notice;
  return c;
}

RetentionJob::RetentionJob(RetentionStore& store, RetentionPolicy policy,
                           std::function<void(const std::string&)> remove_media)
    : store_(store), policy_(std::move(policy)), remove_media_(std::move(remove_media)) {}

Result<RetentionSummary> RetentionJob::run(SysTime now) {
  auto report = store_.applyRetention(policy_.cutoffsAt(now), now);
  if (!report) {
    log::warn("retention_failed", {{"detail", report.error().detail}});
    return report;
  }
  // Files go after the commit: a crash in between leaves an orphan file (removed by nobody, but
  // unreachable); the other order could leave rows pointing at missing files.
  if (remove_media_) {
    for (const auto& id : report->removed_content_ids) { remove_media_(id); }
  }
  log::info("retention_done", {{"tickets", std::to_string(report->tickets_anonymized)},
                               {"photos", std::to_string(report->photos_deleted)},
                               {"drafts", std::to_string(report->drafts_deleted)},
                               {"messages", std::to_string(report->messages_deleted)},
                               {"events", std::to_string(report->events_deleted)},
                               {"unanswered", std::to_string(report->unanswered_forgotten)},
                               {"export_links", std::to_string(report->export_links_deleted)}});
  return report;
}

}  // namespace bb
