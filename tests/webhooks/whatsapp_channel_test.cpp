// The WhatsApp channel against the engine, in process: webhook routes (signature first, 401/413/
// 400/503, GET handshake), the outbox sender (24 h window, template, Graph error codes) and media
// jobs (download, clean, store or reject). HTTP goes to a scripted fake HttpClient.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bot/media/media_jobs.hpp"
#include "bot/outbox/outbox_worker.hpp"
#include "bot/conversation/citizen_message.hpp"
#include "bot/runtime/metrics.hpp"
#include "support/stores_of.hpp"
#include "web/inbox/views.hpp"
#include "support/engine_harness.hpp"
#include "support/log_capture.hpp"
#include "tests/support/openapi_validator.hpp"
#include "tests/webhooks/whatsapp_payloads.hpp"
#include "webhooks/whatsapp/channel.hpp"

namespace {

namespace wa = bb::webhooks::whatsapp;
namespace payload = bb::test::wa;
namespace openapi = bb::tests::openapi;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "test-app-secret";
constexpr const char* kVerifyToken = "verify-me";
const std::string kCitizen = "4915112345678";

wa::Settings settings() {
  wa::Settings s;
  s.api_base = "http://graph.test/v23.0";
  s.phone_number_id = payload::kPhoneNumberId;
  s.access_token = "EAAtoken";
  s.app_secret = kSecret;
  s.verify_token = kVerifyToken;
  s.template_name = "buergerbox_update";
  s.template_language = "de";
  return s;
}

const json& schemas() {
  static const json doc = [] {
    const std::string dir = std::string(BB_FIXTURE_DIR) + "/whatsapp/";
    json d = openapi::loadJsonFile(dir + "openapi_send_message_v23.json");
    const json addition = openapi::loadJsonFile(dir + "openapi_location_request_addition.json");
    json& s = d["components"]["schemas"];
    s["InteractiveObject"]["properties"]["type"]["enum"].push_back(addition["interactive_type"]);
    s["ActionObject"]["oneOf"].push_back(addition["action_branch"]);
    return d;
  }();
  return doc;
}

//! Records every call; answers from a script (default: accepted with a fresh wamid).
class FakeHttp final : public bb::HttpClient {
public:
  std::function<bb::HttpReply(const bb::HttpCall&)> script;
  std::vector<bb::HttpCall> calls;
  int next_id = 1;

  bb::HttpReply send(const bb::HttpCall& call) override {
    std::lock_guard lock(mutex_);
    calls.push_back(call);
    if (script) { return script(call); }
    return accepted();
  }
  bb::HttpReply accepted() {
    bb::HttpReply r;
    r.status = 200;
    r.body = json{{"messaging_product", "whatsapp"},
                  {"contacts", {{{"input", kCitizen}, {"wa_id", kCitizen}}}},
                  {"messages", {{{"id", "wamid.out" + std::to_string(next_id++)}}}}}
                 .dump();
    return r;
  }
  static bb::HttpReply graphError(int status, int code) {
    bb::HttpReply r;
    r.status = status;
    r.body = json{{"error", {{"message", "(#" + std::to_string(code) + ") error"},
                             {"type", "OAuthException"},
                             {"code", code},
                             {"fbtrace_id", "A"}}}}
                 .dump();
    return r;
  }
  //! Bodies of the message sends, each validated against Meta's schema.
  std::vector<json> sentBodies() {
    std::vector<json> out;
    for (const auto& c : calls) {
      if (c.method != "POST") { continue; }
      json body = json::parse(c.body, nullptr, false);
      REQUIRE(body.is_object());
      for (const auto& e : openapi::validate(schemas(), body, "#/components/schemas/Message")) {
        FAIL_CHECK("schema violation: " << e);
      }
      out.push_back(body);
    }
    return out;
  }

private:
  std::mutex mutex_;
};

//! Engine + WhatsApp routes + sender + outbox worker, all in process with a FakeClock.
struct Channel {
  wa::Settings config;
  bb::test::EngineHarness h;
  FakeHttp http;
  wa::Sender sender{config, http, *h.store, h.clock};
  bb::Metrics metrics;
  std::unique_ptr<bb::outbox::OutboxWorker> worker;
  std::vector<bb::Route> routes =
      wa::routes(config, [this](const auto& events) { return h.engine->ingest(events); },
                 64 * 1024);
  std::int64_t next_wamid = 1;

