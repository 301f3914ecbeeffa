#include "app/serve/retention.hpp"

#include <chrono>

namespace bb::app {

RetentionPolicy retentionPolicy(const config::Config& c, const FlowData& flows) {
  RetentionPolicy p;
  p.closed_ticket = std::chrono::days(c.retention.closed_ticket_days);
  p.drafts = std::chrono::days(c.retention.draft_days);
  p.messages = std::chrono::days(c.retention.message_days);
  for (const auto& category : flows.categories) {
    if (category.retention_days > 0) {
      p.closed_by_category[category.id] = std::chrono::days(category.retention_days);
    }
  }
  return p;
}

Retention::Retention(const config::Config& config, RetentionStore& store, const FlowData& flows,
                     media::MediaStore& media, const Clock& clock)
    : job(store, retentionPolicy(config, flows),
          [&media](const std::string& id) { (void)media.remove(id); }),
      task("retention", std::chrono::minutes(config.retention.interval_minutes),
           [this, &clock] { (void)job.run(clock.now()); }) {}

}  // namespace bb::app
