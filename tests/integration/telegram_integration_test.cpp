// Issue 8, end to end: the real `buergerbox serve` (port 0) against a local fake Bot API, in both
// ingestion modes. Webhook mode: the test POSTs updates with the secret header. Polling mode: the
// fake answers getUpdates with queued updates. Every call the server makes is recorded: replies
// (inline keyboards with the right callback_data, the location keyboard), answerCallbackQuery
// for every callback, getFile + the file download for the photo. The ticket and the cleaned
// photo are checked in the server's own database (SQLite or PostgreSQL: each runs on both) and media folder.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/privacy_checks.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "123456789:AAintegration-token";
constexpr const char* kSecret = "integration_secret-token";
constexpr std::int64_t kChat = 6200000042;  // over 32 bits on purpose
constexpr const char* kFileId = "AgACAgIAAxkBAAIBintegration";
constexpr const char* kSecondFileId = "AgACAgIAAxkBAAIBsecondphoto";  // DSCN0012

//! A fake Bot API: records every call, answers like Telegram, queues updates for getUpdates.
class FakeBotApi {
public:
  struct Call {
    std::string method;
    json body;
  };

  FakeBotApi() {
    jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
    second_jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0012.jpg");
    const std::string prefix = std::string("/bot") + kToken + "/";
    server_.Post(prefix + R"((\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.matches[1];
      json body = json::parse(req.body, nullptr, false);
      if (name == "getUpdates") {
        answerUpdates(body, res);
        return;
      }
      std::lock_guard lock(mutex_);
      calls_.push_back({name, body});
      json result = true;
      if (name == "sendMessage") {
        result = {{"message_id", ++message_id_},
                  {"date", 1795000000},
                  {"chat", {{"id", kChat}, {"type", "private"}}},
                  {"text", body.value("text", "")}};
      } else if (name == "getFile") {
        result = {{"file_id", body.value("file_id", "")},
                  {"file_unique_id", "AQADintegration"},
                  {"file_size", jpeg_.size()},
                  {"file_path", body.value("file_id", "") == kSecondFileId
                                    ? "photos/file_12.jpg" : "photos/file_7.jpg"}};
      }
      res.set_content(json{{"ok", true}, {"result", result}}.dump(), "application/json");
    });
    server_.Get(std::string("/file/bot") + kToken + R"(/photos/file_(\d+)\.jpg)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  calls_.push_back({"download", json()});
                  res.set_content(req.matches[1] == "12" ? second_jpeg_ : jpeg_, "image/jpeg");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeBotApi() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    cv_.notify_all();
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }

