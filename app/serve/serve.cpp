// `serve`: builds every part, serves HTTP until SIGTERM/SIGINT, stops them.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include "app/channels/matrix.hpp"
#include "app/channels/telegram.hpp"
#include "app/channels/whatsapp.hpp"
#include "app/demo/demo_data.hpp"
#include "app/serve/serve.hpp"
#include "storage/key_rotation.hpp"
#include "storage/sqlite_retention_store.hpp"
#include "bot/runtime/periodic.hpp"
#include "bot/privacy/retention.hpp"
#include "bot/version.hpp"
#include "bot/security/crypto.hpp"
#include "bot/log.hpp"
#include "bot/runtime/metrics.hpp"
#include "config/config.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/media/media_store.hpp"
#include "bot/media/media_jobs.hpp"
#include "bot/outbox/outbox_wake.hpp"
#include "bot/outbox/outbox_worker.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "storage/sqlite_store.hpp"
#include "bot/cases/case_service.hpp"
#include "bot/cases/forwarder.hpp"
#include "storage/sqlite_case_store.hpp"
#include "web/backoffice/api_v1.hpp"
#include "web/open311/open311.hpp"
#include "web/ops_routes.hpp"
#include "web/webchat.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "web/inbox/inbox.hpp"
#include "bot/participation/participation.hpp"
#include "storage/sqlite_proposal_store.hpp"
#include "web/inbox/participation_moderation.hpp"
#include "web/participation/public_page.hpp"
#include "webhooks/http_server.hpp"
#include "bot/subscriptions/broadcast.hpp"
#include "bot/oparl/poller.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "web/inbox/broadcast_composer.hpp"
#include "webhooks/whatsapp/channel.hpp"
#include "webhooks/telegram/channel.hpp"
#include "webhooks/matrix/channel.hpp"
#include "storage/open.hpp"

namespace bb::app {
namespace {

using bb::config::Config;

constexpr std::chrono::milliseconds kShutdownGrace{1500};

//! The back office: case queue, Open311, /api/v1 and the back-office push forwarder.
struct BackOffice {
  std::unique_ptr<bb::storage::SqliteCaseStore> cases;
  std::unique_ptr<bb::CaseService> service;
  std::unique_ptr<bb::web::Open311Api> open311;
  std::unique_ptr<bb::web::BackofficeApi> api;
  std::unique_ptr<bb::HttpClient> http;
  std::unique_ptr<bb::CaseForwarder> forwarder;

  void stop() {
    if (forwarder) { forwarder->stop(); }
  }
};

std::unique_ptr<BackOffice> startBackOffice(const Config& c, bb::storage::Database& db,
                                            bb::Engine& engine, bb::Store& store,
                                            const bb::Clock& clock, bb::Random& random,
                                            bb::Metrics& metrics, std::vector<bb::Route>& routes) {
  auto b = std::make_unique<BackOffice>();
  b->cases = std::make_unique<bb::storage::SqliteCaseStore>(db, c.open311.public_grid_m);
  b->service = std::make_unique<bb::CaseService>(engine, store, *b->cases, clock, random);
  bb::registerCaseQueueMetrics(metrics, *b->cases);
  if (c.open311.enabled) {
    bb::web::Open311Options o;
    o.public_grid_m = c.open311.public_grid_m;
    o.jurisdiction_id = c.open311.jurisdiction_id;
    o.base_url = c.server.public_url;
    o.contact = c.open311.contact;
    b->open311 = std::make_unique<bb::web::Open311Api>(*b->service, clock, o);
    b->api = std::make_unique<bb::web::BackofficeApi>(*b->service);
    for (auto& r : b->open311->routes()) { routes.push_back(r); }
    for (auto& r : b->api->routes()) { routes.push_back(r); }
  }
  std::vector<std::pair<std::string, std::string>> urls;
  bb::config::parseDepartmentUrls(c.backoffice.department_urls, urls);
  if (!c.backoffice.url.empty() || !urls.empty()) {
    bb::ForwarderOptions f;
    f.url = c.backoffice.url;
    for (const auto& [dept, url] : urls) { f.department_urls[dept] = url; }
    f.secret = c.backoffice.secret;
    f.max_tries = c.backoffice.max_tries;
    f.retry_base = std::chrono::milliseconds(c.backoffice.retry_base_ms);
    b->http = bb::makeCurlHttpClient();
    b->forwarder = std::make_unique<bb::CaseForwarder>(*b->cases, *b->http, clock, f, &metrics);
    b->forwarder->start();
    bb::log::info("backoffice_push_enabled",
                  {{"departments", std::to_string(urls.size())},
                   {"secret", bb::config::maskSecret(c.backoffice.secret)}});
  }
  return b;
}

//! The delivery side every messenger channel shares: an outbox worker for the channel's sender
//! and a media-job worker for its fetcher, configured from the channel's limits.
struct DeliveryLimits {
  bb::Channel channel = bb::Channel::WhatsApp;
  double rate_per_second = 1;
  int recipient_interval_ms = 1000;
  int max_tries = 8;
  int retry_base_ms = 5000;
  int concurrency = 1;  //!< sends in flight at once
  std::size_t max_image_bytes = 5 * 1024 * 1024;
};

struct DeliveryWorkers {
  std::unique_ptr<bb::outbox::OutboxWorker> outbox;
  std::unique_ptr<bb::media::MediaJobWorker> media;