  explicit Channel(bb::test::Backend backend = bb::test::Backend::Sqlite,
                   wa::Settings s = settings())
      : config(std::move(s)), h(backend, 2) {
    bb::outbox::OutboxOptions o;
    o.channel = bb::Channel::WhatsApp;
    o.rate_per_second = 1000;
    o.recipient_interval = 0ms;
    o.retry_base = 1000ms;
    o.jitter_seed = 7;
    o.provider_id_hash = [this](const std::string& id) {  // as serve wires it
      return h.engine->providerIdHash(bb::Channel::WhatsApp, id);
    };
    worker = std::make_unique<bb::outbox::OutboxWorker>(
        *h.store, sender,
        [this](const std::string& ct, const std::string& key_id) {
          return h.engine->openAddress(ct, key_id);
        },
        h.clock, o, &metrics);
  }

  bb::HttpResponse call(const std::string& method, const std::string& body,
                        const std::string& signature) {
    bb::HttpRequest req;
    req.method = method;
    req.path = "/webhooks/whatsapp";
    req.body = body;
    if (!signature.empty()) { req.headers["x-hub-signature-256"] = signature; }
    for (const auto& r : routes) {
      if (r.method == method) { return r.handler(req); }
    }
    FAIL("no route");
    return {};
  }
  //! A signed POST of one message; waits until the engine processed it.
  int post(const json& message) {
    const std::string body = payload::envelope(kCitizen, json::array({message}));
    const int status = call("POST", body, payload::signature(body, kSecret)).status;
    REQUIRE(h.engine->waitIdle(10s));
    return status;
  }
  std::string wamid() { return "wamid.in" + std::to_string(next_wamid++); }
  std::int64_t ts() {
    return std::chrono::duration_cast<std::chrono::seconds>(h.clock.now().time_since_epoch())
        .count();
  }
  void drain() {
    for (int i = 0; i < 20; ++i) {
      h.clock.advance(10ms);
      if (worker->runOnce().attempted == 0) { break; }
    }
  }
  std::int64_t rows(const std::string& table) { return h.scalar("SELECT count(*) FROM " + table); }
};

}  // namespace

TEST_CASE("whatsapp: GET verification answers the challenge only for the right token") {
  Channel c;
  auto get = [&](const std::string& mode, const std::string& token) {
    bb::HttpRequest req;
    req.method = "GET";
    req.params = {{"hub.mode", mode}, {"hub.verify_token", token}, {"hub.challenge", "1158201444"}};
    return c.routes[0].handler(req);
  };
  const auto ok = get("subscribe", kVerifyToken);
  CHECK(ok.status == 200);
  CHECK(ok.body == "1158201444");
  CHECK(get("subscribe", "wrong").status == 403);
  CHECK(get("unsubscribe", kVerifyToken).status == 403);
  CHECK(get("subscribe", "").status == 403);
}

TEST_CASE_TEMPLATE("whatsapp: a bad or missing signature is 401 and nothing is stored", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const std::string body =
      payload::envelope(kCitizen, json::array({payload::textMessage(kCitizen, "wamid.A", 1, "Hi")}));
  CHECK(c.call("POST", body, "").status == 401);
  CHECK(c.call("POST", body, payload::signature(body, "other-secret")).status == 401);
  CHECK(c.call("POST", body + " ", payload::signature(body, kSecret)).status == 401);
  CHECK(c.call("POST", "not json", "sha256=zz").status == 401);  // not even parsed
  CHECK(c.rows("inbound_events") == 0);
  CHECK(c.rows("citizens") == 0);
  CHECK(c.call("POST", body, payload::signature(body, kSecret)).status == 200);
  CHECK(c.rows("inbound_events") == 1);
}

TEST_CASE_TEMPLATE("whatsapp: oversized bodies are 413, unparsable ones 400, storage outages 503", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const std::string big(64 * 1024 + 1, 'x');
  CHECK(c.call("POST", big, payload::signature(big, kSecret)).status == 413);
  const std::string broken = R"({"object":"whatsapp_business_account","entry":[)";
  CHECK(c.call("POST", broken, payload::signature(broken, kSecret)).status == 400);
  CHECK(c.rows("inbound_events") == 0);

  auto down = wa::routes(
      settings(),
      [](const std::vector<bb::InboundEvent>&) -> bb::Result<bb::IngestReport> {
        return bb::fail(bb::ErrorCode::Unavailable, "disk full");
      },
      64 * 1024);
  bb::HttpRequest req;
  req.method = "POST";
  req.body = payload::envelope(kCitizen, json::array({payload::textMessage(kCitizen, "w", 1, "x")}));
  req.headers["x-hub-signature-256"] = payload::signature(req.body, kSecret);
  CHECK(down[1].handler(req).status == 503);
}