  int port() const { return port_; }
  void queue(const json& update) {
    {
      std::lock_guard lock(mutex_);
      updates_.push_back(update);
    }
    cv_.notify_all();
  }
  int lastMessageId() {
    std::lock_guard lock(mutex_);
    return message_id_;
  }
  std::vector<Call> calls(const std::string& name = {}) {
    std::lock_guard lock(mutex_);
    std::vector<Call> out;
    for (const auto& c : calls_) {
      if (name.empty() || c.method == name) { out.push_back(c); }
    }
    return out;
  }
  std::vector<json> pollRequests() {
    std::lock_guard lock(mutex_);
    return polls_;
  }
  std::size_t pendingUpdates() {
    std::lock_guard lock(mutex_);
    return updates_.size();
  }

private:
  //! getUpdates: confirms everything below `offset`, then long-polls for at most `timeout` s.
  void answerUpdates(const json& body, httplib::Response& res) {
    std::unique_lock lock(mutex_);
    polls_.push_back(body);
    const std::int64_t offset = body.is_object() ? body.value("offset", std::int64_t{0}) : 0;
    while (!updates_.empty() && updates_.front()["update_id"].get<std::int64_t>() < offset) {
      updates_.pop_front();
    }
    const int timeout = body.is_object() ? body.value("timeout", 0) : 0;
    cv_.wait_for(lock, std::chrono::seconds(timeout), [this] {
      return closing_ || !updates_.empty();
    });
    json result = json::array();
    for (const auto& u : updates_) { result.push_back(u); }
    res.set_content(json{{"ok", true}, {"result", result}}.dump(), "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string jpeg_;
  std::string second_jpeg_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool closing_ = false;
  std::vector<Call> calls_;
  std::vector<json> polls_;
  std::deque<json> updates_;
  // Distinctive values, so the privacy scan can look for them in the database files.
  int message_id_ = 60931000;
};

struct Run {
  Run(std::string mode_name, bb::test::Backend on) : mode(std::move(mode_name)), backend(on) {}

  std::string mode;
  bb::test::Backend backend;
  bb::test::TempDir dir;
  FakeBotApi api;
  bb::test::ServerProcess server;
  std::int64_t next_update = 900000001;
  std::vector<std::string> wire_ids;  //!< message ids the citizen's updates carried
  int callbacks = 0;

  bb::test::ServerDatabase database{backend, dir.path() + "/db.sqlite"};
  std::string mediaDir() const { return dir.path() + "/media"; }

  void start() {
    std::map<std::string, std::string> env = {
        {"BUERGERBOX_SERVER_PORT", "0"},
        {"BUERGERBOX_STORAGE_MEDIA_DIR", mediaDir()},
        {"BUERGERBOX_WEBCHAT_ENABLED", "false"},
        {"BUERGERBOX_TELEGRAM_ENABLED", "true"},
        {"BUERGERBOX_TELEGRAM_MODE", mode},
        {"BUERGERBOX_TELEGRAM_API_BASE", "http://127.0.0.1:" + std::to_string(api.port())},
        {"BUERGERBOX_TELEGRAM_BOT_TOKEN", kToken},
        {"BUERGERBOX_TELEGRAM_SECRET_TOKEN", kSecret},
        {"BUERGERBOX_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"},
        {"BUERGERBOX_TELEGRAM_RETRY_BASE_MS", "200"},
        {"BUERGERBOX_TELEGRAM_POLL_TIMEOUT_S", "1"},
        {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('3')},
        {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('4')},
        {"BUERGERBOX_LOG_LEVEL", "debug"},  // the privacy scan reads the most verbose log
    };
    env.merge(database.env());
    REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  }

  json envelope(json message) {
    message["message_id"] = 58172000 + next_update % 1000;
    // (Update ids are the bot's own sequence, not the citizen's; the polling offset keeps one.)
    wire_ids.push_back(std::to_string(message["message_id"].get<std::int64_t>()));
    message["date"] = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    message["from"] = {{"id", kChat}, {"is_bot", false}, {"first_name", "Erika"},
                       {"language_code", "de"}};
    message["chat"] = {{"id", kChat}, {"type", "private"}, {"first_name", "Erika"}};
    return {{"update_id", next_update++}, {"message", std::move(message)}};
  }
  json text(const std::string& t) { return envelope({{"text", t}}); }
  json location(double lat, double lon) {
    return envelope({{"location", {{"latitude", lat}, {"longitude", lon},
                                   {"horizontal_accuracy", 8.5}}}});
  }
  json photo(const std::string& big_file_id = kFileId) {
    return envelope({{"photo", json::array({{{"file_id", "AgACsmall"},
                                             {"file_unique_id", "s"},
                                             {"width", 90},
                                             {"height", 67}},
                                            {{"file_id", big_file_id},
                                             {"file_unique_id", "b"},
                                             {"width", 1280},
                                             {"height", 960}}})}});
  }
  json callback(const std::string& data) {
    ++callbacks;
    return {{"update_id", next_update++},
            {"callback_query",
             {{"id", "cbq" + std::to_string(callbacks)},
              {"chat_instance", "-5512345"},
              {"from", {{"id", kChat}, {"is_bot", false}, {"first_name", "Erika"}}},
              {"message",
               {{"message_id", 1},
                {"date", 1795000000},
                {"chat", {{"id", kChat}, {"type", "private"}}}}},
              {"data", data}}}};
  }

  int post(const std::string& body, const std::string& secret) {
    httplib::Client client("127.0.0.1", server.port());
    httplib::Headers headers;
    if (!secret.empty()) { headers.emplace("X-Telegram-Bot-Api-Secret-Token", secret); }
    auto res = client.Post("/webhooks/telegram", headers, body, "application/json");
    REQUIRE(res);
    return res->status;
  }

  //! Delivers one update in the run's mode and waits until it was handled end to end.
  void say(const json& update) {
    const auto events_before = scalar("SELECT count(*) FROM inbound_events");
    if (mode == "webhook") {
      CHECK(post(update.dump(), kSecret) == 200);
    } else {
      api.queue(update);
      waitFor([&] { return scalar("SELECT count(*) FROM inbound_events") > events_before; },
              "update not polled");
    }
    settle();
  }

  std::int64_t scalar(const std::string& sql) { return database.scalar(sql); }
  std::string textOf(const std::string& sql) { return database.text(sql); }
  template <typename Pred>
  void waitFor(Pred pred, const char* what, std::chrono::seconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, what << ": " << server.log());
      std::this_thread::sleep_for(20ms);
    }
  }
  //! Every event processed, no message waiting, no media job pending, every callback answered.
  void settle() {
    waitFor(
        [&] {
          return scalar(bb::test::kUnsettledSql) == 0 &&
                 static_cast<int>(api.calls("answerCallbackQuery").size()) == callbacks;
        },
        "not settled");
  }
  json lastSent() {
    const auto sends = api.calls("sendMessage");
    REQUIRE_FALSE(sends.empty());
    return sends.back().body;
  }
};

