// The council information system end to end: the real `buergerbox serve` polls a local OParl
// server over HTTP on 127.0.0.1 (the curl client and the poller as `serve` wires them), serving
// the spec examples of tests/fixtures/oparl with their host rewritten to the loopback address.
// Each start polls once at once (oparl.first_poll_seconds = 0): the baseline with paging, then an
// update with modified_since after one HTTP 500, then deleted meetings; the results of a topic
// that sends at once reach a Telegram subscriber through a fake Bot API, the corrections too.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/server_database.hpp"
#include "support/server_process.hpp"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "123456789:AAoparl-loopback";
constexpr const char* kSecret = "oparl_loopback-secret";
constexpr std::int64_t kChat = 6200000077;

//! Serves the fixture set with "https://oparl.example.org" replaced by its own address.
class OParlServer {
public:
  enum class Phase { Update, Withdrawn };

  OParlServer() {
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
      if (fail_next_ > 0) {
        --fail_next_;
        res.status = 500;
        return;
      }
      const std::string name = fixtureFor(req);
      if (name.empty()) {
        res.status = 404;
        return;
      }
      res.set_content(rewritten(name), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~OParlServer() {
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }

  const std::string& base() const { return base_; }
  void set(Phase phase, int fail_next) {
    std::lock_guard lock(mutex_);
    phase_ = phase;
    fail_next_ = fail_next;
    requests_.clear();
  }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

private:
  std::string fixtureFor(const httplib::Request& req) const {
    const bool second_page = req.get_param_value("page") == "2";
    if (req.path == "/") { return "system.json"; }
    if (req.path == "/bodies") { return "bodies.json"; }
    if (req.path != "/body/0/meetings") { return {}; }
    if (!req.has_param("modified_since")) {
      return second_page ? "meetings-2.json" : "meetings-1.json";
    }
    if (phase_ == Phase::Withdrawn) { return "meetings-update-3.json"; }
    return second_page ? "meetings-update-2.json" : "meetings-update-1.json";
  }
  std::string rewritten(const std::string& name) const {
    std::string body = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/oparl/" + name);
    const std::string host = "https://oparl.example.org";
    for (auto at = body.find(host); at != std::string::npos; at = body.find(host, at)) {
      body.replace(at, host.size(), base_);
      at += base_.size();
    }
    return body;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string base_;
  std::mutex mutex_;
  Phase phase_ = Phase::Update;
  int fail_next_ = 0;
  std::vector<httplib::Request> requests_;
};

//! The Bot API as far as a subscriber needs it: every sendMessage recorded and answered.
class BotApi {
public:
  BotApi() {
    server_.Post(std::string("/bot") + kToken + R"(/(\w+))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mutex_);
                   json result = true;
                   if (req.matches[1] == "sendMessage") {
                     const json body = json::parse(req.body, nullptr, false);
                     texts_.push_back(body.is_object() ? body.value("text", "") : "");
                     result = {{"message_id", static_cast<int>(texts_.size())},
                               {"date", 1795000000},
                               {"chat", {{"id", kChat}, {"type", "private"}}}};
                   }
                   res.set_content(json{{"ok", true}, {"result", result}}.dump(),
                                   "application/json");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~BotApi() {
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }
  int port() const { return port_; }
  std::vector<std::string> texts() {
    std::lock_guard lock(mutex_);
    return texts_;
  }

private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> texts_;
};

struct Council {
  bb::test::TempDir dir;
  OParlServer oparl;
  BotApi bot;
  bb::test::ServerProcess server;
  std::int64_t next_update = 910000001;
  std::size_t log_from = 0;

  bb::test::ServerDatabase database;

  explicit Council(bb::test::Backend backend) : database(backend, dir.path() + "/db.sqlite") {
    // Only the Bauausschuss (organization 35) sends at once; its results go out unedited.
    const json topics = json::array(
        {{{"id", "bauausschuss"},
          {"label", {{"de", "Bauausschuss"}, {"en", "Building committee"}}},
          {"oparl_organizations", {oparl.base() + "/organization/35"}},
          {"send_at_once", true}},
         {{"id", "finanzausschuss"},
          {"label", {{"de", "Finanzausschuss"}, {"en", "Finance committee"}}},
          {"oparl_organizations", {oparl.base() + "/organization/34"}},
          {"send_at_once", false}}});
    bb::test::writeFile(dir.path() + "/topics.json", topics.dump());
  }

  void start() {
    log_from = server.log().size();  // the log of earlier runs stays in front
    std::map<std::string, std::string> env = {
        {"BUERGERBOX_SERVER_PORT", "0"},
        {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"},
        {"BUERGERBOX_WEBCHAT_ENABLED", "false"},
        {"BUERGERBOX_TELEGRAM_ENABLED", "true"},
        {"BUERGERBOX_TELEGRAM_MODE", "webhook"},
        {"BUERGERBOX_TELEGRAM_API_BASE", "http://127.0.0.1:" + std::to_string(bot.port())},
        {"BUERGERBOX_TELEGRAM_BOT_TOKEN", kToken},
        {"BUERGERBOX_TELEGRAM_SECRET_TOKEN", kSecret},
        {"BUERGERBOX_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"},
        {"BUERGERBOX_SUBSCRIPTIONS_TOPICS_FILE", dir.path() + "/topics.json"},
        {"BUERGERBOX_OPARL_URL", oparl.base() + "/"},
        {"BUERGERBOX_OPARL_FIRST_POLL_SECONDS", "0"},
        {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('5')},
        {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('6')},
    };
    env.merge(database.env());
    REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  }
  void stop() { CHECK(server.stop(SIGTERM) == 0); }

  std::int64_t scalar(const std::string& sql) { return database.scalar(sql); }
  //! The outbox as a failure's message shows it.
  std::string outboxRows() {
    std::string out = "outbox:\n";
    for (const auto& row : database.rows("SELECT id, status, tries, next_attempt_at, "
                                         "coalesce(error, '') FROM outbox ORDER BY id")) {
      for (const auto& column : row) { out += column + " "; }
      out += "\n";
    }
    return out;
  }
  template <typename Pred>
  void waitFor(Pred pred, const char* what, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                      what << ": " << outboxRows() << server.log());
      std::this_thread::sleep_for(50ms);
    }
  }
  //! The poll of this run finished (the poller logs one line per poll).
  void waitForPoll() {
    auto thisRun = [&] { return server.log().substr(std::min(log_from, server.log().size())); };
    waitFor([&] { return thisRun().find("event=oparl_poll ok=") != std::string::npos; },
            "no poll");
    REQUIRE_MESSAGE(thisRun().find("event=oparl_poll ok=1") != std::string::npos, thisRun());
  }

  void say(const std::string& text) {
    const json update = {
        {"update_id", next_update++},
        {"message",
         {{"message_id", 58173000 + next_update % 1000},
          {"date", 1795000000},
          {"from", {{"id", kChat}, {"is_bot", false}, {"first_name", "Hanna"}}},
          {"chat", {{"id", kChat}, {"type", "private"}, {"first_name", "Hanna"}}},
          {"text", text}}}};
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Post("/webhooks/telegram", {{"X-Telegram-Bot-Api-Secret-Token", kSecret}},
                           update.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    waitFor([&] {
      return scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0 &&
             scalar("SELECT count(*) FROM outbox WHERE status = 'queued'") == 0;
    }, "not settled");
  }

  //! Messages the subscriber got that contain `part`.
  int received(const std::string& part) {
    int n = 0;
    for (const auto& t : bot.texts()) { n += t.find(part) != std::string::npos ? 1 : 0; }
    return n;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("oparl end to end: the real server polls a loopback OParl server and a subscriber hears the results", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Council c(B::backend);

  // 1. First start: the baseline, the meeting list over two pages; nothing is announced.
  c.start();
  c.waitForPoll();
  bool second_page = false;
  for (const auto& r : c.oparl.requests()) {
    CHECK_FALSE(r.has_param("modified_since"));
    second_page = second_page || (r.path == "/body/0/meetings" && r.get_param_value("page") == "2");
  }
  CHECK(second_page);
  CHECK(c.scalar("SELECT count(*) FROM oparl_state WHERE key = 'last_sync'") == 1);
  CHECK(c.scalar("SELECT count(*) FROM bc_broadcasts") == 0);

  // A citizen subscribes to the Bauausschuss on Telegram.
  c.say("hallo");
  c.say("ja");
  c.say("abonnieren bauausschuss");
  REQUIRE(c.scalar("SELECT count(*) FROM sub_subscriptions WHERE topic = 'bauausschuss'") == 1);
  const std::size_t before = c.bot.texts().size();
  c.stop();

  // 2. Next start: the first request fails with HTTP 500, the poller tries again and asks only for
  //    what changed since the last sync (whole seconds), over two pages.
  c.oparl.set(OParlServer::Phase::Update, 1);
  c.start();
  c.waitForPoll();
  const auto asked = c.oparl.requests();
  REQUIRE(asked.size() >= 3);
  // The meeting list's URL is known from the first sync: its first try gets the 500, the retry
  // the same request.
  CHECK(asked[0].path == "/body/0/meetings");
  CHECK(asked[0].has_param("modified_since"));
  CHECK(asked[1].path == asked[0].path);
  CHECK(asked[1].get_param_value("modified_since") == asked[0].get_param_value("modified_since"));
  const std::string since = asked[0].get_param_value("modified_since");
  bool update_page_two = false;
  for (const auto& r : asked) {
    // The second page is the `next` link the server gave (the fixture's own query).
    update_page_two = update_page_two || (r.has_param("modified_since") &&
                                          r.get_param_value("page") == "2");
  }
  INFO(since);
  CHECK(std::regex_match(since, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2}))")));
  CHECK(update_page_two);
  // The Bauausschuss result and protocol went out at once; the Finanzausschuss ones wait as drafts.
  c.waitFor([&] { return c.received("Bebauungsplan Am Anger") == 1 && c.received("Protokoll") >= 1; },
            "the results did not reach the subscriber");
  CHECK(c.scalar("SELECT count(*) FROM bc_broadcasts WHERE status = 'draft'") == 3);
  CHECK(c.received("Neubau Grundschule Nord") == 0);     // Finanzausschuss: a draft, not sent
  CHECK(c.received("Grundstücksangelegenheit") == 0);    // not public: never broadcast
  const std::size_t told = c.bot.texts().size();
  CHECK(told == before + 2);
  c.stop();

  // 3. Next start: meetings 283 and 285 were deleted: the subscriber gets corrections, once.
  c.oparl.set(OParlServer::Phase::Withdrawn, 0);
  c.start();
  c.waitForPoll();
  c.waitFor([&] { return c.received("Korrektur") == 2; }, "no corrections");
  CHECK(c.bot.texts().size() == told + 2);
  c.stop();
}
