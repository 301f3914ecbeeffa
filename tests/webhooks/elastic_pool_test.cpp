// Connection handling of the HTTP edge: the elastic task queue grows to one thread
// per kept-alive connection, never beyond its maximum, shrinks when idle; the real HttpServer
// serves more kept-alive connections than its warm threads; the listen backlog is widened.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bot/runtime/metrics.hpp"
#include "webhooks/elastic_pool.hpp"
#include "webhooks/http_server.hpp"
#include "webhooks/listen_backlog.hpp"

namespace {

using namespace std::chrono_literals;

//! Jobs that block until released; counts how many ran at once.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  int running = 0;
  int peak = 0;
  bool open = false;

  std::function<void()> job() {
    return [this] {
      std::unique_lock lock(mutex);
      ++running;
      peak = std::max(peak, running);
      cv.notify_all();
      cv.wait(lock, [this] { return open; });
      --running;
    };
  }
  //! Waits (bounded) until `n` jobs run at the same time.
  bool waitRunning(int n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 10s, [&] { return running >= n; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("elastic pool: grows beyond its warm threads so every blocking job runs at once") {
  bb::webhooks::ElasticPool pool({2, 16, 30s});
  CHECK(pool.threads() == 2);
  Gate gate;
  for (int i = 0; i < 12; ++i) { pool.enqueue(gate.job()); }
  CHECK(gate.waitRunning(12));  // a fixed pool of 2 would run only 2
  gate.release();
  pool.shutdown();
  CHECK(gate.peak == 12);
}

TEST_CASE("elastic pool: never more threads than its maximum, the rest wait their turn") {
  bb::webhooks::ElasticPool pool({1, 4, 30s});
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) {
    pool.enqueue([&gate, &done, job = gate.job()] {
      job();
      ++done;
    });
  }
  CHECK(gate.waitRunning(4));
  std::this_thread::sleep_for(50ms);
  CHECK(pool.threads() == 4);
  CHECK(pool.queued() == 6);
  gate.release();
  pool.shutdown();  // runs what is queued first
  CHECK(done.load() == 10);
  CHECK(gate.peak == 4);
  CHECK(pool.peakThreads() == 4);
}

TEST_CASE("elastic pool: surplus threads end after the idle timeout, the warm ones stay") {
  bb::webhooks::ElasticPool pool({2, 8, 20ms});
  Gate gate;
  for (int i = 0; i < 6; ++i) { pool.enqueue(gate.job()); }
  REQUIRE(gate.waitRunning(6));
  gate.release();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (pool.threads() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(pool.threads() == 2);
  // And it grows again afterwards.
  Gate again;
  for (int i = 0; i < 5; ++i) { pool.enqueue(again.job()); }
  CHECK(again.waitRunning(5));
  again.release();
}

TEST_CASE("http server: more kept-alive connections than warm threads are all served") {
  bb::Metrics metrics;
  bb::webhooks::ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.max_threads = 64;
  o.keep_alive_timeout_s = 5;
  bb::webhooks::HttpServer server(o, metrics);
  server.addRoutes({bb::Route{"GET", "/ping", "ping", [](const bb::HttpRequest&) {
                                return bb::HttpResponse::text(200, "pong");
                              }}});
  auto port = server.bind();
  REQUIRE(port);
  std::thread runner([&server] { server.run(); });
  {
    // 20 clients keep their connections open; with 2 fixed threads the third would wait for the
    // 5 s keep-alive timeout of another, beyond the clients' 2 s read timeout.
    std::vector<std::unique_ptr<httplib::Client>> clients;
    for (int i = 0; i < 20; ++i) {
      auto c = std::make_unique<httplib::Client>("127.0.0.1", *port);
      c->set_keep_alive(true);
      c->set_read_timeout(2, 0);
      c->set_connection_timeout(2, 0);
      clients.push_back(std::move(c));
    }
    for (int round = 0; round < 2; ++round) {
      int ok = 0;
      for (auto& c : clients) {
        auto res = c->Get("/ping");
        ok += (res && res->status == 200) ? 1 : 0;
      }
      CHECK(ok == 20);
    }
  }
  server.stop();
  runner.join();
}

TEST_CASE("listen backlog: the listening socket on the port gets the wider backlog") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);
  CHECK_FALSE(bb::webhooks::widenListenBacklog(port, 128));  // not listening yet
  REQUIRE(::listen(fd, 5) == 0);
  CHECK(bb::webhooks::widenListenBacklog(port, 128));
  CHECK_FALSE(bb::webhooks::widenListenBacklog(port + 1 == 65536 ? 1 : port + 1, 128));
  ::close(fd);
}

TEST_CASE("http server: a second server on a port another one listens on does not start") {
  // A forgotten old instance, or two test servers on the demo port: with SO_REUSEPORT both
  // would listen and each would get half of the connections, without any error.
  bb::Metrics metrics;
  bb::webhooks::ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  bb::webhooks::HttpServer first(o, metrics);
  auto port = first.bind();
  REQUIRE(port);
  o.port = *port;
  bb::webhooks::HttpServer second(o, metrics);
  const auto refused = second.bind();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().detail.find("127.0.0.1:" + std::to_string(*port)) != std::string::npos);
  // Once the first has stopped, the port is free again for a restart.
  std::thread runner([&first] { first.run(); });
  for (int i = 0; i < 200 && !first.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(first.running());
  first.stop();
  runner.join();
  bb::webhooks::HttpServer restarted(o, metrics);
  CHECK(restarted.bind());
}