TEST_CASE_TEMPLATE("whatsapp: a redelivered payload is 200 and changes nothing", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const auto m = payload::textMessage(kCitizen, "wamid.same", c.ts(), "Hallo");
  CHECK(c.post(m) == 200);
  c.drain();
  const auto sends = c.http.calls.size();
  const auto outbox = c.rows("outbox");
  CHECK(sends >= 1);
  CHECK(c.post(m) == 200);
  c.drain();
  CHECK(c.http.calls.size() == sends);
  CHECK(c.rows("outbox") == outbox);
  CHECK(c.rows("inbound_events") == 1);
}

TEST_CASE_TEMPLATE("whatsapp: an acknowledged webhook is a log line at debug level only", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  // At thousands of webhooks a second a line each would crowd out the warnings (and journald
  // drops lines past its rate limit); the request counters in /metrics count them instead.
  Channel c(B::backend);
  bb::test::LogCapture logs;
  bb::log::setLevel(bb::log::Level::Info);
  CHECK(c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo")) == 200);
  CHECK(logs.text().find("event=whatsapp_webhook") == std::string::npos);
  bb::log::setLevel(bb::log::Level::Debug);
  CHECK(c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo")) == 200);
  bb::log::setLevel(bb::log::Level::Info);
  CHECK(logs.text().find("event=whatsapp_webhook events=1 accepted=1 duplicates=0") !=
        std::string::npos);
}

namespace {

//! Consent, menu, a pothole report at the Marktplatz without a photo; returns the ticket number.
std::int64_t reportPothole(Channel& c) {
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "accept", "Zustimmen"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "report", "Schaden melden"));
  c.post(payload::listReply(kCitizen, c.wamid(), c.ts(), "cat:schlagloch", "Schlagloch"));
  c.post(payload::locationMessage(kCitizen, c.wamid(), c.ts(), bb::test::kMarktplatz.lat,
                                  bb::test::kMarktplatz.lon));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "skip", "Weiter"));
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "etwa 30 cm"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "skip", "Weiter"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "confirm", "Absenden"));
  return c.h.scalar("SELECT coalesce(max(number), 0) FROM tickets");
}

}  // namespace

TEST_CASE_TEMPLATE("whatsapp: outside the 24 h window a status update goes out as the template, the "
          "full text follows when the citizen writes", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const auto number = reportPothole(c);
  REQUIRE(number > 0);
  c.drain();
  c.http.calls.clear();

  c.h.clock.advance(25h);
  REQUIRE(c.h.engine->changeTicketStatus(number, "in_bearbeitung", "Trupp ist bestellt", "staff:t"));
  c.drain();
  auto bodies = c.http.sentBodies();
  REQUIRE(bodies.size() == 1);  // only the template, not the text
  CHECK(bodies[0]["type"] == "template");
  CHECK(bodies[0]["template"]["name"] == "buergerbox_update");
  CHECK(bodies[0]["template"]["language"]["code"] == "de");
  CHECK(bodies[0]["template"]["components"][0]["parameters"][0]["text"] == std::to_string(number));
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 1);

  // A second update while held: held too, no second template.
  c.h.clock.advance(1h);
  REQUIRE(c.h.engine->changeTicketStatus(number, "erledigt", "", "staff:t"));
  c.drain();
  CHECK(c.http.sentBodies().size() == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 2);

  // The citizen answers: both updates go out in order, then the reply to the new message.
  c.http.calls.clear();
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Was gibt es Neues?"));
  c.drain();
  bodies = c.http.sentBodies();
  REQUIRE(bodies.size() >= 3);
  CHECK(bodies[0]["type"] == "text");
  CHECK(bodies[0]["text"]["body"].get<std::string>().find("Trupp ist bestellt") !=
        std::string::npos);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 0);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'queued'") == 0);
}

