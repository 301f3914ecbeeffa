#pragma once
// Data-protection retention (docs/privacy.md): closed tickets anonymized, abandoned drafts and
// old messages deleted, on a timer.

#include "bot/conversation/flow_data.hpp"
#include "bot/media/media_store.hpp"
#include "bot/ports.hpp"
#include "bot/privacy/retention.hpp"
#include "bot/runtime/periodic.hpp"
#include "config/config.hpp"

namespace bb::app {

//! The policy of the `retention` section, with each category's own retention_days.
RetentionPolicy retentionPolicy(const config::Config& c, const FlowData& flows);

//! Built, not started: task.start() / task.stop().
struct Retention {
  Retention(const config::Config& config, RetentionStore& store, const FlowData& flows,
            media::MediaStore& media, const Clock& clock);

  RetentionJob job;
  PeriodicTask task;
};

}  // namespace bb::app
