#include "app/serve/broadcasts.hpp"

#include <chrono>

namespace bb::app {

BroadcastOptions broadcastOptions(const config::Config& c, std::function<void(Channel)> wake) {
  BroadcastOptions o;
  const double share = c.broadcasts.rate_share;
  o.rate_per_second = {{Channel::WhatsApp, c.whatsapp.rate_per_second * share},
                       {Channel::Telegram, c.telegram.rate_per_second * share},
                       {Channel::Matrix, c.matrix.rate_per_second * share}};
  o.wake = std::move(wake);
  return o;
}

RetentionOptions subscriptionRetentionOptions(const config::Config& c) {
  RetentionOptions o;
  o.inactive_months = c.subscriptions.reminder_after_months;
  o.remove_after_days = c.subscriptions.remove_after_days;
  return o;
}

oparl::PollerOptions oparlOptions(const config::Config& c) {
  oparl::PollerOptions o;
  o.url = c.oparl.url;
  o.body_id = c.oparl.body_id;
  return o;
}

Broadcasts::Broadcasts(const config::Config& config, BroadcastStore& broadcast_store,
                       SubscriptionStore& subscriptions, const FlowData& flows,
                       const Clock& clock, web::Inbox& inbox, std::function<void(Channel)> wake)
    : store(broadcast_store) {
  BroadcastOptions o = broadcastOptions(config, std::move(wake));
  o.topics = flows.topics;
  service = std::make_unique<BroadcastService>(store, subscriptions, flows.texts, clock, o);
  composer = std::make_unique<web::BroadcastComposer>(inbox.desk(), *service, store, flows, o);
  tasks.push_back(std::make_unique<PeriodicTask>(
      "scheduled_broadcasts", std::chrono::minutes(1),
      [s = service.get()] { (void)s->runDue(); }));
  tasks.push_back(std::make_unique<PeriodicTask>(
      "subscription_retention", std::chrono::hours(1),
      std::chrono::seconds(config.subscriptions.first_pass_seconds),
      [&subscriptions, &flows, &clock, retention = subscriptionRetentionOptions(config)] {
        (void)runSubscriptionRetention(subscriptions, flows.texts, flows.topics, retention,
                                       clock.now());
      }));
  if (config.oparl.url.empty()) { return; }
  oparl_http = makeCurlHttpClient();
  poller = std::make_unique<oparl::Poller>(*oparl_http, store, *service, flows.topic_settings,
                                           flows.texts, clock, oparlOptions(config));
  tasks.push_back(std::make_unique<PeriodicTask>(
      "oparl_poll", std::chrono::minutes(config.oparl.poll_minutes),
      std::chrono::seconds(config.oparl.first_poll_seconds),
      [p = poller.get()] { (void)p->poll(); }));
}

void Broadcasts::start(Leadership& leadership) {
  for (auto& t : tasks) {
    t->runOnlyWhileLeading(leadership);
    t->start();
  }
}

void Broadcasts::stop() {
  for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) { (*it)->stop(); }
}

}  // namespace bb::app
