// The Telegram channel against the engine, in process: the webhook route (secret first, 401/413/
// 400/503), the poller (offset kept in the store, batches stored before the offset moves), the
// callback answerer, the outbox sender (429 retry_after, 403 unreachable, my_chat_member) and the
// media fetcher (getFile, download). HTTP goes to a scripted fake HttpClient.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bot/outbox/outbox_worker.hpp"
#include "storage/sqlite_channel_state.hpp"  // kTelegramOffsetCounter, the row both backends use
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"
#include "webhooks/telegram/channel.hpp"

namespace {

namespace tg = bb::webhooks::telegram;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "tg_secret-42";
constexpr std::int64_t kChat = 5000000001;  // over 32 bits on purpose

tg::Settings settings() {
  tg::Settings s;
  s.api_base = "http://tg.test";
  s.bot_token = "999:TOKEN";
  s.secret_token = kSecret;
  return s;
}

std::string method(const bb::HttpCall& call) { return call.url.substr(call.url.rfind('/') + 1); }

//! Records every call; answers from a script (default: ok with a fresh message_id).
class FakeHttp final : public bb::HttpClient {
public:
  std::function<bb::HttpReply(const bb::HttpCall&)> script;

  bb::HttpReply send(const bb::HttpCall& call) override {
    std::function<bb::HttpReply(const bb::HttpCall&)> s;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(call);
      s = script;
    }
    if (s) { return s(call); }
    return ok();
  }
  bb::HttpReply ok() {
    bb::HttpReply r;
    r.status = 200;
    std::lock_guard lock(mutex_);
    r.body = json{{"ok", true}, {"result", {{"message_id", next_id_++}, {"date", 1}}}}.dump();
    return r;
  }
  static bb::HttpReply error(int status, const std::string& description, int retry_after = 0) {
    bb::HttpReply r;
    r.status = status;
    json j = {{"ok", false}, {"error_code", status}, {"description", description}};
    if (retry_after > 0) { j["parameters"] = {{"retry_after", retry_after}}; }
    r.body = j.dump();
    return r;
  }
  std::vector<bb::HttpCall> calls(const std::string& name = {}) {
    std::lock_guard lock(mutex_);
    std::vector<bb::HttpCall> out;
    for (const auto& c : calls_) {
      if (name.empty() || method(c) == name) { out.push_back(c); }
    }
    return out;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    calls_.clear();
  }

private:
  std::mutex mutex_;
  std::vector<bb::HttpCall> calls_;
  int next_id_ = 1;
};

json textUpdate(std::int64_t update_id, const std::string& text) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", update_id},
            {"date", 1795000000},
            {"from", {{"id", kChat}, {"is_bot", false}, {"first_name", "Erika"}}},
            {"chat", {{"id", kChat}, {"type", "private"}, {"first_name", "Erika"}}},
            {"text", text}}}};
}

json callbackUpdate(std::int64_t update_id, const std::string& data, const std::string& id) {
  return {{"update_id", update_id},
          {"callback_query",
           {{"id", id},
            {"chat_instance", "-1"},
            {"from", {{"id", kChat}, {"is_bot", false}, {"first_name", "Erika"}}},
            {"message",
             {{"message_id", 1},
              {"date", 1795000000},
              {"chat", {{"id", kChat}, {"type", "private"}}}}},
            {"data", data}}}};
}

json kickedUpdate(std::int64_t update_id) {
  return {{"update_id", update_id},
          {"my_chat_member",
           {{"chat", {{"id", kChat}, {"type", "private"}}},
            {"from", {{"id", kChat}, {"is_bot", false}, {"first_name", "Erika"}}},
            {"date", 1795000000},
            {"old_chat_member", {{"status", "member"}, {"user", {{"id", 1}, {"is_bot", true}}}}},
            {"new_chat_member", {{"status", "kicked"}, {"user", {{"id", 1}, {"is_bot", true}}}}}}}};
}

//! Engine + Telegram route + sender + outbox worker + answerer, in process with a FakeClock.
struct Channel {
  bb::test::EngineHarness h;
  std::unique_ptr<bb::TelegramOffsetStore> offset_store = bb::test::telegramOffsetsOf(h);
  bb::TelegramOffsetStore& offsets = *offset_store;
  FakeHttp http;
  tg::CallbackAnswerer answerer{settings(), http};
  tg::Sender sender{settings(), http, *h.store};
  std::unique_ptr<bb::outbox::OutboxWorker> worker;
  std::vector<bb::Route> routes =
      tg::routes(settings(), [this](const auto& events) { return h.engine->ingest(events); },
                 &answerer, 64 * 1024);

