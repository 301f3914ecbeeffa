// The forwarder's department queues on the fake clock: a back office that is down for hours,
// a department without a URL with a large backlog, and a department URL that never answers.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/serve/backoffice.hpp"
#include "bot/cases/forwarder.hpp"
#include "config/config.hpp"
#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

//! A migrated database of `backend` with the case store on it.
struct Queue {
  bb::test::TestStorage storage;
  bb::CaseStore* cases;
  bb::test::FakeClock clock;

  explicit Queue(bb::test::Backend backend = bb::test::Backend::Sqlite)
      : storage(backend), cases(&storage.caseStore()) {}

  //! Appends `n` entries of `department`, ticket numbers from `first_ticket` on, at clock.now().
  void add(const std::string& department, std::int64_t first_ticket, int n = 1) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         clock.now().time_since_epoch()).count();
    std::string rows;
    for (int i = 0; i < n; ++i) {
      const std::int64_t ticket = first_ticket + i;
      rows += (i == 0 ? "(" : ", (") + std::to_string(ticket) + ", '" + department +
              "', 'created', '" + json{{"ticket", ticket}}.dump() + "', " + std::to_string(now) +
              ")";
    }
    storage.execute("INSERT INTO case_queue (ticket_number, department, event_type, payload, "
                    "created_at) VALUES " + rows);
  }

  std::int64_t count(const std::string& where) {
    return storage.rowCount("case_queue WHERE " + where);
  }
};

//! A back office behind a switch: down answers like a refused connection; up records each
//! delivery (URL, delivery id, ticket) and answers 200.
class SwitchedOffice final : public bb::HttpClient {
public:
  struct Receipt {
    std::string url;
    std::int64_t delivery = 0;
    std::int64_t ticket = 0;
  };
  std::atomic<bool> down{false};

  bb::HttpReply send(const bb::HttpCall& call) override {
    bb::HttpReply r;
    if (down.load()) {
      r.status = 0;
      r.transport_error = "connection refused";
      return r;
    }
    const json body = json::parse(call.body);
    std::lock_guard lock(mutex_);
    receipts_.push_back({call.url, body.at("delivery_id").get<std::int64_t>(),
                         body.at("ticket").get<std::int64_t>()});
    r.status = 200;
    return r;
  }
  std::vector<Receipt> receipts() {
    std::lock_guard lock(mutex_);
    return receipts_;
  }

private:
  std::mutex mutex_;
  std::vector<Receipt> receipts_;
};

bb::ForwarderOptions defaults(const std::string& url) {
  bb::ForwarderOptions o;  // the service's defaults: backoff up to 15 min, dead after 24 h
  o.url = url;
  o.secret = "push-secret";
  o.jitter_seed = 11;
  return o;
}

}  // namespace

TEST_CASE_TEMPLATE("backoffice: a back office down for 2 hours loses nothing, everything arrives in order after", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Queue q(B::backend);
  SwitchedOffice office;
  bb::CaseForwarder fwd(*q.cases, office, q.clock, defaults("http://bo.example/in"));
  // Five tickets in two departments, three entries each (created, two updates).
  office.down = true;
  for (int round = 0; round < 3; ++round) {
    for (std::int64_t t = 1; t <= 5; ++t) { q.add(t % 2 == 0 ? "tiefbau" : "bauhof", t); }
    q.clock.advance(1min);
  }
  for (int minute = 0; minute < 120; ++minute) {
    (void)fwd.runOnce();
    q.clock.advance(1min);
  }
  CHECK(q.count("state = 'dead'") == 0);
  CHECK(q.count("state = 'pending' AND tries > 0") > 0);  // it really tried during the outage
  CHECK(office.receipts().empty());

  office.down = false;
  int minutes = 0;
  while (q.count("state = 'pending'") > 0 && minutes < 60) {
    (void)fwd.runOnce();
    q.clock.advance(1min);
    ++minutes;
  }
  CHECK(q.count("state = 'delivered'") == 15);
  CHECK(q.count("state = 'dead'") == 0);
  CHECK(minutes <= 16);  // the longest backoff is 15 minutes
  const auto receipts = office.receipts();
  REQUIRE(receipts.size() == 15);
  std::map<std::int64_t, std::vector<std::int64_t>> per_ticket;
  for (const auto& r : receipts) { per_ticket[r.ticket].push_back(r.delivery); }
  REQUIRE(per_ticket.size() == 5);
  for (const auto& [ticket, deliveries] : per_ticket) {
    INFO("ticket " << ticket);
    REQUIRE(deliveries.size() == 3);
    CHECK(std::is_sorted(deliveries.begin(), deliveries.end()));
  }
}