TEST_CASE_TEMPLATE("whatsapp: a 131047 answer leads to the template and holds the text", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  const auto number = reportPothole(c);
  c.drain();
  c.http.calls.clear();
  bool refused = false;
  c.http.script = [&](const bb::HttpCall& call) {
    const json body = json::parse(call.body, nullptr, false);
    if (!refused && body.value("type", "") == "text") {
      refused = true;
      return FakeHttp::graphError(400, 131047);
    }
    return c.http.accepted();
  };
  // Inside our own window bookkeeping, but Meta says no.
  REQUIRE(c.h.engine->changeTicketStatus(number, "in_pruefung", "", "staff:t"));
  c.drain();
  const auto bodies = c.http.sentBodies();
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0]["type"] == "text");
  CHECK(bodies[1]["type"] == "template");
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held' AND error LIKE '131047%'") == 1);
}

TEST_CASE_TEMPLATE("whatsapp: Graph error codes decide: 130429 retries, 131026 unreachable, 131051 failed", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo"));
  int answers = 0;
  c.http.script = [&](const bb::HttpCall&) {
    return ++answers == 1 ? FakeHttp::graphError(400, 130429) : c.http.accepted();
  };
  c.worker->runOnce();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'queued' AND tries = 1") == 1);
  CHECK(c.worker->currentRate() == doctest::Approx(500));
  c.h.clock.advance(2s);
  c.worker->runOnce();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") == 1);

  c.http.script = [](const bb::HttpCall&) { return FakeHttp::graphError(400, 131026); };
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hilfe"));
  c.drain();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'failed' AND error = '131026'") == 1);
  CHECK(c.h.scalar("SELECT unreachable FROM citizens") == 1);

  c.http.script = [](const bb::HttpCall&) { return FakeHttp::graphError(400, 131051); };
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hilfe"));
  c.drain();
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'failed' AND error = '131051'") == 1);
}

TEST_CASE_TEMPLATE("whatsapp: delivery statuses update the outbox row of their wamid", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo"));
  c.drain();
  // The id our send got back is kept only as its keyed hash (bot/security/provider_id.hpp).
  const std::string stored = c.h.engine->providerIdHash(bb::Channel::WhatsApp, "wamid.out1");
  REQUIRE(c.h.scalar("SELECT count(*) FROM outbox WHERE provider_message_id = '" + stored + "'") ==
          1);
  const std::string body = payload::statusEnvelope("wamid.out1", "read", kCitizen, c.ts());
  CHECK(c.call("POST", body, payload::signature(body, kSecret)).status == 200);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE provider_message_id = '" + stored +
                   "' AND status = 'read'") == 1);
}

namespace {

class FakeFetcher final : public bb::media::MediaFetcher {
public:
  bb::media::FetchResult result;
  int calls = 0;
  bb::media::FetchResult fetch(const bb::MediaJob&) override {
    ++calls;
    return result;
  }
};

//! Drives a WhatsApp citizen to the photo step of a pothole report.
void toPhotoStep(Channel& c) {
  c.post(payload::textMessage(kCitizen, c.wamid(), c.ts(), "Hallo"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "accept", "Zustimmen"));
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "report", "Schaden melden"));
  c.post(payload::listReply(kCitizen, c.wamid(), c.ts(), "cat:schlagloch", "Schlagloch"));
  c.post(payload::locationMessage(kCitizen, c.wamid(), c.ts(), bb::test::kMarktplatz.lat,
                                  bb::test::kMarktplatz.lon));
}

}  // namespace

TEST_CASE_TEMPLATE("whatsapp: an image becomes a media job: cleaned, stored, row ready", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  bb::test::TempDir dir;
  bb::media::MediaStore media_store(dir.path() + "/media");
  FakeFetcher fetcher;
  fetcher.result.kind = bb::media::FetchResult::Kind::Ok;
  fetcher.result.bytes = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  REQUIRE(fetcher.result.bytes.size() > 1000);
  bb::media::MediaJobWorker jobs(
      *c.h.store, fetcher, media_store,
      [&](const bb::media::MediaOutcome& o) {
        return c.h.engine->ingestMediaOutcome(o.pseudonym, o.id, o.ready, o.content_id,
                                              o.mime_type, o.reason);
      },
      c.h.clock, bb::media::MediaJobOptions{});
  toPhotoStep(c);
  c.post(payload::imageMessage(kCitizen, c.wamid(), c.ts(), "1234567890"));
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'pending'") == 1);
  const auto report = jobs.runOnce();
  CHECK(report.ready == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'ready' AND "
                   "length(content_id) = 64") == 1);
  const std::string id = c.h.textOf("SELECT content_id FROM media");
  REQUIRE_FALSE(id.empty());
  auto stored = media_store.read(id);
  REQUIRE(stored.has_value());
  CHECK(stored->find("Exif") == std::string::npos);  // no APP1 EXIF (and so no GPS) block
  CHECK(jobs.runOnce().ready == 0);  // done once
}

