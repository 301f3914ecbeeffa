#pragma once
// Everything `serve` runs, owned in one place. start() builds and starts the parts in order;
// stop() stops what has started, once, in reverse order. It is the one shutdown path: SIGTERM or
// SIGINT, the end of the HTTP loop and a failure during start-up all go through it.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/result.hpp"
#include "bot/runtime/leadership.hpp"
#include "bot/runtime/metrics.hpp"
#include "config/config.hpp"

namespace bb::storage {
class Stores;
}
namespace bb::web {
class WebChat;
}
namespace bb::webhooks {
class HttpServer;
}

namespace bb::app {

struct Core;
struct Retention;
class ChannelModule;
struct SharedDelivery;
struct StaffPages;
struct DataExportPages;
struct Broadcasts;
struct BackOffice;
struct StaffDigestTask;

class Services {
public:
  explicit Services(config::Config config);
  //! Stops what still runs.
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  //! Builds and starts every part, the HTTP listener last; on failure stops what had started.
  Result<void> start();
  //! Serves HTTP until the listener stops (stop(), or the socket was lost).
  void run();
  //! True once run() has returned: no request is in flight any more.
  bool served() const { return served_.load(); }
  //! Stops every started part in reverse order of start. The HTTP listener stops first and its
  //! requests get a grace period; the database closes last, with every pending write committed.
  //! A second call waits for the first and does nothing.
  void stop();

private:
  Result<void> startParts();
  Result<void> openStorage();
  Result<void> startCore();
  void startRetention();
  void startWebChat();  //!< and the page behind the data-export links
  void startChannels();
  //! The channel rates and send claims the instances on one database share.
  SharedDelivery sharedDelivery();
  void startStaffPages();
  void startStaffDigest();  //!< only with smtp.url
  void startBroadcasts();
  void startBackOffice();
  Result<void> listen();
  //! Registers how to stop the part that has just started.
  void onStop(std::function<void()> stop);
  void addRoutes(const std::vector<Route>& routes);
  void stopListening();

  const config::Config config_;
  SystemClock clock_;
  SystemRandom random_;
  Metrics metrics_;
  std::vector<Route> routes_;
  // The parts, in start order; members are destroyed in reverse.
  //! Every store, on the configured backend; also who runs the cluster-wide jobs (retention,
  //! broadcasts, OParl, the staff digest, the back-office push): with SQLite the only instance,
  //! on PostgreSQL the one holding their advisory lock, so that each job runs once.
  std::unique_ptr<storage::Stores> stores_;
  std::unique_ptr<FlowData> flows_;
  std::unique_ptr<EngineKeys> keys_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<Retention> retention_;
  std::unique_ptr<web::WebChat> webchat_;
  std::unique_ptr<DataExportPages> data_export_;
  std::vector<std::unique_ptr<ChannelModule>> channels_;
  std::unique_ptr<StaffPages> staff_pages_;
  std::unique_ptr<StaffDigestTask> staff_digest_;
  std::unique_ptr<Broadcasts> broadcasts_;
  std::unique_ptr<BackOffice> backoffice_;
  std::unique_ptr<webhooks::HttpServer> server_;

  std::atomic<bool> served_{false};
  std::mutex stop_mutex_;
  std::vector<std::function<void()>> stops_;  //!< one per started part, in start order
};

}  // namespace bb::app