TEST_CASE_TEMPLATE("backoffice: after the total backoff time an entry is dead, and discarding it frees its ticket", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Queue q(B::backend);
  SwitchedOffice office;
  auto o = defaults("http://bo.example/in");
  o.give_up_after = 3h;
  bb::CaseForwarder fwd(*q.cases, office, q.clock, o);
  office.down = true;
  q.add("tiefbau", 7);
  q.add("tiefbau", 7);
  for (int minute = 0; minute < 200; ++minute) {
    (void)fwd.runOnce();
    q.clock.advance(1min);
  }
  CHECK(q.count("state = 'dead'") == 1);
  CHECK(q.count("state = 'pending' AND tries = 0") == 1);  // held back behind the dead one
  auto dead = q.cases->deadCaseEntries(10);
  REQUIRE(dead);
  REQUIRE(dead->size() == 1);
  CHECK_FALSE(q.cases->discardCaseEntry((*dead)[0].id + 1, q.clock.now()));  // not a dead one
  REQUIRE(q.cases->discardCaseEntry((*dead)[0].id, q.clock.now()));
  office.down = false;
  (void)fwd.runOnce();
  const auto receipts = office.receipts();
  REQUIRE(receipts.size() == 1);
  CHECK(receipts[0].delivery == (*dead)[0].id + 1);
  CHECK(q.count("state = 'discarded'") == 1);
}

TEST_CASE_TEMPLATE("backoffice: 500 entries of a department without a URL do not delay another department", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Queue q(B::backend);
  SwitchedOffice office;
  auto o = defaults("");
  o.department_urls["tiefbau"] = "http://tiefbau.example/in";
  bb::Metrics metrics;
  bb::registerUnroutedMetric(metrics, *q.cases, o);
  bb::CaseForwarder fwd(*q.cases, office, q.clock, o);
  q.add("ordnungsamt", 1000, 500);  // older than tiefbau's entry
  q.clock.advance(1s);
  q.add("tiefbau", 1);
  const auto pass = fwd.runOnce();
  CHECK(pass.delivered == 1);
  CHECK(pass.unrouted == 1);
  const auto receipts = office.receipts();
  REQUIRE(receipts.size() == 1);
  CHECK(receipts[0].url == "http://tiefbau.example/in");
  CHECK(receipts[0].ticket == 1);
  CHECK(q.count("department = 'ordnungsamt' AND state = 'pending' AND tries = 0") == 500);
  CHECK(metrics.render().find("buergerbox_backoffice_unrouted 500\n") != std::string::npos);
}

namespace {

//! A local socket that accepts connections (the kernel completes them) and never answers.
class SilentServer {
public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/in"; }

private:
  int fd_ = -1;
  int port_ = 0;
};

//! The real transport for the silent department, the recording office for the others.
class Split final : public bb::HttpClient {
public:
  Split(bb::HttpClient& real, bb::HttpClient& office, std::string silent_url)
      : real_(real), office_(office), silent_url_(std::move(silent_url)) {}
  bb::HttpReply send(const bb::HttpCall& call) override {
    if (call.url != silent_url_) { return office_.send(call); }
    hanging.fetch_add(1);
    auto reply = real_.send(call);
    hanging.fetch_sub(1);
    return reply;
  }
  std::atomic<int> hanging{0};

private:
  bb::HttpClient& real_;
  bb::HttpClient& office_;
  std::string silent_url_;
};

}  // namespace