TEST_CASE_TEMPLATE("whatsapp: an image that cannot be cleaned is rejected and the citizen is asked again", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  bb::test::TempDir dir;
  bb::media::MediaStore media_store(dir.path() + "/media");
  FakeFetcher fetcher;
  fetcher.result.kind = bb::media::FetchResult::Kind::Ok;
  fetcher.result.bytes = "GIF89a not an image we take";
  bb::media::MediaJobWorker jobs(
      *c.h.store, fetcher, media_store,
      [&](const bb::media::MediaOutcome& o) {
        return c.h.engine->ingestMediaOutcome(o.pseudonym, o.id, o.ready, o.content_id,
                                              o.mime_type, o.reason);
      },
      c.h.clock, bb::media::MediaJobOptions{});
  toPhotoStep(c);
  c.post(payload::imageMessage(kCitizen, c.wamid(), c.ts(), "999"));
  c.drain();
  c.http.calls.clear();
  CHECK(jobs.runOnce().rejected == 1);
  REQUIRE(c.h.engine->waitIdle(10s));
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'rejected'") == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM inbound_events WHERE external_id LIKE 'media-rejected:%'") ==
        1);
  c.drain();
  const auto bodies = c.http.sentBodies();
  REQUIRE(bodies.size() >= 1);
  const std::string asked = c.h.text("photo.rejected_format");  // the reason, in plain words
  std::string all;
  for (const auto& b : bodies) { all += b.dump(); }
  CHECK(all.find(json(asked).dump().substr(1, 20)) != std::string::npos);
  // The rejection does not count as the citizen writing (no window extension).
  CHECK(fetcher.calls == 1);
}

TEST_CASE_TEMPLATE("whatsapp: download failures retry with backoff, then the photo is rejected", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  bb::test::TempDir dir;
  bb::media::MediaStore media_store(dir.path() + "/media");
  FakeFetcher fetcher;
  fetcher.result.kind = bb::media::FetchResult::Kind::Retry;
  fetcher.result.error = "http_500";
  bb::media::MediaJobOptions o;
  o.max_tries = 3;
  o.retry_base = 1000ms;
  bb::media::MediaJobWorker jobs(
      *c.h.store, fetcher, media_store,
      [&](const bb::media::MediaOutcome& outcome) {
        return c.h.engine->ingestMediaOutcome(outcome.pseudonym, outcome.id, outcome.ready,
                                              outcome.content_id, outcome.mime_type,
                                              outcome.reason);
      },
      c.h.clock, o);
  toPhotoStep(c);
  c.post(payload::imageMessage(kCitizen, c.wamid(), c.ts(), "555"));
  CHECK(jobs.runOnce().retried == 1);
  CHECK(jobs.runOnce().retried == 0);  // not due yet
  c.h.clock.advance(1s);
  CHECK(jobs.runOnce().retried == 1);
  c.h.clock.advance(2s);
  CHECK(jobs.runOnce().rejected == 1);
  CHECK(fetcher.calls == 3);
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'rejected' AND "
                   "error LIKE 'download_failed:%'") == 1);
}

TEST_CASE("whatsapp: the media fetcher asks for the URL, then downloads with the bearer token") {
  FakeHttp http;
  http.script = [](const bb::HttpCall& call) {
    bb::HttpReply r;
    r.status = 200;
    if (call.url.find("/v23.0/777") != std::string::npos) {
      r.body = R"({"messaging_product":"whatsapp","url":"http://media.test/file/777","id":"777"})";
    } else {
      r.body = "JPEGBYTES";
    }
    return r;
  };
  wa::MediaFetcher fetcher(settings(), http);
  bb::MediaJob job;
  job.source_ref = "777";
  auto got = fetcher.fetch(job);
  CHECK(got.kind == bb::media::FetchResult::Kind::Ok);
  CHECK(got.bytes == "JPEGBYTES");
  REQUIRE(http.calls.size() == 2);
  CHECK(http.calls[1].url == "http://media.test/file/777");
  bool bearer = false;
  for (const auto& [k, v] : http.calls[1].headers) { bearer |= k == "Authorization" && v == "Bearer EAAtoken"; }
  CHECK(bearer);

  http.script = [](const bb::HttpCall&) { return FakeHttp::graphError(404, 100); };
  CHECK(fetcher.fetch(job).kind == bb::media::FetchResult::Kind::Reject);
  http.script = [](const bb::HttpCall&) { return FakeHttp::graphError(503, 2); };
  CHECK(fetcher.fetch(job).kind == bb::media::FetchResult::Kind::Retry);
}