  explicit Channel(bb::test::Backend backend = bb::test::Backend::Sqlite) : h(backend, 2) {
    bb::outbox::OutboxOptions o;
    o.channel = bb::Channel::Telegram;
    o.rate_per_second = 30;
    o.recipient_interval = 0ms;
    o.retry_base = 1000ms;
    o.max_tries = 3;
    o.jitter_seed = 7;
    worker = std::make_unique<bb::outbox::OutboxWorker>(
        *h.store, sender,
        [this](const std::string& ct, const std::string& key_id) {
          return h.engine->openAddress(ct, key_id);
        },
        h.clock, o);
  }

  bb::HttpResponse post(const std::string& body, const std::string& secret) {
    bb::HttpRequest req;
    req.method = "POST";
    req.path = "/webhooks/telegram";
    req.body = body;
    if (!secret.empty()) { req.headers["x-telegram-bot-api-secret-token"] = secret; }
    REQUIRE(routes.size() == 1);
    return routes[0].handler(req);
  }
  int update(const json& u) {
    const int status = post(u.dump(), kSecret).status;
    REQUIRE(h.engine->waitIdle(10s));
    return status;
  }
  void drain() {
    for (int i = 0; i < 20; ++i) {
      h.clock.advance(50ms);
      if (worker->runOnce().attempted == 0) { break; }
    }
  }
  std::int64_t rows(const std::string& table) { return h.scalar("SELECT count(*) FROM " + table); }
};

}  // namespace

TEST_CASE_TEMPLATE("telegram: a wrong or missing secret header is 401 and nothing is stored", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const std::string body = textUpdate(1, "Hallo").dump();
  CHECK(c.post(body, "").status == 401);
  CHECK(c.post(body, "tg_secret-4").status == 401);
  CHECK(c.post(body, "tg_secret-422").status == 401);
  CHECK(c.post(body, "TG_SECRET-42").status == 401);
  CHECK(c.post("not json", "wrong").status == 401);  // not even parsed
  CHECK(c.rows("inbound_events") == 0);
  CHECK(c.rows("citizens") == 0);
  CHECK(c.post(body, kSecret).status == 200);
  CHECK(c.rows("inbound_events") == 1);
  // A redelivery (same update_id) is 200 and stored once.
  CHECK(c.post(body, kSecret).status == 200);
  CHECK(c.rows("inbound_events") == 1);
}

TEST_CASE_TEMPLATE("telegram: oversized bodies are 413, unparsable ones 400, storage outages 503", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const std::string big(64 * 1024 + 1, ' ');
  CHECK(c.post(big, kSecret).status == 413);
  CHECK(c.post("{\"update_id\":", kSecret).status == 400);
  CHECK(c.rows("inbound_events") == 0);
  // An update type the bot does not use is acknowledged, and nothing is stored.
  CHECK(c.post(R"({"update_id": 77, "channel_post": {"message_id": 1}})", kSecret).status == 200);
  CHECK(c.rows("inbound_events") == 0);

  tg::CallbackAnswerer answerer{settings(), c.http};
  auto down = tg::routes(
      settings(),
      [](const std::vector<bb::InboundEvent>&) -> bb::Result<bb::IngestReport> {
        return bb::fail(bb::ErrorCode::Unavailable, "disk full");
      },
      &answerer, 64 * 1024);
  bb::HttpRequest req;
  req.method = "POST";
  req.body = callbackUpdate(2, "accept", "cb-down").dump();
  req.headers["x-telegram-bot-api-secret-token"] = kSecret;
  CHECK(down[0].handler(req).status == 503);
  answerer.drainForTest();
  CHECK(c.http.calls("answerCallbackQuery").empty());  // not stored: not answered either
}

TEST_CASE_TEMPLATE("telegram: every callback query is answered, known data or not", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.update(textUpdate(10, "Hallo"));
  c.update(callbackUpdate(11, "accept", "cb-1"));
  c.update(callbackUpdate(12, "no-such-choice", "cb-2"));
  c.update(callbackUpdate(12, "no-such-choice", "cb-2"));  // redelivered: answered again, harmless
  c.answerer.drainForTest();
  const auto answers = c.http.calls("answerCallbackQuery");
  REQUIRE(answers.size() == 3);
  CHECK(json::parse(answers[0].body)["callback_query_id"] == "cb-1");
  CHECK(json::parse(answers[1].body)["callback_query_id"] == "cb-2");
  CHECK(c.rows("inbound_events") == 3);
}