//! True when some sendMessage so far offered an inline button with `data`.
bool offered(FakeBotApi& api, const std::string& data, std::size_t from = 0) {
  const auto sends = api.calls("sendMessage");
  for (std::size_t i = from; i < sends.size(); ++i) {
    const json& kb = sends[i].body["reply_markup"];
    if (!kb.is_object() || !kb.contains("inline_keyboard")) { continue; }
    for (const auto& row : kb["inline_keyboard"]) {
      CHECK(row.size() <= 3);
      for (const auto& b : row) {
        if (b.value("callback_data", "") == data) { return true; }
      }
    }
  }
  return false;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) { return out; }
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) { out += buf.data(); }
  pclose(pipe);
  return out;
}

//! The whole report, the same in both modes.
void defectReport(Run& r) {
  std::size_t mark = 0;
  auto step = [&](const json& update, const std::string& expect_offer) {
    mark = r.api.calls("sendMessage").size();
    r.say(update);
    if (!expect_offer.empty()) {
      std::string sent;  // what the citizen saw instead, for the failure message
      const auto sends = r.api.calls("sendMessage");
      for (std::size_t i = mark; i < sends.size(); ++i) { sent += sends[i].body.dump() + "\n"; }
      CHECK_MESSAGE(offered(r.api, expect_offer, mark), "no button " << expect_offer << " in\n"
                                                                     << sent);
    }
  };
  step(r.text("/start"), "accept");
  step(r.callback("accept"), "report");
  step(r.callback("report"), "cat:schlagloch");
  step(r.callback("cat:schlagloch"), "");
  {
    const json kb = r.lastSent()["reply_markup"];
    REQUIRE(kb.contains("keyboard"));
    CHECK(kb["keyboard"][0][0]["request_location"] == true);
    CHECK(kb["one_time_keyboard"] == true);
    CHECK(kb["resize_keyboard"] == true);
  }
  step(r.location(48.0777, 11.9706), "");
  step(r.photo(), "done");
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 1);
  step(r.photo(kSecondFileId), "done");
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 2);
  step(r.callback("done"), "");
  step(r.text("etwa 30 cm breit"), "");  // the category's extra question
  step(r.text("Tiefes Loch vor der Apotheke"), "confirm");
  step(r.callback("confirm"), "");

  REQUIRE(r.scalar("SELECT count(*) FROM tickets") == 1);
  const auto number = r.scalar("SELECT number FROM tickets");
  CHECK(r.scalar("SELECT channel = 'telegram' FROM tickets") == 1);
  CHECK(r.scalar("SELECT count(*) FROM ticket_photos") == 2);
  CHECK(r.lastSent()["text"].get<std::string>().find(std::to_string(number)) != std::string::npos);

  // Every reply went to the chat as an exact 64-bit integer; every callback was answered once.
  for (const auto& c : r.api.calls("sendMessage")) {
    CHECK(c.body["chat_id"] == kChat);
    CHECK_FALSE(c.body["text"].get<std::string>().empty());
  }
  const auto answers = r.api.calls("answerCallbackQuery");
  REQUIRE(answers.size() == static_cast<std::size_t>(r.callbacks));
  for (int i = 0; i < r.callbacks; ++i) {
    CHECK(answers[static_cast<std::size_t>(i)].body["callback_query_id"] ==
          "cbq" + std::to_string(i + 1));
  }
  // The photo came through getFile (largest size) and the file download.
  const auto files = r.api.calls("getFile");
  REQUIRE(files.size() == 2);
  CHECK(files[0].body["file_id"] == kFileId);
  CHECK(files[1].body["file_id"] == kSecondFileId);
  CHECK(r.api.calls("download").size() == 2);
  // Both camera photos are stored without GPS, make, model or time (exiftool -a -G1).
  for (int i = 0; i < 2; ++i) {
    const std::string content_id =
        r.textOf("SELECT content_id FROM media ORDER BY id LIMIT 1 OFFSET " + std::to_string(i));
    const std::string stored =
        r.mediaDir() + "/" + content_id.substr(0, 2) + "/" + content_id + ".jpg";
    REQUIRE(std::filesystem::exists(stored));
    CHECK(bb::test::identifyingTags(stored) == std::vector<std::string>{});
  }

  // The log never carries the token, the secret or the chat id.
  const std::string log = bb::test::logWithoutTimestamps(r.server.log());
  CHECK(log.find("AAintegration-token") == std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find(std::to_string(kChat)) == std::string::npos);

  // Privacy scan: the raw database files (WAL included) hold neither the chat id nor the
  // first name nor a message id (ours or the citizen's), raw or base64; the debug
  // log none of those, no message text and no coordinate.
  std::vector<std::string> ids = r.wire_ids;
  for (int id = 60931001; id <= r.api.lastMessageId(); ++id) { ids.push_back(std::to_string(id)); }
  CHECK(ids.size() > 10);
  ids.push_back(std::to_string(kChat));
  ids.push_back("Erika");
  const std::vector<std::string> identifiers = bb::test::identifierNeedles(ids);
  CHECK(bb::test::leaksInFiles(r.database.filesToScan(), identifiers) ==
        std::vector<std::string>{});
  CHECK(log.find("level=debug") != std::string::npos);
  std::vector<std::string> needles = identifiers;
  for (const char* s : {"etwa 30 cm breit", "Tiefes Loch vor der Apotheke", "48.0777", "11.9706",
                        "48.077", "11.970"}) {
    needles.emplace_back(s);
  }
  CHECK(bb::test::leaksInText(log, needles) == std::vector<std::string>{});
}

}  // namespace