TEST_CASE_TEMPLATE("backoffice: a department URL that never answers does not delay another department", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Queue q(B::backend);
  SilentServer silent;
  SwitchedOffice office;
  auto curl = bb::makeCurlHttpClient();
  Split http(*curl, office, silent.url());
  auto o = defaults("");
  o.department_urls["bauhof"] = silent.url();
  o.department_urls["tiefbau"] = "http://tiefbau.example/in";
  o.timeout = 4s;
  o.idle_poll = 20ms;
  q.add("bauhof", 1, 20);  // the older entries: the single-threaded forwarder took these first
  q.add("tiefbau", 100, 3);
  q.add("tiefbau", 100);   // a second entry of ticket 100: goes once the first is acknowledged
  bb::CaseForwarder fwd(*q.cases, http, q.clock, o);
  fwd.start();
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (office.receipts().size() < 4 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  const int hanging = http.hanging.load();
  fwd.stop();
  CHECK(office.receipts().size() == 4);
  CHECK(hanging == 1);  // tiefbau was served while bauhof's request was still waiting
  CHECK(q.count("department = 'tiefbau' AND state = 'delivered'") == 4);
  CHECK(q.count("department = 'bauhof' AND state = 'delivered'") == 0);
  // The silent department paid one timeout, not one per entry.
  CHECK(q.count("department = 'bauhof' AND tries > 0") == 1);
}

namespace {

//! The forwarder options `serve` builds from a demo config with these backoffice keys.
bb::ForwarderOptions fromConfig(const std::string& backoffice_keys) {
  const std::string text = R"({"demo": true, "backoffice": {"url": "http://bo.example/in")" +
                           backoffice_keys + "}}";
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BUERGERBOX_BACKOFFICE_SECRET") { return "push-secret"; }
    return std::nullopt;
  };
  auto files = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto loaded = bb::config::parseConfig(text, env, files);
  for (const auto& e : loaded.errors) { MESSAGE(e); }
  REQUIRE(loaded.ok());
  auto o = bb::app::forwarderOptions(loaded.config);
  o.jitter_seed = 11;
  return o;
}

//! Minutes of a back office that is down: one forwarder pass a minute.
void downFor(Queue& q, bb::CaseForwarder& fwd, int minutes) {
  for (int minute = 0; minute < minutes; ++minute) {
    (void)fwd.runOnce();
    q.clock.advance(1min);
  }
}

}  // namespace

TEST_CASE_TEMPLATE("backoffice: give_up_after_hours from the config decides when an entry is dead", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  SwitchedOffice office;
  office.down = true;
  {
    Queue q(B::backend);  // the default: 24 hours
    bb::CaseForwarder fwd(*q.cases, office, q.clock, fromConfig(""));
    q.add("tiefbau", 7);
    downFor(q, fwd, 90);
    CHECK(q.count("state = 'dead'") == 0);
    CHECK(q.count("state = 'pending' AND tries > 1") == 1);
  }
  {
    Queue q(B::backend);
    bb::CaseForwarder fwd(*q.cases, office, q.clock, fromConfig(R"(, "give_up_after_hours": 1)"));
    q.add("tiefbau", 7);
    downFor(q, fwd, 59);
    CHECK(q.count("state = 'dead'") == 0);  // not before the hour
    downFor(q, fwd, 31);
    CHECK(q.count("state = 'dead'") == 1);
  }
}

TEST_CASE_TEMPLATE("backoffice: retry_max_ms from the config caps the wait after an outage", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  // After 3 hours down the default waits up to 15 minutes between tries; 60 s from the config
  // brings every entry within about a minute of the back office's return.
  for (const auto& [keys, most_minutes] :
       std::vector<std::pair<std::string, int>>{{"", 16}, {R"(, "retry_max_ms": 60000)", 2}}) {
    CAPTURE(keys);
    Queue q(B::backend);
    SwitchedOffice office;
    bb::CaseForwarder fwd(*q.cases, office, q.clock, fromConfig(keys));
    office.down = true;
    for (std::int64_t t = 1; t <= 6; ++t) { q.add("tiefbau", t); }
    downFor(q, fwd, 180);
    office.down = false;
    int minutes = 0;
    while (q.count("state = 'pending'") > 0 && minutes < 60) {
      (void)fwd.runOnce();
      q.clock.advance(1min);
      ++minutes;
    }
    CHECK(q.count("state = 'delivered'") == 6);
    CHECK(minutes <= most_minutes);
    if (most_minutes == 16) { CHECK(minutes > 2); }  // the default really waits longer
  }
}

TEST_CASE("backoffice: photo_link_hours from the config is the validity of a photo link") {
  const bb::SysTime now = bb::SysTime(std::chrono::seconds(1'795'000'000));
  for (const auto& [keys, hours] :
       std::vector<std::pair<std::string, int>>{{"", 168}, {R"(, "photo_link_hours": 2)", 2}}) {
    CAPTURE(keys);
    const auto links = fromConfig(keys).photo_links;
    REQUIRE(links != nullptr);
    const auto link = links->link(1042, 311, now);
    CHECK(link.expires_at == now + std::chrono::hours(hours));
  }
}
