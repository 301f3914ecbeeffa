// app::Services: the parts of `serve` start in order and stop once, in reverse order, on every
// way out (a stop request, a failure during start-up).

#include <doctest/doctest.h>

#include <filesystem>
#include <iterator>
#include <memory>
#include <regex>
#include <thread>

#include <httplib.h>

#include "app/app_fixture.hpp"
#include "app/serve/services.hpp"

namespace {

//! Threads of this process (/proc/self/task).
std::size_t threadCount() {
  const std::filesystem::directory_iterator tasks("/proc/self/task");
  return static_cast<std::size_t>(std::distance(begin(tasks), end(tasks)));
}

//! The listener's slow-client watcher ends with the server object, not with stop().
constexpr std::size_t kListenerThreads = 1;

int listeningPort(const std::string& log) {
  std::smatch m;
  static const std::regex kListening("event=listening host=\\S+ port=(\\d+)");
  return std::regex_search(log, m, kListening) ? std::stoi(m[1]) : 0;
}

}  // namespace

TEST_CASE("app: services serve until stop, then every part has stopped, once") {
  bb::test::TempDir dir;
  auto config = bb::test::appConfig(dir.path());
  config.webchat.enabled = true;
  const std::size_t threads_before = threadCount();
  bb::test::LogCapture log;
  auto owned = std::make_unique<bb::app::Services>(config);
  bb::app::Services& services = *owned;
  REQUIRE(services.start().has_value());
  CHECK(threadCount() > threads_before);  // engine workers, tasks, the database writer
  const int port = listeningPort(log.text());
  REQUIRE(port > 0);

  std::thread runner([&services] { services.run(); });
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto chat = client.Get("/chat");
  REQUIRE(chat);
  CHECK(chat->status == 200);
  CHECK_FALSE(services.served());

  services.stop();
  runner.join();
  CHECK(services.served());
  CHECK(threadCount() <= threads_before + kListenerThreads);
  services.stop();  // a second stop does nothing
  CHECK_FALSE(client.Get("/healthz"));
  owned.reset();
  CHECK(threadCount() == threads_before);
}

TEST_CASE("app: services that fail to start have stopped what had started") {
  bb::test::TempDir dir;
  auto config = bb::test::appConfig(dir.path());
  const std::size_t threads_before = threadCount();
  SUBCASE("the port is taken: every part but the listener had started") {
    bb::test::TakenPort taken;
    REQUIRE(taken.port() > 0);
    config.server.port = taken.port();
    bb::app::Services services(config);
    auto started = services.start();
    CHECK_FALSE(started.has_value());
    CHECK(threadCount() <= threads_before + kListenerThreads);
  }
  SUBCASE("the flows config is missing: only the database had started") {
    config.flows.categories_file = dir.path() + "/missing.json";
    bb::app::Services services(config);
    CHECK_FALSE(services.start().has_value());
    CHECK(threadCount() == threads_before);
  }
  SUBCASE("the database cannot be opened: nothing had started") {
    bb::test::writeFile(dir.path() + "/file", "not a folder");
    config.storage.path = dir.path() + "/file/db.sqlite";
    bb::app::Services services(config);
    CHECK_FALSE(services.start().has_value());
    CHECK(threadCount() == threads_before);
  }
}
