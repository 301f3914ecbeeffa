#pragma once
// Subscriptions and broadcasts (docs/broadcasts.md): the composer's pages and the background
// tasks (scheduled broadcasts, subscription retention, OParl polling).

#include <functional>
#include <memory>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/http/http.hpp"
#include "bot/oparl/poller.hpp"
#include "bot/ports.hpp"
#include "bot/runtime/periodic.hpp"
#include "bot/subscriptions/broadcast.hpp"
#include "bot/subscriptions/subscriptions.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "web/inbox/broadcast_composer.hpp"
#include "web/inbox/inbox.hpp"

namespace bb::app {

//! Each channel may use broadcasts.rate_share of its rate for broadcasts (the rest stays for
//! replies); `wake` wakes a channel's outbox after rows were queued.
BroadcastOptions broadcastOptions(const config::Config& c, std::function<void(Channel)> wake);
RetentionOptions subscriptionRetentionOptions(const config::Config& c);
oparl::PollerOptions oparlOptions(const config::Config& c);

//! Built, not started.
struct Broadcasts {
  Broadcasts(const config::Config& config, BroadcastStore& store,
             SubscriptionStore& subscriptions, const FlowData& flows, const Clock& clock,
             web::Inbox& inbox, std::function<void(Channel)> wake);
  std::vector<Route> routes() { return composer->routes(); }
  //! Starts the tasks as cluster-wide jobs: they run while `leadership` leads.
  void start(Leadership& leadership);
  void stop();

  BroadcastStore& store;
  std::unique_ptr<BroadcastService> service;
  std::unique_ptr<web::BroadcastComposer> composer;
  std::unique_ptr<HttpClient> oparl_http;
  std::unique_ptr<oparl::Poller> poller;  //!< null without oparl.url
  std::vector<std::unique_ptr<PeriodicTask>> tasks;
};

}  // namespace bb::app