  void start() {
    outbox->start();
    media->start();
  }
  void stop() {
    if (outbox) { outbox->stop(); }
    if (media) { media->stop(); }
  }
};

DeliveryWorkers makeDeliveryWorkers(const DeliveryLimits& limits, bb::outbox::ChannelSender& sender,
                                    bb::media::MediaFetcher& fetcher, bb::Engine& engine,
                                    bb::Store& store, bb::media::MediaStore& media_store,
                                    const bb::Clock& clock, bb::Metrics& metrics) {
  bb::outbox::OutboxOptions o;
  o.channel = limits.channel;
  o.rate_per_second = limits.rate_per_second;
  o.recipient_interval = std::chrono::milliseconds(limits.recipient_interval_ms);
  o.max_tries = limits.max_tries;
  o.retry_base = std::chrono::milliseconds(limits.retry_base_ms);
  o.idle_poll = std::chrono::milliseconds(100);
  o.concurrency = limits.concurrency;
  bb::media::MediaJobOptions m;
  m.channel = limits.channel;
  m.clean.max_input_bytes = limits.max_image_bytes;
  m.retry_base = std::chrono::milliseconds(limits.retry_base_ms);
  m.idle_poll = std::chrono::milliseconds(200);
  DeliveryWorkers w;
  w.outbox = std::make_unique<bb::outbox::OutboxWorker>(
      store, sender,
      [&engine](const std::string& ct, const std::string& key_id) {
        return engine.openAddress(ct, key_id);
      },
      clock, o, &metrics);
  w.media = std::make_unique<bb::media::MediaJobWorker>(
      store, fetcher, media_store,
      [&engine](const std::string& pseudonym, std::int64_t id) {
        return engine.ingestMediaRejected(pseudonym, id);
      },
      clock, m, &metrics);
  return w;
}

//! The WhatsApp channel's running parts: HTTP client, outbox sender and worker, media jobs.
struct WhatsAppChannel {
  std::unique_ptr<bb::HttpClient> http;
  std::unique_ptr<bb::webhooks::whatsapp::Sender> sender;
  std::unique_ptr<bb::webhooks::whatsapp::MediaFetcher> fetcher;
  DeliveryWorkers delivery;