namespace {

//! The media worker of these tests, wired to the engine as serve wires it.
bb::media::MediaNotifier notifierOf(Channel& c) {
  return [&c](const bb::media::MediaOutcome& o) {
    return c.h.engine->ingestMediaOutcome(o.pseudonym, o.id, o.ready, o.content_id, o.mime_type,
                                          o.reason);
  };
}

//! Everything sent to the citizen since the last call, as one string.
std::string sentText(Channel& c) {
  c.drain();
  std::string all;
  for (const auto& b : c.http.sentBodies()) { all += b.dump(); }
  c.http.calls.clear();
  return all;
}

bool says(const std::string& sent, const std::string& text) {
  return sent.find(json(text).dump().substr(1, 25)) != std::string::npos;
}

}  // namespace

TEST_CASE_TEMPLATE("whatsapp: a photo is counted and acknowledged only after it was cleaned and stored", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  bb::test::TempDir dir;
  bb::media::MediaStore media_store(dir.path() + "/media");
  FakeFetcher fetcher;
  fetcher.result.kind = bb::media::FetchResult::Kind::Ok;
  fetcher.result.bytes = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  bb::media::MediaJobWorker jobs(*c.h.store, fetcher, media_store, notifierOf(c), c.h.clock,
                                 bb::media::MediaJobOptions{});
  toPhotoStep(c);
  (void)sentText(c);
  json image = payload::imageMessage(kCitizen, c.wamid(), c.ts(), "1234567890");
  image["image"]["caption"] = "Loch vor Hausnummer 7";
  c.post(image);
  REQUIRE(c.h.engine->waitIdle(10s));
  // Received, not yet checked: nothing is said, the draft holds no photo (but the caption).
  CHECK(sentText(c).empty());
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'pending'") == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM conversations WHERE data LIKE '%photo_ids\":[\"%'") == 0);
  CHECK(jobs.runOnce().ready == 1);
  REQUIRE(c.h.engine->waitIdle(10s));
  const std::string sent = sentText(c);
  CHECK(sent.find("Foto 1 von ") != std::string::npos);
  CHECK(sent.find(" erhalten") != std::string::npos);
  CHECK(c.h.scalar("SELECT count(*) FROM inbound_events WHERE external_id LIKE 'media-ready:%'") ==
        1);
  CHECK(c.h.scalar("SELECT count(*) FROM conversations WHERE data LIKE '%photo_ids\":[\"%'") == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM conversations WHERE data LIKE "
                   "'%Loch vor Hausnummer 7%'") == 1);
  // The photo goes with the report.
  c.post(payload::buttonReply(kCitizen, c.wamid(), c.ts(), "done", "Fertig"));
  CHECK(jobs.runOnce().ready == 0);
}

TEST_CASE_TEMPLATE("whatsapp: an iPhone HEIC sent as a document is refused with 'please send it as JPEG'", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  bb::test::TempDir dir;
  bb::media::MediaStore media_store(dir.path() + "/media");
  FakeFetcher fetcher;
  fetcher.result.kind = bb::media::FetchResult::Kind::Ok;
  // A real HEIC (HEVC-coded, written by libheif's heif-enc; tests/fixtures/media/SOURCES.md).
  fetcher.result.bytes = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gradient.heic");
  REQUIRE(fetcher.result.bytes.substr(4, 8) == "ftypheic");
  bb::media::MediaJobWorker jobs(*c.h.store, fetcher, media_store, notifierOf(c), c.h.clock,
                                 bb::media::MediaJobOptions{});
  toPhotoStep(c);
  (void)sentText(c);
  json doc = payload::message(kCitizen, c.wamid(), c.ts(), "document");
  doc["document"] = {{"id", "777"}, {"mime_type", "image/heic"}, {"filename", "IMG_0001.HEIC"},
                     {"sha256", "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="}};
  c.post(doc);
  REQUIRE(c.h.engine->waitIdle(10s));
  CHECK(sentText(c).empty());  // not acknowledged before the check
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'pending'") == 1);
  CHECK(jobs.runOnce().rejected == 1);
  REQUIRE(c.h.engine->waitIdle(10s));
  const std::string sent = sentText(c);
  CHECK(says(sent, c.h.text("photo.rejected_heic")));
  CHECK(sent.find("JPEG") != std::string::npos);
  CHECK(sent.find(" erhalten") == std::string::npos);
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE status = 'rejected' AND "
                   "error = 'heic_unsupported'") == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM media WHERE content_id IS NOT NULL") == 0);
}