TEST_CASE_TEMPLATE("telegram: a whole defect report through the real server in webhook mode", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r("webhook", B::backend);
  r.start();

  // Wrong or missing secret: 401, nothing stored.
  const std::string forged = r.text("Hallo").dump();
  CHECK(r.post(forged, "") == 401);
  CHECK(r.post(forged, "integration_secret-tokeN") == 401);
  CHECK(r.scalar("SELECT count(*) FROM inbound_events") == 0);
  CHECK(r.post("{", kSecret) == 400);

  defectReport(r);
  CHECK(r.api.pollRequests().empty());  // webhook mode never polls

  // A redelivered update changes nothing.
  const auto sends = r.api.calls("sendMessage").size();
  const json again = r.text("noch einmal");
  r.say(again);
  const auto after_first = r.api.calls("sendMessage").size();
  CHECK(after_first > sends);
  CHECK(r.post(again.dump(), kSecret) == 200);
  r.settle();
  CHECK(r.api.calls("sendMessage").size() == after_first);
  CHECK(r.server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("telegram: a whole defect report through the real server in polling mode", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r("polling", B::backend);
  r.start();
  defectReport(r);

  // The poller asked for the right update types, moved its offset and long-polled.
  r.waitFor(
      [&] {
        const auto p = r.api.pollRequests();
        return !p.empty() && p.back().value("offset", std::int64_t{0}) == r.next_update;
      },
      "offset not confirmed");
  const auto polls = r.api.pollRequests();
  CHECK(polls.back()["allowed_updates"] ==
        json::array({"message", "edited_message", "callback_query", "my_chat_member"}));
  CHECK(polls.back()["timeout"] == 1);
  CHECK(polls.back()["offset"] == r.next_update);
  CHECK(r.scalar("SELECT value FROM counters WHERE name = 'telegram_update_offset'") ==
        r.next_update);
  CHECK(r.api.calls("setWebhook").empty());
  std::chrono::milliseconds took{0};
  CHECK(r.server.stop(SIGTERM, &took) == 0);
  CHECK(took < 5s);

  // After a restart the offset comes from the database: nothing is read twice.
  const auto events = r.scalar("SELECT count(*) FROM inbound_events");
  const auto polls_before = r.api.pollRequests().size();
  r.start();
  r.waitFor([&] { return r.api.pollRequests().size() > polls_before; }, "no poll after restart");
  CHECK(r.api.pollRequests()[polls_before]["offset"] == r.next_update);
  r.say(r.text("status"));
  CHECK(r.scalar("SELECT count(*) FROM inbound_events") == events + 1);
  CHECK(r.server.stop(SIGTERM) == 0);
}

TEST_CASE("telegram: set-webhook registers the URL with secret_token and allowed_updates") {
  FakeBotApi api;
  const std::string env = std::string("BUERGERBOX_TELEGRAM_API_BASE=http://127.0.0.1:") +
                          std::to_string(api.port()) + " BUERGERBOX_TELEGRAM_BOT_TOKEN='" + kToken +
                          "' BUERGERBOX_TELEGRAM_SECRET_TOKEN='" + kSecret + "' ";
  const std::string cd = std::string("cd '") + BB_SOURCE_DIR + "' && ";
  const std::string out = run(cd + env + "'" + BB_BINARY +
                              "' telegram set-webhook https://stadt.example/webhooks/telegram "
                              "--config config/demo.json 2>&1");
  CHECK(out.find("set-webhook: ok") != std::string::npos);
  CHECK(out.find("AAintegration-token") == std::string::npos);
  const auto calls = api.calls("setWebhook");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].body["url"] == "https://stadt.example/webhooks/telegram");
  CHECK(calls[0].body["secret_token"] == kSecret);
  CHECK(calls[0].body["allowed_updates"] ==
        json::array({"message", "edited_message", "callback_query", "my_chat_member"}));

  const std::string removed =
      run(cd + env + "'" + BB_BINARY + "' telegram delete-webhook --config config/demo.json 2>&1");
  CHECK(removed.find("delete-webhook: ok") != std::string::npos);
  CHECK(api.calls("deleteWebhook").size() == 1);
  // Without a secret the webhook is not registered: anyone could post updates otherwise.
  const std::string refused = run(cd + "BUERGERBOX_TELEGRAM_BOT_TOKEN=x '" + BB_BINARY +
                                  "' telegram set-webhook https://a.example/ --config "
                                  "config/demo.json 2>&1; echo rc=$?");
  CHECK(refused.find("rc=2") != std::string::npos);
  CHECK(api.calls("setWebhook").size() == 1);
}