TEST_CASE_TEMPLATE("telegram: replies go out as sendMessage with inline keyboards to the chat", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.update(textUpdate(20, "Hallo"));
  c.drain();
  const auto sends = c.http.calls("sendMessage");
  REQUIRE_FALSE(sends.empty());
  const json b = json::parse(sends.back().body);
  CHECK(b["chat_id"] == kChat);
  CHECK(b["reply_markup"].contains("inline_keyboard"));
  CHECK(b.dump().find("\"callback_data\":\"accept\"") != std::string::npos);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") >= 1);
}

TEST_CASE_TEMPLATE("telegram: 429 waits retry_after, 5xx retries, bounded tries end as dead letter", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  int answers = 0;
  c.http.script = [&](const bb::HttpCall& call) {
    if (method(call) != "sendMessage") { return c.http.ok(); }
    return ++answers == 1 ? FakeHttp::error(429, "Too Many Requests: retry after 7", 7)
                          : c.http.ok();
  };
  c.update(textUpdate(30, "Hallo"));
  c.worker->runOnce();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'queued' AND tries = 1") == 1);
  c.h.clock.advance(6s);
  c.worker->runOnce();
  CHECK(answers == 1);  // not before retry_after
  c.h.clock.advance(4s);
  c.worker->runOnce();
  CHECK(answers == 2);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") == 1);

  c.http.script = [](const bb::HttpCall&) { return FakeHttp::error(502, "Bad Gateway"); };
  c.update(textUpdate(31, "Hilfe"));
  for (int i = 0; i < 10; ++i) {
    c.h.clock.advance(60s);
    c.worker->runOnce();
  }
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'dead' AND tries = 3") == 1);
}

TEST_CASE_TEMPLATE("telegram: a 403 'bot was blocked' fails the row and marks the citizen unreachable", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.update(textUpdate(40, "Hallo"));
  c.http.script = [](const bb::HttpCall&) {
    return FakeHttp::error(403, "Forbidden: bot was blocked by the user");
  };
  c.drain();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'failed' AND error = 'http_403'") ==
        1);
  CHECK(c.h.scalar("SELECT unreachable FROM citizens") == 1);
}

TEST_CASE_TEMPLATE("telegram: my_chat_member 'kicked' marks the citizen unreachable, nothing more is sent", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.update(textUpdate(50, "Hallo"));
  c.drain();
  CHECK(c.h.scalar("SELECT unreachable FROM citizens") == 0);
  c.update(kickedUpdate(51));
  CHECK(c.h.scalar("SELECT unreachable FROM citizens") == 1);
  // A message queued for them (here: a reply to an older event) is not sent.
  c.http.clear();
  bb::OutboundMessage m;
  m.text = "Status";
  bb::OutboxRow row;
  row.channel = bb::Channel::Telegram;
  row.pseudonym = c.h.pseudonym(std::to_string(kChat), bb::Channel::Telegram);
  auto opened = c.sender.send(row, std::to_string(kChat), m);
  CHECK(opened.kind == bb::outbox::SendResult::Kind::Unreachable);
  CHECK(c.http.calls().empty());
}

TEST_CASE_TEMPLATE("telegram: the poller stores each batch, then keeps the offset in the store", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  std::deque<json> batches = {json::array({textUpdate(100, "Hallo"),
                                           callbackUpdate(101, "accept", "cb-p")}),
                              json::array()};
  std::vector<json> requests;
  c.http.script = [&](const bb::HttpCall& call) {
    if (method(call) != "getUpdates") { return c.http.ok(); }
    requests.push_back(json::parse(call.body));
    bb::HttpReply r;
    r.status = 200;
    json result = json::array();
    if (!batches.empty()) {
      result = batches.front();
      batches.pop_front();
    }
    r.body = json{{"ok", true}, {"result", result}}.dump();
    return r;
  };
  tg::PollerOptions o;
  o.timeout_s = 0;
  {
    tg::Poller poller(settings(), c.http, c.offsets,
                      [&](const auto& events) { return c.h.engine->ingest(events); }, &c.answerer,
                      o);
    CHECK(poller.pollOnce());
    REQUIRE(c.h.engine->waitIdle(10s));
    CHECK(poller.pollOnce());
  }
  REQUIRE(requests.size() == 2);
  CHECK_FALSE(requests[0].contains("offset"));
  CHECK(requests[0]["allowed_updates"].size() == 4);
  CHECK(requests[1]["offset"] == 102);
  CHECK(c.rows("inbound_events") == 2);
  CHECK(c.h.store->counter(bb::storage::kTelegramOffsetCounter).value() == 102);
  c.answerer.drainForTest();
  CHECK(c.http.calls("answerCallbackQuery").size() == 1);

  // A restart reads the offset back; the same updates again are duplicates, stored once.
  batches = {json::array({textUpdate(100, "Hallo"), textUpdate(102, "Neu")})};
  tg::Poller again(settings(), c.http, c.offsets,
                   [&](const auto& events) { return c.h.engine->ingest(events); }, &c.answerer, o);
  CHECK(again.pollOnce());
  CHECK(requests.back()["offset"] == 102);
  REQUIRE(c.h.engine->waitIdle(10s));
  CHECK(c.rows("inbound_events") == 3);
  CHECK(c.h.store->counter(bb::storage::kTelegramOffsetCounter).value() == 103);
}