TEST_CASE_TEMPLATE("whatsapp: a document that is no image stays unsupported", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend);
  toPhotoStep(c);
  json doc = payload::message(kCitizen, c.wamid(), c.ts(), "document");
  doc["document"] = {{"id", "778"}, {"mime_type", "application/pdf"}, {"filename", "a.pdf"}};
  c.post(doc);
  REQUIRE(c.h.engine->waitIdle(10s));
  CHECK(c.h.scalar("SELECT count(*) FROM media") == 0);
}

// ---- issue 22: every held notice is announced by the catalogue's template of its own kind ----

namespace {

//! The settings of a city that uses the shipped template catalogue.
wa::Settings catalogueSettings() {
  wa::Settings s = settings();
  auto catalogue =
      bb::loadTemplateCatalogue(std::string(BB_SOURCE_DIR) + "/config/whatsapp_templates.json");
  REQUIRE(catalogue.has_value());
  s.templates = *catalogue;
  return s;
}

//! The template bodies among `bodies`.
std::vector<json> templatesIn(const std::vector<json>& bodies) {
  std::vector<json> out;
  for (const auto& b : bodies) {
    if (b.value("type", "") == "template") { out.push_back(b); }
  }
  return out;
}

std::vector<std::string> bodyParams(const json& tmpl) {
  std::vector<std::string> out;
  for (const auto& c : tmpl["template"]["components"]) {
    if (c["type"] != "body") { continue; }
    for (const auto& p : c["parameters"]) { out.push_back(p["text"].get<std::string>()); }
  }
  return out;
}

//! Text messages among `bodies` that contain `part`.
int textsWith(const std::vector<json>& bodies, const std::string& part) {
  int n = 0;
  for (const auto& b : bodies) {
    if (b.value("type", "") == "text" &&
        b["text"]["body"].get<std::string>().find(part) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE_TEMPLATE("whatsapp: held messages are announced by the template of their own kind, once per "
          "kind, and the button shows each exactly once", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend, catalogueSettings());
  const auto number = reportPothole(c);
  REQUIRE(number > 0);
  c.drain();
  c.http.calls.clear();

  c.h.clock.advance(25h);
  REQUIRE(c.h.engine->changeTicketStatus(number, "in_bearbeitung", "Trupp ist bestellt", "staff:t"));
  c.drain();
  auto bodies = c.http.sentBodies();  // each validated against Meta's OpenAPI description
  REQUIRE(bodies.size() == 1);
  const json& status = bodies[0];
  CHECK(status["template"]["name"] == "buergerbox_ticket_status");
  CHECK(status["template"]["language"]["code"] == "de");
  CHECK(bodyParams(status) == std::vector<std::string>{std::to_string(number), "in Bearbeitung"});
  const json& button = status["template"]["components"][1];
  CHECK(button["type"] == "button");
  CHECK(button["sub_type"] == "quick_reply");
  CHECK(button["parameters"][0]["payload"] == "show_held");
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held' AND "
                   "provider_message_id IS NOT NULL") == 1);  // the template's receipts find it

  // A message of another kind gets its own template; a second one of the same kind does not.
  REQUIRE(c.h.engine->changeTicketStatus(number, "erledigt", "Loch ist zu", "staff:t"));
  c.drain();
  CHECK(c.http.sentBodies().size() == 1);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 2);

  // The tap: every held text once, in order, and nothing else (no "not understood").
  c.http.calls.clear();
  c.post(payload::templateButton(kCitizen, c.wamid(), c.ts(), "show_held", "Nachricht anzeigen"));
  c.drain();
  bodies = c.http.sentBodies();
  REQUIRE(bodies.size() == 2);
  CHECK(textsWith(bodies, "Trupp ist bestellt") == 1);
  CHECK(textsWith(bodies, "Loch ist zu") == 1);
  CHECK(bodies[0]["text"]["body"].get<std::string>().find("Trupp") != std::string::npos);
  CHECK(c.h.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 0);