  void stop() { delivery.stop(); }
};


//! Routes, sender, outbox worker and media worker of the WhatsApp channel (whatsapp.enabled).
std::unique_ptr<WhatsAppChannel> startWhatsApp(const Config& c, bb::Engine& engine,
                                               bb::Store& store, bb::media::MediaStore& media_store,
                                               const bb::Clock& clock, bb::Metrics& metrics,
                                               std::vector<bb::Route>& routes) {
  namespace wa = bb::webhooks::whatsapp;
  const wa::Settings settings = whatsAppSettings(c);
  auto channel = std::make_unique<WhatsAppChannel>();
  channel->http = bb::makeCurlHttpClient();
  channel->sender = std::make_unique<wa::Sender>(settings, *channel->http, store, clock);
  channel->fetcher = std::make_unique<wa::MediaFetcher>(settings, *channel->http);
  DeliveryLimits limits;
  limits.channel = bb::Channel::WhatsApp;
  limits.rate_per_second = c.whatsapp.rate_per_second;
  limits.recipient_interval_ms = c.whatsapp.recipient_interval_ms;
  limits.max_tries = c.whatsapp.max_tries;
  limits.retry_base_ms = c.whatsapp.retry_base_ms;
  limits.concurrency = c.whatsapp.send_concurrency;
  limits.max_image_bytes = wa::kMaxImageBytes;
  channel->delivery = makeDeliveryWorkers(limits, *channel->sender, *channel->fetcher, engine, store,
                                          media_store, clock, metrics);
  auto wa_routes = wa::routes(
      settings, [&engine](const std::vector<bb::InboundEvent>& events) { return engine.ingest(events); },
      static_cast<std::size_t>(c.server.max_body_bytes));
  routes.insert(routes.end(), wa_routes.begin(), wa_routes.end());
  channel->delivery.start();
  bb::log::info("channel_enabled", {{"channel", "whatsapp"},
                                    {"rate_per_second", std::to_string(c.whatsapp.rate_per_second)},
                                    {"access_token", bb::config::maskSecret(c.whatsapp.access_token)}});
  return channel;
}

//! The Matrix channel's running parts: HTTP client, sender, outbox and media workers.
struct MatrixChannel {
  std::unique_ptr<bb::HttpClient> http;
  std::unique_ptr<bb::webhooks::matrix::Sender> sender;
  std::unique_ptr<bb::webhooks::matrix::MediaFetcher> fetcher;
  DeliveryWorkers delivery;

  void stop() { delivery.stop(); }
};


//! Routes, sender, outbox worker and media worker of the Matrix channel (matrix.enabled).
std::unique_ptr<MatrixChannel> startMatrix(const Config& c, bb::Engine& engine, bb::Store& store,
                                           bb::MatrixTransactionLog& transactions,
                                           bb::media::MediaStore& media_store,
                                           const bb::Clock& clock, bb::Metrics& metrics,
                                           std::vector<bb::Route>& routes) {
  namespace mx = bb::webhooks::matrix;
  mx::Settings settings = matrixSettings(c);
  const auto& texts = engine.flowData().texts;
  settings.encrypted_notice = texts.render(bb::flows::Lang::De, "matrix.encrypted_room") + "\n\n" +
                              texts.render(bb::flows::Lang::En, "matrix.encrypted_room");
  auto channel = std::make_unique<MatrixChannel>();
  channel->http = bb::makeCurlHttpClient();
  channel->sender = std::make_unique<mx::Sender>(settings, *channel->http);
  channel->fetcher = std::make_unique<mx::MediaFetcher>(settings, *channel->http);
  DeliveryLimits limits;
  limits.channel = bb::Channel::Matrix;
  limits.rate_per_second = c.matrix.rate_per_second;
  limits.recipient_interval_ms = c.matrix.recipient_interval_ms;
  limits.max_tries = c.matrix.max_tries;
  limits.retry_base_ms = c.matrix.retry_base_ms;
  limits.max_image_bytes = mx::kMaxImageBytes;
  channel->delivery = makeDeliveryWorkers(limits, *channel->sender, *channel->fetcher, engine, store,
                                          media_store, clock, metrics);
  auto mx_routes = mx::routes(
      settings,
      [&engine](const std::vector<bb::InboundEvent>& events) { return engine.ingest(events); },
      transactions, *channel->http, static_cast<std::size_t>(c.server.max_body_bytes));
  routes.insert(routes.end(), mx_routes.begin(), mx_routes.end());
  channel->delivery.start();
  bb::log::info("channel_enabled", {{"channel", "matrix"},
                                    {"rate_per_second", std::to_string(c.matrix.rate_per_second)},
                                    {"as_token", bb::config::maskSecret(c.matrix.as_token)},
                                    {"hs_token", bb::config::maskSecret(c.matrix.hs_token)}});
  return channel;
}

// ---- Telegram ----

//! The Telegram channel's running parts: HTTP client, callback answerer, poller (polling
//! mode), outbox sender and worker, media jobs.
struct TelegramChannel {
  std::unique_ptr<bb::HttpClient> http;
  std::unique_ptr<bb::webhooks::telegram::CallbackAnswerer> answerer;
  std::unique_ptr<bb::webhooks::telegram::Poller> poller;
  std::unique_ptr<bb::webhooks::telegram::Sender> sender;
  std::unique_ptr<bb::webhooks::telegram::MediaFetcher> fetcher;
  DeliveryWorkers delivery;

