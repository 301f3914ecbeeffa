// The back-office push forwarder against a local fake back office (httplib on 127.0.0.1, port 0)
// that fails half of the requests with 500s and connection resets.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bot/security/crypto.hpp"
#include "bot/cases/forwarder.hpp"
#include "support/case_stores.hpp"
#include "support/engine_harness.hpp"

using json = nlohmann::json;

namespace {

constexpr const char* kSecret = "push-secret-of-the-city";

//! A back office that verifies the signature and fails every other request: odd requests get
//! a 500 or a connection reset (headers sent, then the connection is dropped).
class FakeBackOffice {
public:
  explicit FakeBackOffice(bool fail_half) : fail_half_(fail_half) {
    server_.Post("/in", [this](const httplib::Request& req, httplib::Response& res) {
      const int n = requests_.fetch_add(1) + 1;
      if (fail_half_ && n % 2 == 1) {
        if (n % 4 == 1) {
          res.status = 500;
          res.set_content("{}", "application/json");
        } else {
          res.set_content_provider(
              64, "application/json",
              [](std::size_t, std::size_t, httplib::DataSink&) { return false; });  // reset
        }
        return;
      }
      const std::string expected =
          "sha256=" + bb::crypto::toHex(bb::crypto::hmacSha256(kSecret, req.body));
      if (!bb::crypto::constantTimeEquals(expected, req.get_header_value("X-Buergerbox-Signature"))) {
        bad_signatures_.fetch_add(1);
        res.status = 401;
        return;
      }
      const json body = json::parse(req.body, nullptr, false);
      std::lock_guard lock(mutex_);
      const auto id = body.value("delivery_id", std::int64_t{0});
      receipts_[id] += 1;  // raw successful receipts: no dedupe here
      order_[body["service_request"]["service_request_id"].get<std::string>()].push_back(id);
      headers_ok_ = headers_ok_ && req.get_header_value("X-Buergerbox-Delivery") == std::to_string(id) &&
                    !req.get_header_value("X-Buergerbox-Timestamp").empty();
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeBackOffice() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/in"; }
  std::map<std::int64_t, int> receipts() {
    std::lock_guard lock(mutex_);
    return receipts_;
  }
  std::map<std::string, std::vector<std::int64_t>> order() {
    std::lock_guard lock(mutex_);
    return order_;
  }
  int requests() const { return requests_.load(); }
  int badSignatures() const { return bad_signatures_.load(); }
  bool headersOk() {
    std::lock_guard lock(mutex_);
    return headers_ok_;
  }

private:
  bool fail_half_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<int> bad_signatures_{0};
  std::mutex mutex_;
  std::map<std::int64_t, int> receipts_;
  std::map<std::string, std::vector<std::int64_t>> order_;
  bool headers_ok_ = true;
};

bb::ForwarderOptions options(const std::string& url, const std::string& secret) {
  bb::ForwarderOptions o;
  o.url = url;
  o.secret = secret;
  o.max_tries = 10;
  o.retry_base = std::chrono::milliseconds(100);
  o.retry_max = std::chrono::milliseconds(2000);
  o.timeout = std::chrono::milliseconds(5000);
  o.jitter_seed = 7;
  return o;
}

//! Runs passes, moving the fake clock past every backoff, until nothing is pending.
void drain(bb::CaseForwarder& fwd, bb::CaseStore& cases, bb::test::FakeClock& clock) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    (void)fwd.runOnce();
    auto counts = cases.caseQueueCounts();
    REQUIRE(counts);
    if (counts->pending == 0) { return; }
    clock.advance(std::chrono::seconds(3));
  }
  FAIL("queue not drained");
}

}  // namespace

TEST_CASE_TEMPLATE("backoffice: forwarder delivers every entry once, in order per ticket, despite failures", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  auto case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  std::vector<std::int64_t> tickets;
  for (const char* user : {"anna", "bert", "carla"}) {
    h.onboard(user);
    tickets.push_back(h.report(user, "graffiti", {48.0777 + 0.001 * static_cast<double>(tickets.size()), 11.9706}));
  }
  for (auto n : tickets) {
    REQUIRE(h.engine->changeTicketStatus(n, "in_pruefung", "", "staff:x"));
    REQUIRE(h.engine->changeTicketStatus(n, "in_bearbeitung", "Trupp unterwegs", "staff:x"));
    REQUIRE(h.engine->changeTicketStatus(n, "erledigt", "", "staff:x"));
  }
  REQUIRE(h.scalar("SELECT count(*) FROM case_queue") == 12);

  FakeBackOffice office(true);
  auto http = bb::makeCurlHttpClient();
  bb::Metrics metrics;
  bb::CaseForwarder fwd(cases, *http, h.clock, options(office.url(), kSecret), &metrics);
  drain(fwd, cases, h.clock);

  const auto receipts = office.receipts();
  CHECK(receipts.size() == 12);
  for (const auto& [id, count] : receipts) {
    INFO("delivery " << id);
    CHECK(count == 1);  // never re-sent after a 2xx
  }
  CHECK(office.requests() >= 20);  // the failures really happened
  CHECK(office.badSignatures() == 0);
  CHECK(office.headersOk());
  const auto order = office.order();
  REQUIRE(order.size() == 3);
  for (auto n : tickets) {
    auto entries = cases.caseEntriesOf(n);
    REQUIRE(entries);
    std::vector<std::int64_t> expected;
    for (const auto& e : *entries) {
      expected.push_back(e.id);
      CHECK(e.state == "delivered");
    }
    CHECK(order.at(std::to_string(n)) == expected);
  }
  CHECK(h.scalar("SELECT count(*) FROM case_queue WHERE state = 'delivered'") == 12);
  // Nothing is sent again once delivered.
  const int before = office.requests();
  h.clock.advance(std::chrono::hours(1));
  CHECK(fwd.runOnce().attempted == 0);
  CHECK(office.requests() == before);
  CHECK(metrics.render().find("buergerbox_backoffice_deliveries_total{result=\"delivered\"} 12") !=
        std::string::npos);
}

TEST_CASE_TEMPLATE("backoffice: a wrong signature secret is detected by the receiver", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  auto case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  h.onboard("anna");
  (void)h.report("anna", "graffiti", bb::test::kMarktplatz);
  FakeBackOffice office(false);
  auto http = bb::makeCurlHttpClient();
  bb::CaseForwarder wrong(cases, *http, h.clock, options(office.url(), "not-the-secret"));
  auto pass = wrong.runOnce();
  CHECK(pass.attempted == 1);
  CHECK(pass.retried == 1);
  CHECK(office.badSignatures() == 1);
  CHECK(office.receipts().empty());
  CHECK(h.scalar("SELECT count(*) FROM case_queue WHERE state = 'pending' AND tries = 1 AND "
                 "last_status = 401") == 1);
  // The right secret verifies.
  h.clock.advance(std::chrono::minutes(1));
  bb::CaseForwarder right(cases, *http, h.clock, options(office.url(), kSecret));
  CHECK(right.runOnce().delivered == 1);
  CHECK(office.receipts().size() == 1);
}

TEST_CASE_TEMPLATE("backoffice: bounded tries end in a dead letter that blocks its ticket and shows in metrics", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  auto case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  h.onboard("anna");
  const auto n = h.report("anna", "graffiti", bb::test::kMarktplatz);
  REQUIRE(h.engine->changeTicketStatus(n, "erledigt", "", "staff:x"));

  struct Always500 final : bb::HttpClient {
    int calls = 0;
    bb::HttpReply send(const bb::HttpCall&) override {
      ++calls;
      bb::HttpReply r;
      r.status = 503;
      return r;
    }
  } http;
  bb::Metrics metrics;
  bb::registerCaseQueueMetrics(metrics, cases);
  auto o = options("http://backoffice.invalid/in", kSecret);
  o.max_tries = 3;
  bb::CaseForwarder fwd(cases, http, h.clock, o, &metrics);
  for (int i = 0; i < 10; ++i) {
    (void)fwd.runOnce();
    h.clock.advance(std::chrono::seconds(5));
  }
  CHECK(http.calls == 3);  // the second entry never went before the first
  auto dead = cases.deadCaseEntries(10);
  REQUIRE(dead);
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].ticket_number == n);
  CHECK((*dead)[0].last_status == 503);
  const std::string text = metrics.render();
  CHECK(text.find("buergerbox_backoffice_dead_letters 1") != std::string::npos);
  CHECK(text.find("buergerbox_backoffice_queue_pending 1") != std::string::npos);

  // Staff requeue it; then both go, in order.
  REQUIRE(cases.requeueCaseEntry((*dead)[0].id, h.clock.now()));
  struct Ok final : bb::HttpClient {
    std::vector<std::string> deliveries;
    bb::HttpReply send(const bb::HttpCall& call) override {
      for (const auto& [k, v] : call.headers) {
        if (k == bb::kDeliveryHeader) { deliveries.push_back(v); }
      }
      bb::HttpReply r;
      r.status = 202;
      return r;
    }
  } ok;
  bb::CaseForwarder again(cases, ok, h.clock, o);
  (void)again.runOnce();
  (void)again.runOnce();
  REQUIRE(ok.deliveries.size() == 2);
  CHECK(std::stoll(ok.deliveries[0]) < std::stoll(ok.deliveries[1]));
}

TEST_CASE_TEMPLATE("backoffice: per-department URLs and the signed body", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  bb::test::EngineHarness h(B::backend);
  auto cases = bb::test::caseStoreOf(h);
  auto o = options("http://default/in", kSecret);
  o.department_urls["tiefbau"] = "http://tiefbau/in";
  struct Null final : bb::HttpClient {
    bb::HttpReply send(const bb::HttpCall&) override { return {}; }
  } http;
  bb::CaseForwarder fwd(*cases, http, h.clock, o);
  CHECK(fwd.urlFor("tiefbau") == "http://tiefbau/in");
  CHECK(fwd.urlFor("bauhof") == "http://default/in");
  bb::CaseEntry e;
  e.id = 42;
  e.payload = R"({"event":"created"})";
  const std::string body = bb::pushBody(e, h.clock.now());
  const json j = json::parse(body);
  CHECK(j["delivery_id"] == 42);
  CHECK(j["event"] == "created");
  CHECK(j["sent_at"].is_string());
  CHECK(bb::pushSignature(kSecret, body) ==
        "sha256=" + bb::crypto::toHex(bb::crypto::hmacSha256(kSecret, body)));
}