TEST_CASE_TEMPLATE("telegram: a batch the poller cannot store is fetched again (offset unchanged)", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.http.script = [&](const bb::HttpCall&) {
    bb::HttpReply r;
    r.status = 200;
    r.body = json{{"ok", true}, {"result", json::array({textUpdate(200, "x")})}}.dump();
    return r;
  };
  tg::PollerOptions o;
  o.timeout_s = 0;
  tg::Poller poller(
      settings(), c.http, c.offsets,
      [](const std::vector<bb::InboundEvent>&) -> bb::Result<bb::IngestReport> {
        return bb::fail(bb::ErrorCode::Unavailable, "disk full");
      },
      &c.answerer, o);
  CHECK_FALSE(poller.pollOnce());
  CHECK_FALSE(poller.pollOnce());
  const auto polls = c.http.calls("getUpdates");
  REQUIRE(polls.size() == 2);
  CHECK_FALSE(json::parse(polls[1].body).contains("offset"));
  CHECK(c.h.store->counter(bb::storage::kTelegramOffsetCounter).value() == 0);
  // A failed poll (transport) is false, too.
  c.http.script = [](const bb::HttpCall&) { return bb::HttpReply{}; };
  CHECK_FALSE(poller.pollOnce());
}

TEST_CASE("telegram: the media fetcher asks getFile for the path, then downloads the file") {
  FakeHttp http;
  http.script = [&](const bb::HttpCall& call) {
    bb::HttpReply r;
    r.status = 200;
    if (method(call) == "getFile") {
      r.body = R"({"ok":true,"result":{"file_id":"F","file_unique_id":"U","file_size":5,
                  "file_path":"photos/file_1.jpg"}})";
    } else {
      r.body = "JPEG!";
    }
    return r;
  };
  tg::MediaFetcher fetcher(settings(), http);
  bb::MediaJob job;
  job.id = 1;
  job.channel = bb::Channel::Telegram;
  job.source_ref = "AgACAgIAAx";
  auto got = fetcher.fetch(job);
  CHECK(got.kind == bb::media::FetchResult::Kind::Ok);
  CHECK(got.bytes == "JPEG!");
  const auto calls = http.calls();
  REQUIRE(calls.size() == 2);
  CHECK(json::parse(calls[0].body)["file_id"] == "AgACAgIAAx");
  CHECK(calls[1].url == "http://tg.test/file/bot999:TOKEN/photos/file_1.jpg");

  SUBCASE("over 20 MB is rejected without a download") {
    http.script = [](const bb::HttpCall&) {
      bb::HttpReply r;
      r.status = 200;
      r.body = R"({"ok":true,"result":{"file_id":"F","file_size":20971521}})";
      return r;
    };
    http.clear();
    auto big = fetcher.fetch(job);
    CHECK(big.kind == bb::media::FetchResult::Kind::Reject);
    CHECK(big.error == "too_large");
    CHECK(http.calls().size() == 1);
  }
  SUBCASE("an unknown file id is rejected; 5xx and transport errors retry") {
    http.script = [](const bb::HttpCall&) {
      return FakeHttp::error(400, "Bad Request: invalid file_id");
    };
    CHECK(fetcher.fetch(job).kind == bb::media::FetchResult::Kind::Reject);
    http.script = [](const bb::HttpCall&) { return FakeHttp::error(502, "Bad Gateway"); };
    CHECK(fetcher.fetch(job).kind == bb::media::FetchResult::Kind::Retry);
    http.script = [](const bb::HttpCall&) { return bb::HttpReply{}; };
    CHECK(fetcher.fetch(job).kind == bb::media::FetchResult::Kind::Retry);
  }
}