  //! Stops every thread; runs before the engine stops and the database closes.
  void stop() {
    if (poller) { poller->stop(); }
    if (answerer) { answerer->stop(); }
    delivery.stop();
  }
};


//! Route or poller, sender, outbox worker and media worker of Telegram (telegram.enabled).
std::unique_ptr<TelegramChannel> startTelegram(const Config& c, bb::Engine& engine,
                                               bb::Store& store, bb::TelegramOffsetStore& offsets,
                                               bb::media::MediaStore& media_store,
                                               const bb::Clock& clock, bb::Metrics& metrics,
                                               std::vector<bb::Route>& routes) {
  namespace tg = bb::webhooks::telegram;
  const tg::Settings settings = telegramSettings(c);
  auto channel = std::make_unique<TelegramChannel>();
  channel->http = bb::makeCurlHttpClient();
  channel->answerer = std::make_unique<tg::CallbackAnswerer>(settings, *channel->http);
  channel->sender = std::make_unique<tg::Sender>(settings, *channel->http, store);
  channel->fetcher = std::make_unique<tg::MediaFetcher>(settings, *channel->http);
  DeliveryLimits limits;
  limits.channel = bb::Channel::Telegram;
  limits.rate_per_second = c.telegram.rate_per_second;
  limits.recipient_interval_ms = c.telegram.per_chat_interval_ms;
  limits.max_tries = c.telegram.max_tries;
  limits.retry_base_ms = c.telegram.retry_base_ms;
  limits.max_image_bytes = tg::kMaxFileBytes;
  channel->delivery = makeDeliveryWorkers(limits, *channel->sender, *channel->fetcher, engine, store,
                                          media_store, clock, metrics);
  tg::IngestFn ingest = [&engine](const std::vector<bb::InboundEvent>& events) {
    return engine.ingest(events);
  };
  if (c.telegram.mode == "polling") {
    tg::PollerOptions p;
    p.timeout_s = c.telegram.poll_timeout_s;
    channel->poller = std::make_unique<tg::Poller>(settings, *channel->http, offsets, ingest,
                                                   channel->answerer.get(), p);
  } else {
    auto tg_routes = tg::routes(settings, ingest, channel->answerer.get(),
                                static_cast<std::size_t>(c.server.max_body_bytes));
    routes.insert(routes.end(), tg_routes.begin(), tg_routes.end());
  }
  channel->answerer->start();
  channel->delivery.start();
  if (channel->poller) { channel->poller->start(); }
  bb::log::info("channel_enabled", {{"channel", "telegram"},
                                    {"mode", c.telegram.mode},
                                    {"rate_per_second", std::to_string(c.telegram.rate_per_second)},
                                    {"bot_token", bb::config::maskSecret(c.telegram.bot_token)}});
  return channel;
}

//! The retention policy from the config and the categories' own retention_days.
bb::RetentionPolicy retentionPolicy(const Config& c, const bb::FlowData& flows) {
  bb::RetentionPolicy p;
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

// ---- staff inbox ----

struct InboxWiring {
  std::unique_ptr<bb::storage::SqliteInboxStore> store;
  std::unique_ptr<bb::web::Inbox> inbox;
};

//! Subscriptions and broadcasts (docs/broadcasts.md): the composer's routes and the
//! background tasks (scheduled broadcasts, subscription retention, OParl polling).
struct BroadcastWiring {
  std::unique_ptr<bb::storage::SqliteBroadcastStore> store;
  std::unique_ptr<bb::BroadcastService> service;
  std::unique_ptr<bb::web::BroadcastComposer> composer;
  std::unique_ptr<bb::HttpClient> oparl_http;
  std::unique_ptr<bb::oparl::Poller> poller;
  std::vector<std::unique_ptr<bb::PeriodicTask>> tasks;
  void stop() {
    for (auto& t : tasks) { t->stop(); }
  }
};

BroadcastWiring startBroadcasts(const Config& c, bb::storage::Database& db,
                                bb::SubscriptionStore& subscriptions, const bb::FlowData& flows,
                                const bb::Clock& clock, bb::web::Inbox& inbox,
                                std::function<void(bb::Channel)> wake,
                                std::vector<bb::Route>& routes) {
  BroadcastWiring w;
  w.store = std::make_unique<bb::storage::SqliteBroadcastStore>(db);
  bb::BroadcastOptions o;
  const double share = c.broadcasts.rate_share;
  o.rate_per_second = {{bb::Channel::WhatsApp, c.whatsapp.rate_per_second * share},
                       {bb::Channel::Telegram, c.telegram.rate_per_second * share},
                       {bb::Channel::Matrix, c.matrix.rate_per_second * share}};
  o.whatsapp_template = c.broadcasts.whatsapp_template;
  o.wake = std::move(wake);
  w.service = std::make_unique<bb::BroadcastService>(*w.store, subscriptions, flows.texts, clock, o);
  w.composer = std::make_unique<bb::web::BroadcastComposer>(inbox, *w.service, *w.store, flows.topics,
                                                            flows.texts, o);
  for (auto& r : w.composer->routes()) { routes.push_back(r); }
  auto* service = w.service.get();
  w.tasks.push_back(std::make_unique<bb::PeriodicTask>(
      "scheduled_broadcasts", std::chrono::minutes(1), [service] { (void)service->runDue(); }));
  bb::RetentionOptions retention;
  retention.inactive_months = c.subscriptions.reminder_after_months;
  retention.remove_after_days = c.subscriptions.remove_after_days;
  w.tasks.push_back(std::make_unique<bb::PeriodicTask>(
      "subscription_retention", std::chrono::hours(1),
      [&subscriptions, &flows, &clock, retention] {
        (void)bb::runSubscriptionRetention(subscriptions, flows.texts, flows.topics, retention,
                                           clock.now());
      }));
  if (!c.oparl.url.empty()) {
    w.oparl_http = bb::makeCurlHttpClient();
    bb::oparl::PollerOptions po;
    po.url = c.oparl.url;
    po.body_id = c.oparl.body_id;
    w.poller = std::make_unique<bb::oparl::Poller>(*w.oparl_http, *w.store, *w.service,
                                                   flows.topic_settings, flows.texts, clock, po);
    auto* poller = w.poller.get();
    w.tasks.push_back(std::make_unique<bb::PeriodicTask>(
        "oparl_poll", std::chrono::minutes(c.oparl.poll_minutes), [poller] { (void)poller->poll(); }));
  }
  for (auto& t : w.tasks) { t->start(); }
  return w;
}

InboxWiring startInbox(const Config& c, bb::storage::Database& db, bb::Engine& engine,
                       bb::Store& store, bb::media::MediaStore& media, const bb::Clock& clock,
                       const std::string& key_material, std::vector<bb::Route>& routes) {
  InboxWiring w;
  w.store = std::make_unique<bb::storage::SqliteInboxStore>(db);
  bb::web::InboxOptions o;
  o.asset_dir = BB_WEB_ASSET_DIR;
  o.secure_cookies = c.server.public_url.rfind("https://", 0) == 0;
  o.login_key = bb::crypto::hmacSha256(key_material, "inbox-login-csrf");
  w.inbox = std::make_unique<bb::web::Inbox>(engine, store, *w.store, media, clock, o);
  auto inbox_routes = w.inbox->routes();
  routes.insert(routes.end(), inbox_routes.begin(), inbox_routes.end());
  // Demo mode: a first admin so the inbox is usable at once.
  if (c.demo) { seedDemoAdmin(*w.store, w.inbox->departments(), c.server.public_url, clock); }
  return w;
}

}  // namespace

int runServe(const Args& args) {
  // Block the stop signals in every thread; one thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  bb::log::Level level = bb::log::Level::Info;
  bb::log::parseLevel(config.log.level, level);
  bb::log::setLevel(level);
  if (auto zone = loadLocalZone(); !zone) {
    bb::log::error("startup_failed", {{"detail", zone.error().detail}});
    return 1;
  }

  auto db = storage::openDatabase(config.storage);
  if (!db) {
    bb::log::error("startup_failed", {{"detail", db.error().detail}});
    return 1;
  }
  bb::Metrics metrics;
  bb::storage::Database* database = db->get();
  metrics.gauge("buergerbox_storage_write_queue_depth", "Write jobs waiting for the writer.",
                [database] { return static_cast<double>(database->stats().queue_depth); });
  metrics.gauge("buergerbox_storage_commits", "Transactions committed by the writer.",
                [database] { return static_cast<double>(database->stats().commits); });
  std::vector<bb::Route> routes = bb::web::opsRoutes([database] { return database->healthy(); },
                                                     metrics);

  auto flow_data = bb::loadFlowData(config);
  if (!flow_data) {
    bb::log::error("startup_failed", {{"detail", flow_data.error().detail}});
    return 1;
  }
  auto keys = bb::engineKeys(config.privacy.pseudonym_key, config.privacy.encryption_key,
                             config.privacy.previous_encryption_keys);
  if (!keys) {
    bb::log::error("startup_failed", {{"detail", keys.error().detail}});
    return 1;
  }
  bb::SystemClock clock;
  bb::SystemRandom random;
  bb::storage::SqliteStore store(*database);
  store.setPublicGridMeters(config.open311.public_grid_m);
  bb::media::MediaStore media_store(config.storage.media_dir);
  bb::EngineOptions engine_options;
  engine_options.workers = config.flows.workers;
  engine_options.sender_messages_per_minute = config.flows.sender_messages_per_minute;
  engine_options.public_url = config.server.public_url;
  engine_options.remove_media = [&media_store](const std::string& content_id) {
    (void)media_store.remove(content_id);
  };
  // Replies leave at once: the engine wakes the channel's outbox worker after its commit.
  bb::outbox::WakeBoard outbox_wake;
  engine_options.outbox_queued = [&outbox_wake](bb::Channel c) { outbox_wake.notify(c); };
  // Participatory budget: declared before the engine, which uses it until it stops.
  bb::storage::SqliteProposalStore proposal_store(*database);
  bb::Participation participation(proposal_store, clock, *flow_data);
  if (config.demo) { seedDemoCampaign(proposal_store, clock); }
  bb::Engine engine(store, clock, random, *flow_data, *keys, engine_options);
  engine.setParticipation(&participation);
  bb::storage::SqliteSubscriptionStore subscription_store(*database);
  engine.setSubscriptions(&subscription_store);
  if (auto started = engine.start(); !started) {
    bb::log::error("startup_failed", {{"detail", started.error().detail}});
    return 1;
  }
  metrics.gauge("buergerbox_engine_queue_depth", "Events queued for processing in memory.",
                [&engine] { return static_cast<double>(engine.queueDepth()); });
  metrics.gauge("buergerbox_engine_processed", "Events processed since start.",
                [&engine] { return static_cast<double>(engine.processedCount()); });

  // Retention (docs/privacy.md): anonymize closed tickets, drop abandoned drafts and old messages.
  bb::storage::SqliteRetentionStore retention_store(*database);
  bb::RetentionJob retention_job(retention_store, retentionPolicy(config, *flow_data),
                                 [&media_store](const std::string& id) { (void)media_store.remove(id); });
  bb::PeriodicTask retention_task(
      "retention", std::chrono::minutes(config.retention.interval_minutes),
      [&retention_job, &clock] { (void)retention_job.run(clock.now()); });
  retention_task.start();

  std::unique_ptr<bb::web::WebChat> webchat;
  if (config.webchat.enabled) {
    bb::web::WebChatOptions o;
    o.asset_dir = BB_WEB_ASSET_DIR;
    o.max_message_chars = config.webchat.max_message_chars;
    o.max_upload_bytes = static_cast<std::size_t>(config.webchat.max_upload_bytes);
    o.messages_per_minute = config.webchat.messages_per_minute;
    o.secure_cookies = config.server.public_url.rfind("https://", 0) == 0;
    o.csrf_key = bb::crypto::hmacSha256(keys->pseudonym_key, "webchat-csrf");
    o.max_waiting_polls = std::max(1, config.server.threads / 4);
    webchat = std::make_unique<bb::web::WebChat>(engine, store, media_store, clock, random, o);
    auto chat_routes = webchat->routes();
    routes.insert(routes.end(), chat_routes.begin(), chat_routes.end());
  }
  std::unique_ptr<WhatsAppChannel> whatsapp;
  if (config.whatsapp.enabled) {
    whatsapp = startWhatsApp(config, engine, store, media_store, clock, metrics, routes);
  }
  bb::storage::SqliteTelegramOffsetStore telegram_offset(*database);
  bb::storage::SqliteMatrixTransactionLog matrix_transactions(*database, clock);
  std::unique_ptr<TelegramChannel> telegram;
  if (config.telegram.enabled) {
    telegram = startTelegram(config, engine, store, telegram_offset, media_store, clock, metrics,
                             routes);
  }
  std::unique_ptr<MatrixChannel> matrix;
  if (config.matrix.enabled) {
    matrix = startMatrix(config, engine, store, matrix_transactions, media_store, clock, metrics,
                         routes);
  }
  if (whatsapp) {
    outbox_wake.add(bb::Channel::WhatsApp, [w = whatsapp.get()] { w->delivery.outbox->wake(); });
  }
  if (telegram) {
    outbox_wake.add(bb::Channel::Telegram, [t = telegram.get()] { t->delivery.outbox->wake(); });
  }
  if (matrix) {
    outbox_wake.add(bb::Channel::Matrix, [m = matrix.get()] { m->delivery.outbox->wake(); });
  }

  InboxWiring inbox = startInbox(config, *database, engine, store, media_store, clock,
                                 keys->pseudonym_key, routes);
  bb::web::ParticipationModeration moderation(*inbox.inbox, participation);
  for (auto& r : moderation.routes()) { routes.push_back(r); }
  bb::web::PublicParticipationOptions public_options;
  public_options.public_url = config.server.public_url;
  bb::web::PublicParticipation public_participation(participation, clock, public_options);
  for (auto& r : public_participation.routes()) { routes.push_back(r); }

  BroadcastWiring broadcasts = startBroadcasts(
      config, *database, subscription_store, *flow_data, clock, *inbox.inbox,
      [&outbox_wake](bb::Channel c) { outbox_wake.notify(c); }, routes);

  auto backoffice =
      startBackOffice(config, *database, engine, store, clock, random, metrics, routes);

  bb::webhooks::ServerOptions server_options;
  server_options.host = config.server.host;
  server_options.port = config.server.port;
  server_options.threads = config.server.threads;
  server_options.max_threads = config.server.max_threads;
  server_options.max_body_bytes = static_cast<std::size_t>(config.server.max_body_bytes);
  server_options.keep_alive_max_count = config.server.keep_alive_max_count;
  server_options.keep_alive_timeout_s = config.server.keep_alive_timeout_s;
  server_options.read_timeout_s = config.server.read_timeout_s;
  server_options.request_timeout_s = config.server.request_timeout_s;
  server_options.tls_cert_file = config.server.tls_cert_file;
  server_options.tls_key_file = config.server.tls_key_file;
  bb::webhooks::HttpServer server(server_options, metrics);
  server.addRoutes(routes);
  auto port = server.bind();
  if (!port) {
    bb::log::error("startup_failed", {{"detail", port.error().detail}});
    return 1;
  }
  bb::log::info("listening", {{"host", config.server.host}, {"port", std::to_string(*port)}});

  std::atomic<bool> served{false};
  std::thread signal_thread([&server, &served, &engine, &whatsapp, &telegram, &matrix,
                             &backoffice, &retention_task, &broadcasts, stop_signals, database] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (served.load()) { return; }
    bb::log::info("shutdown_requested", {{"signal", std::to_string(sig)}});
    server.stop();
    // cpp-httplib lets an idle keep-alive connection hold its worker until the keep-alive
    // timeout. In-flight requests get a grace period; then pending writes are committed and the
    // process exits. A request cut off here was not acknowledged, so its sender retries.
    const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    while (!served.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!served.load()) {
      if (whatsapp) { whatsapp->stop(); }
      if (telegram) { telegram->stop(); }
      if (matrix) { matrix->stop(); }
      backoffice->stop();
      retention_task.stop();
      broadcasts.stop();
      engine.stop();
      database->close();
      bb::log::info("stopped", {{"connections", "closed_by_deadline"}});
      std::_Exit(0);
    }
  });
  server.run();
  served.store(true);
  // In-flight requests have finished; stop the workers, commit pending writes, exit 0.
  if (whatsapp) { whatsapp->stop(); }
  if (telegram) { telegram->stop(); }
  if (matrix) { matrix->stop(); }
  backoffice->stop();
  retention_task.stop();
  broadcasts.stop();
  engine.stop();
  database->close();
  // run() may also end without a signal (bind lost); wake the signal thread then.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  bb::log::info("stopped");
  return 0;
}

}  // namespace bb::app
