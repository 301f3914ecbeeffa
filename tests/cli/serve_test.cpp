#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <string>

#include <sys/wait.h>

#include <httplib.h>

#include "app/app_fixture.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"

// On PostgreSQL the stop also ends the leases, the leadership session and the LISTEN session.
TEST_CASE_TEMPLATE("cli: serve answers healthz and exits 0 within 2 s of SIGTERM, idle keep-alive or not", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  std::map<std::string, std::string> env{{"BUERGERBOX_SERVER_PORT", "0"},
                                         {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}};
  env.merge(database.env());
  bb::test::ServerProcess server;
  REQUIRE(server.start("config/demo.json", env));
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
  if (database.postgresql()) {
    // Its conversation leases are free for the next instance at once.
    CHECK(database.scalar("SELECT count(*) FROM partition_leases WHERE owner IS NOT NULL") == 0);
    CHECK(database.scalar("SELECT count(*) FROM instances") == 0);
  }
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

TEST_CASE("cli: serve stops the same way on SIGINT") {
  bb::test::TempDir dir;
  bb::test::ServerProcess server;
  const std::map<std::string, std::string> env = {
      {"BUERGERBOX_SERVER_PORT", "0"},
      {"BUERGERBOX_STORAGE_PATH", dir.path() + "/db.sqlite"},
      {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}};
  REQUIRE(server.start("config/demo.json", env));
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  // The time bound is the SIGTERM case's (above): both signals take the same path.
  CHECK(server.stop(SIGINT) == 0);
  const auto log = server.log();
  CHECK(log.find("event=shutdown_requested signal=2") != std::string::npos);
  CHECK(log.find("event=stopped") != std::string::npos);
}

TEST_CASE_TEMPLATE("cli: serve exits 1 when the port is taken, after stopping what had started", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  bb::test::TakenPort taken;
  const int port = taken.port();
  REQUIRE(port > 0);
  // Everything but the listener starts (database, engine, tasks); they must all stop again, or
  // the process would hang or abort instead of exiting 1.
  std::map<std::string, std::string> env{{"BUERGERBOX_SERVER_PORT", std::to_string(port)},
                                         {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}};
  env.merge(database.env());
  const auto run = bb::test::runCli("serve", "config/demo.json", env, {}, 20);
  const std::string output = run.output + run.errors;
  CHECK(run.code == 1);
  CHECK(output.find("event=startup_failed") != std::string::npos);
  CHECK(output.find("event=listening") == std::string::npos);
}

TEST_CASE("cli: serve and check-config refuse to start without the Europe/Berlin zone rules") {
  bb::test::TempDir dir;
  const std::string no_zones = dir.path() + "/no-zoneinfo";
  bb::test::ServerProcess server;
  CHECK_FALSE(server.start("config/demo.json",
                           {{"TZDIR", no_zones},
                            {"BUERGERBOX_SERVER_PORT", "0"},
                            {"BUERGERBOX_STORAGE_PATH", dir.path() + "/db.sqlite"},
                            {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}},
                           std::chrono::seconds(10)));
  const std::string log = server.log();
  CHECK(log.find("event=startup_failed") != std::string::npos);
  CHECK(log.find("Europe/Berlin") != std::string::npos);
  CHECK(log.find("tzdata") != std::string::npos);

  const std::string command = std::string("cd '") + BB_SOURCE_DIR + "' && TZDIR='" + no_zones +
                              "' '" + BB_BINARY + "' check-config --config config/demo.json 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) { output += buf; }
  const int status = pclose(pipe);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(output.find("time zone error") != std::string::npos);
  CHECK(output.find("Europe/Berlin") != std::string::npos);
  CHECK(output.find("config ok") == std::string::npos);
}
