// `serve`: loads the config, starts the services, serves HTTP until SIGTERM or SIGINT, then
// stops the services (Services::stop, the one shutdown path) and exits 0.

#include "app/serve/serve.hpp"

#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include <pthread.h>

#include "app/serve/services.hpp"
#include "bot/log.hpp"

namespace bb::app {
namespace {

//! Blocks the stop signals in this thread and every thread it starts; one thread waits for them.
sigset_t blockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void setLogLevel(const std::string& name) {
  log::Level level = log::Level::Info;
  log::parseLevel(name, level);
  log::setLevel(level);
}

//! Waits for a stop signal and stops the services. If the HTTP loop has not ended by then (a
//! connection held past the grace period), everything else has stopped and every write is
//! committed: the process exits here.
void stopOnSignal(Services& services, sigset_t signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  if (services.served()) { return; }  // the loop ended without a signal; main stops
  log::info("shutdown_requested", {{"signal", std::to_string(sig)}});
  services.stop();
  if (!services.served()) {
    log::info("stopped", {{"connections", "closed_by_deadline"}});
    std::_Exit(0);
  }
}

}  // namespace

int runServe(const Args& args) {
  const sigset_t signals = blockStopSignals();
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  setLogLevel(config.log.level);
  // check-config refuses these; serve only warns, so a stray variable never stops a restart.
  for (const auto& name : config::unknownEnvironmentNames(config::processEnvNames())) {
    log::warn("unknown_environment_variable", {{"name", name}});
  }
  if (auto zone = loadLocalZone(); !zone) {
    log::error("startup_failed", {{"detail", zone.error().detail}});
    return 1;
  }
  Services services(std::move(config));
  if (auto started = services.start(); !started) {
    log::error("startup_failed", {{"detail", started.error().detail}});
    return 1;
  }
  std::thread watcher([&services, signals] { stopOnSignal(services, signals); });
  services.run();
  services.stop();
  // run() also ends without a signal (the socket lost): wake the watcher then.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  log::info("stopped");
  return 0;
}

}  // namespace bb::app
