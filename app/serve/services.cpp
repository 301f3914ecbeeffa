#include "app/serve/services.hpp"

#include <chrono>
#include <string>
#include <thread>

#include "app/channels/channel_module.hpp"
#include "app/demo/demo_data.hpp"
#include "app/serve/backoffice.hpp"
#include "app/serve/broadcasts.hpp"
#include "app/serve/core.hpp"
#include "app/serve/digest.hpp"
#include "app/serve/pages.hpp"
#include "app/serve/retention.hpp"
#include "bot/log.hpp"
#include "storage/open.hpp"
#include "storage/stores.hpp"
#include "web/ops_routes.hpp"
#include "webhooks/http_server.hpp"

namespace bb::app {
namespace {

//! How long requests in flight may take to finish once the listener stops. cpp-httplib lets an
//! idle keep-alive connection hold its worker until the keep-alive timeout; a request cut off
//! after this was not acknowledged, so its sender retries.
constexpr std::chrono::milliseconds kShutdownGrace{1500};

webhooks::ServerOptions serverOptions(const config::ServerConfig& s) {
  webhooks::ServerOptions o;
  o.host = s.host;
  o.port = s.port;
  o.threads = s.threads;
  o.max_threads = s.max_threads;
  o.max_body_bytes = static_cast<std::size_t>(s.max_body_bytes);
  o.keep_alive_max_count = s.keep_alive_max_count;
  o.keep_alive_timeout_s = s.keep_alive_timeout_s;
  o.read_timeout_s = s.read_timeout_s;
  o.request_timeout_s = s.request_timeout_s;
  o.tls_cert_file = s.tls_cert_file;
  o.tls_key_file = s.tls_key_file;
  return o;
}

}  // namespace

Services::Services(config::Config config) : config_(std::move(config)) {}

Services::~Services() { stop(); }

Result<void> Services::start() {
  auto started = startParts();
  if (!started) { stop(); }
  return started;
}

Result<void> Services::startParts() {
  if (auto opened = openStorage(); !opened) { return opened; }
  if (auto core = startCore(); !core) { return core; }
  startRetention();
  startWebChat();
  startChannels();
  startStaffPages();
  startStaffDigest();
  startBroadcasts();
  startBackOffice();
  return listen();
}

void Services::run() {
  server_->run();
  served_.store(true);
}

void Services::stop() {
  std::lock_guard lock(stop_mutex_);
  while (!stops_.empty()) {
    auto stop_part = std::move(stops_.back());
    stops_.pop_back();
    stop_part();
  }
}

void Services::onStop(std::function<void()> stop) { stops_.push_back(std::move(stop)); }

void Services::addRoutes(const std::vector<Route>& routes) {
  routes_.insert(routes_.end(), routes.begin(), routes.end());
}

Result<void> Services::openStorage() {
  auto stores =
      storage::openStores(config_, clock_, storage::pseudonymKeyBytes(config_.privacy));
  if (!stores) { return fail(stores.error().code, stores.error().detail); }
  stores_ = std::move(*stores);
  onStop([this] { stores_->close(); });
  for (auto& gauge : stores_->gauges()) {
    metrics_.gauge(gauge.name, gauge.help, std::move(gauge.value));
  }
  storage::Stores* stores_ptr = stores_.get();
  addRoutes(web::opsRoutes([stores_ptr] { return stores_ptr->probeWrite(); }, metrics_));
  log::info("storage_opened", {{"backend", stores_->backend()}});
  return {};
}

Result<void> Services::startCore() {
  auto flows = loadFlowData(config_);
  if (!flows) { return fail(flows.error().code, flows.error().detail); }
  flows_ = std::make_unique<FlowData>(std::move(*flows));
  auto keys = engineKeys(config_.privacy.pseudonym_key, config_.privacy.encryption_key,
                         config_.privacy.previous_encryption_keys);
  if (!keys) { return fail(keys.error().code, keys.error().detail); }
  keys_ = std::make_unique<EngineKeys>(std::move(*keys));
  core_ = std::make_unique<Core>(config_, *stores_, *flows_, *keys_, clock_, random_);
  if (config_.demo) { seedDemoCampaign(core_->proposals, clock_); }
  if (auto seeded = seedGazetteer(core_->gazetteer, config_.flows.gazetteer_file); !seeded) {
    return seeded;
  }
  // First this instance's share of the conversations (the engine starts with its work), then
  // the engine; at a stop the engine ends first, then the share goes to the others at once.
  Engine& engine = core_->engine;
  if (auto joined = stores_->startInstance([&engine] { engine.recheckPending(); }); !joined) {
    return joined;
  }
  onStop([this] { stores_->stopInstance(); });
  if (auto started = core_->engine.start(); !started) { return started; }
  onStop([this] { core_->engine.stop(); });
  registerEngineMetrics(metrics_, core_->engine);
  // A channel reply whose quoted id none of our messages has: the reply window decided instead.
  Store& store = core_->store;
  metrics_.gauge("buergerbox_reply_quote_unmatched",
                 "Channel replies quoting an id that matches none of our messages.", [&store] {
                   auto n = store.counter("reply_quote_unmatched");
                   return n ? static_cast<double>(*n) : 0.0;
                 });
  return {};
}

void Services::startRetention() {
  retention_ =
      std::make_unique<Retention>(config_, stores_->retention(), *flows_, core_->media, clock_);
  retention_->task.runOnlyWhileLeading(stores_->leadership());
  retention_->task.start();
  onStop([this] { retention_->task.stop(); });
}

void Services::startWebChat() {
  webchat_ = makeWebChat(config_, *core_, clock_, random_, keys_->pseudonym_key);
  if (webchat_) { addRoutes(webchat_->routes()); }
  data_export_ = std::make_unique<DataExportPages>(stores_->dataExport(), clock_);
  addRoutes(data_export_->page.routes());
}

void Services::startChannels() {
  const ChannelContext context{config_, core_->engine, core_->store, clock_,
                               core_->matrix_transactions, core_->telegram_offsets};
  for (const ChannelSpec& spec : channelSpecs()) {
    if (!spec.enabled(config_)) { continue; }
    auto module = std::make_unique<ChannelModule>(spec, spec.build(context),
                                                  core_->engine, core_->store, core_->media,
                                                  clock_, metrics_, sharedDelivery());
    addRoutes(module->routes());
    module->start();
    ChannelModule* started = module.get();
    onStop([started] { started->stop(); });
    core_->wake.add(spec.channel, [started] { started->wake(); });
    channels_.push_back(std::move(module));
  }
}

SharedDelivery Services::sharedDelivery() {
  SharedDelivery shared;
  shared.rate = stores_->sharedRate();
  if (shared.rate != nullptr) {
    shared.claim_lease = std::chrono::milliseconds(config_.storage.postgresql.outbox_claim_ms);
  }
  return shared;
}

void Services::startStaffPages() {
  staff_pages_ =
      std::make_unique<StaffPages>(config_, *stores_, *core_, clock_, keys_->pseudonym_key);
  addRoutes(staff_pages_->routes());
}

void Services::startStaffDigest() {
  if (config_.smtp.url.empty()) { return; }
  staff_digest_ = std::make_unique<StaffDigestTask>(config_, staff_pages_->inbox_store, random_,
                                                    clock_, metrics_);
  staff_digest_->task.runOnlyWhileLeading(stores_->leadership());
  staff_digest_->task.start();
  onStop([this] { staff_digest_->task.stop(); });
}

void Services::startBroadcasts() {
  outbox::WakeBoard& wake = core_->wake;
  broadcasts_ = std::make_unique<Broadcasts>(
      config_, stores_->broadcasts(), core_->subscriptions, *flows_, clock_, staff_pages_->inbox,
      [&wake](Channel c) { wake.notify(c); });
  addRoutes(broadcasts_->routes());
  broadcasts_->start(stores_->leadership());
  onStop([this] { broadcasts_->stop(); });
}

void Services::startBackOffice() {
  backoffice_ = std::make_unique<BackOffice>(config_, stores_->cases(), core_->engine,
                                             core_->store, core_->media, clock_, random_,
                                             metrics_);
  addRoutes(backoffice_->routes());
  backoffice_->start(stores_->leadership());
  onStop([this] { backoffice_->stop(); });
}

Result<void> Services::listen() {
  server_ = std::make_unique<webhooks::HttpServer>(serverOptions(config_.server), metrics_);
  server_->addRoutes(routes_);
  auto port = server_->bind();
  if (!port) { return fail(port.error().code, port.error().detail); }
  onStop([this] { stopListening(); });
  log::info("listening", {{"host", config_.server.host}, {"port", std::to_string(*port)}});
  return {};
}

void Services::stopListening() {
  server_->stop();
  const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  while (!served_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace bb::app