  // A second tap: one line that nothing is waiting, and the conversation is as it was.
  const std::string state_before = c.h.textOf("SELECT state FROM conversations");
  c.http.calls.clear();
  c.post(payload::templateButton(kCitizen, c.wamid(), c.ts(), "show_held", "Nachricht anzeigen"));
  c.drain();
  bodies = c.http.sentBodies();
  REQUIRE(bodies.size() == 1);
  CHECK(textsWith(bodies, "Es wartet keine weitere Nachricht") == 1);
  CHECK(c.h.textOf("SELECT state FROM conversations") == state_before);
}

TEST_CASE_TEMPLATE("whatsapp: a staff reply and a status change held together get one template each, in "
          "the citizen's language", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend, catalogueSettings());
  const auto number = reportPothole(c);
  c.h.execute("UPDATE citizens SET lang = 'en'");
  c.drain();
  c.http.calls.clear();
  c.h.clock.advance(30h);
  REQUIRE(c.h.engine->changeTicketStatus(number, "in_bearbeitung", "", "staff:t"));
  auto citizen = c.h.store->citizen(c.h.textOf("SELECT pseudonym FROM citizens"));
  REQUIRE((citizen && *citizen));
  const bb::NewOutbound reply =
      bb::CitizenMessage::staffReply(**citizen, number).text("We fixed it.").build();
  // As the inbox queues it (reply window closed: held for the template).
  bb::AuditEntry audit;
  audit.at = c.h.clock.now();
  audit.actor = "staff:t";
  audit.action = "reply";
  REQUIRE(bb::test::inboxStoreOf(c.h)->addStaffReply(number, reply, "We fixed it.", audit));
  c.drain();
  const auto templates = templatesIn(c.http.sentBodies());
  REQUIRE(templates.size() == 2);
  CHECK(templates[0]["template"]["name"] == "buergerbox_ticket_status");
  CHECK(templates[1]["template"]["name"] == "buergerbox_staff_message");
  CHECK(templates[1]["template"]["language"]["code"] == "en");
  CHECK(bodyParams(templates[1]) == std::vector<std::string>{std::to_string(number)});
  CHECK(c.metrics.render().find("buergerbox_outbox_hold_notices_total{channel=\"whatsapp\","
                                "template=\"buergerbox_staff_message\",result=\"sent\"} 1") !=
        std::string::npos);
}

TEST_CASE_TEMPLATE("whatsapp: a refused or undeliverable template keeps the message held with its reason, "
          "counted per template, shown to staff, never retried on its own", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  Channel c(B::backend, catalogueSettings());
  const auto number = reportPothole(c);
  c.drain();
  c.http.calls.clear();
  c.http.script = [&](const bb::HttpCall& call) {
    const json body = json::parse(call.body, nullptr, false);
    return body.value("type", "") == "template" ? FakeHttp::graphError(400, 132001)
                                                : c.http.accepted();
  };
  c.h.clock.advance(25h);
  REQUIRE(c.h.engine->changeTicketStatus(number, "in_bearbeitung", "", "staff:t"));
  for (int i = 0; i < 5; ++i) {
    c.h.clock.advance(1h);
    c.drain();
  }
  CHECK(c.http.calls.size() == 1);  // tried once, not again and again
  CHECK(c.h.textOf("SELECT status || ' ' || error FROM outbox WHERE status = 'held'") ==
        "held outside_window notice:132001");
  CHECK(bb::web::views::deliveryReasonLabel("outside_window notice:132001")
            .find("Vorlage fehlt in dieser Sprache") != std::string::npos);
  CHECK(c.metrics.render().find("template=\"buergerbox_ticket_status\",result=\"132001\"} 1") !=
        std::string::npos);

  // A template Meta accepted and later reports undeliverable (status webhook): recorded on the
  // held message, which stays held for the citizen's next message.
  c.http.script = nullptr;
  c.http.calls.clear();
  c.h.execute("UPDATE outbox SET status = 'queued', error = NULL WHERE status = 'held'");
  c.drain();
  const auto templates = templatesIn(c.http.sentBodies());
  REQUIRE(templates.size() == 1);
  const std::string tpl_wamid = "wamid.out" + std::to_string(c.http.next_id - 1);
  const std::string receipt = payload::statusEnvelope(tpl_wamid, "failed", kCitizen, c.ts(), 131050);
  CHECK(c.call("POST", receipt, payload::signature(receipt, kSecret)).status == 200);
  REQUIRE(c.h.engine->waitIdle(10s));
  CHECK(c.h.textOf("SELECT status || ' ' || error FROM outbox WHERE status = 'held'")
            .find("held outside_window notice:131050") == 0);
}
