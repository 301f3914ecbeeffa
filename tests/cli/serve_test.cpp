#include <doctest/doctest.h>

#include <csignal>

#include <httplib.h>

#include "support/server_process.hpp"

TEST_CASE("cli: serve answers healthz and exits 0 within 2 s of SIGTERM, idle keep-alive or not") {
  bb::test::TempDir dir;
  bb::test::ServerProcess server;
  REQUIRE(server.start("config/demo.json", {{"BUERGERBOX_SERVER_PORT", "0"},
                                            {"BUERGERBOX_STORAGE_PATH", dir.path() + "/db.sqlite"},
                                            {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}}));
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);  // leaves an idle keep-alive connection open
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("buergerbox_http_requests_total{route=\"healthz\",status=\"200\"} 1") !=
        std::string::npos);
  std::chrono::milliseconds took{0};
  int code = server.stop(SIGTERM, &took);
  CHECK(code == 0);
  CHECK(took.count() < 2000);
  CHECK(server.log().find("event=stopped") != std::string::npos);
}

TEST_CASE("cli: serve refuses an invalid config with exit 2 and names every error") {
  bb::test::TempDir dir;
  bb::test::writeFile(dir.path() + "/bad.json", R"({"server": {"prot": 1, "port": 70000}})");
  bb::test::ServerProcess server;
  CHECK_FALSE(server.start(dir.path() + "/bad.json", {}, std::chrono::seconds(5)));
  auto log = server.log();
  CHECK(log.find("server.prot: unknown key") != std::string::npos);
  CHECK(log.find("server.port") != std::string::npos);
}
