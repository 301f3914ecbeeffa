// Issue 14, the HTTP edge of the real server: slow clients (slowloris) cannot exhaust the worker
// threads, and the optional built-in HTTPS speaks only TLS 1.2+ with forward-secret AEAD suites.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;

int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{0, 200000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

//! Output and exit status of a shell command.
std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) { return {out, -1}; }
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) { out += buf.data(); }
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

TEST_CASE("security: slow clients (slowloris) cannot block a normal request") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  // A small pool makes exhaustion easy: at most 6 connections are served at once.
  rig.extra_env["BUERGERBOX_SERVER_THREADS"] = "2";
  rig.extra_env["BUERGERBOX_SERVER_MAX_THREADS"] = "6";
  rig.extra_env["BUERGERBOX_SERVER_REQUEST_TIMEOUT_S"] = "2";
  REQUIRE_MESSAGE(rig.start(), rig.server->log());

  // 10 connections trickle a header byte every 300 ms (each read is well within the 10 s read
  // timeout, so only the request deadline can end them); 4 more connect and say nothing.
  std::atomic<bool> stop{false};
  std::atomic<int> cut{0};
  std::vector<std::thread> slow;
  std::vector<int> idle;
  for (int i = 0; i < 10; ++i) {
    slow.emplace_back([&rig, &stop, &cut] {
      const int fd = connectTo(rig.port);
      if (fd < 0) { return; }
      const std::string head = "POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      bool ok = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) > 0;
      while (ok && !stop.load()) {
        std::this_thread::sleep_for(300ms);
        ok = ::send(fd, "a", 1, MSG_NOSIGNAL) == 1;
      }
      if (!ok) { ++cut; }
      ::close(fd);
    });
  }
  for (int i = 0; i < 4; ++i) { idle.push_back(connectTo(rig.port)); }
  std::this_thread::sleep_for(500ms);

  // A normal client is served although more slow connections exist than threads.
  for (int i = 0; i < 3; ++i) {
    httplib::Client client("127.0.0.1", rig.port);
    client.set_read_timeout(15, 0);
    auto res = client.Get("/healthz");
    REQUIRE_MESSAGE(res, "request " << i << " not answered: " << httplib::to_string(res.error()));
    CHECK(res->status == 200);
  }
  std::this_thread::sleep_for(3s);
  stop.store(true);
  for (auto& t : slow) { t.join(); }
  for (int fd : idle) {
    if (fd >= 0) { ::close(fd); }
  }
  CHECK(cut.load() == 10);  // every trickling connection was closed by the server
  CHECK(rig.server->log().find("event=http_slow_client_closed") != std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("security: built-in HTTPS serves TLS 1.2+ with strong suites only") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  const std::string cert = rig.dir.path() + "/cert.pem";
  const std::string key = rig.dir.path() + "/key.pem";
  const auto made = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                        " -keyout '" + key + "' -out '" + cert + "' -days 1 -subj /CN=localhost");
  REQUIRE_MESSAGE(made.second == 0, made.first);
  rig.extra_env["BUERGERBOX_SERVER_TLS_CERT_FILE"] = cert;
  rig.extra_env["BUERGERBOX_SERVER_TLS_KEY_FILE"] = key;
  REQUIRE_MESSAGE(rig.start(), rig.server->log());

  httplib::SSLClient tls("127.0.0.1", rig.port);
  tls.enable_server_certificate_verification(false);
  auto ok = tls.Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  // Plain HTTP on the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", rig.port);
  plain.set_read_timeout(3, 0);
  auto refused = plain.Get("/healthz");
  CHECK((!refused || refused->status >= 400));

  const std::string s_client = "echo | openssl s_client -connect 127.0.0.1:" +
                               std::to_string(rig.port) + " -servername localhost ";
  const auto good = run(s_client + "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256");
  CHECK_MESSAGE(good.second == 0, good.first);
  CHECK(good.first.find("ECDHE-ECDSA-AES128-GCM-SHA256") != std::string::npos);
  const auto tls13 = run(s_client + "-tls1_3");
  CHECK_MESSAGE(tls13.second == 0, tls13.first);
  // No forward secrecy or CBC: refused even though the client offers nothing else.
  const auto cbc = run(s_client + "-tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'");
  CHECK_MESSAGE(cbc.second != 0, cbc.first);
  // Old protocol versions: refused.
  const auto old = run(s_client + "-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'");
  CHECK_MESSAGE(old.second != 0, old.first);
  CHECK(rig.server->log().find("event=tls_enabled") != std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("security: an unreadable TLS key stops the start with a clear error") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  rig.extra_env["BUERGERBOX_SERVER_TLS_CERT_FILE"] = rig.dir.path() + "/missing-cert.pem";
  rig.extra_env["BUERGERBOX_SERVER_TLS_KEY_FILE"] = rig.dir.path() + "/missing-key.pem";
  CHECK_FALSE(rig.start());
  CHECK(rig.server->log().find("tls") != std::string::npos);
}
