// Issue 4, end to end: the real `buergerbox serve` (port 0) against a local fake Graph API.
// A whole defect report arrives as signed webhook POSTs; every request the server sends is
// recorded by the fake and validated against Meta's OpenAPI description; the ticket and the
// cleaned photo are checked in the server's own database (SQLite file or PostgreSQL, each test runs
// on both) and media folder.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/privacy_checks.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"
#include "tests/integration/whatsapp_openapi.hpp"
#include "tests/support/openapi_validator.hpp"
#include "tests/webhooks/whatsapp_payloads.hpp"

namespace {

namespace payload = bb::test::wa;
namespace openapi = bb::tests::openapi;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "integration-app-secret";
constexpr const char* kToken = "EAAintegration";
const std::string kCitizen = "4917612345678";
const std::string kSecondPhotoId = "1479537139650012";

const json& schemas() { return bb::test::whatsappSendSchemas(); }

//! A fake Graph API: records every request, answers like Meta, can be told to refuse sends.
class FakeGraph {
public:
  struct Request {
    std::string method;
    std::string path;
    std::string authorization;
    std::string body;
  };

  FakeGraph() {
    jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
    second_jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0012.jpg");
    server_.Post(R"(/v23.0/(\d+)/messages)", [this](const httplib::Request& req,
                                                    httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back({req.method, req.path, req.get_header_value("Authorization"), req.body});
      if (!refusals_.empty()) {
        const int code = refusals_.front();
        refusals_.pop_front();
        refused_.push_back(req.body);
        res.status = 400;
        res.set_content(json{{"error", {{"message", "(#" + std::to_string(code) + ") refused"},
                                        {"type", "OAuthException"},
                                        {"code", code},
                                        {"fbtrace_id", "Atrace"}}}}
                            .dump(),
                        "application/json");
        return;
      }
      // The id of a sent message holds the recipient's number, as the Graph API's ids do.
      const json sent_body = json::parse(req.body, nullptr, false);
      const std::string to = sent_body.is_object() ? sent_body.value("to", "") : "";
      const std::string wamid =
          bb::test::realisticWamid(to, static_cast<unsigned>(0x9A3CA5 + ++sent_), true);
      accepted_.push_back(req.body);
      sent_ids_.push_back(wamid);
      res.set_content(json{{"messaging_product", "whatsapp"},
                           {"contacts", {{{"input", kCitizen}, {"wa_id", kCitizen}}}},
                           {"messages", {{{"id", wamid}}}}}
                          .dump(),
                      "application/json");
    });
    server_.Get(R"(/v23.0/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back({req.method, req.path, req.get_header_value("Authorization"), ""});
      const std::string id = req.matches[1];
      res.set_content(json{{"messaging_product", "whatsapp"},
                           {"url", "http://127.0.0.1:" + std::to_string(port_) + "/media/" + id},
                           {"mime_type", "image/jpeg"},
                           {"file_size", std::to_string(jpeg_.size())},
                           {"id", id}}
                          .dump(),
                      "application/json");
    });
    server_.Get(R"(/media/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back({req.method, req.path, req.get_header_value("Authorization"), ""});
      if (req.get_header_value("Authorization") != std::string("Bearer ") + kToken) {
        res.status = 401;  // Meta: "If you omit your token, the request will fail."
        return;
      }
      // Media id ...0012 is the second camera photo (DSCN0012), every other id the first.
      const std::string id = req.matches[1];
      res.set_content(id == kSecondPhotoId ? second_jpeg_ : jpeg_, "image/jpeg");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeGraph() {
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }

  int port() const { return port_; }
  void refuseNext(int code) {
    std::lock_guard lock(mutex_);
    refusals_.push_back(code);
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> sentIds() {
    std::lock_guard lock(mutex_);
    return sent_ids_;
  }
  std::size_t refusedCount() {
    std::lock_guard lock(mutex_);
    return refused_.size();
  }

private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string jpeg_;
  std::string second_jpeg_;
  std::mutex mutex_;
  std::vector<Request> requests_;
  std::vector<std::string> accepted_;
  std::vector<std::string> sent_ids_;
  std::vector<std::string> refused_;
  std::deque<int> refusals_;
  int sent_ = 0;
};

struct Run {
  bb::test::TempDir dir;
  FakeGraph graph;
  bb::test::ServerProcess server;
  std::vector<std::string> posted;  //!< every webhook body, for the redelivery check
  int next_wamid = 1;
  std::vector<std::string> inbound_ids;  //!< every wamid the citizen's messages carried

  bb::test::ServerDatabase database;

  explicit Run(bb::test::Backend backend) : database(backend, dir.path() + "/db.sqlite") {}

  std::string mediaDir() const { return dir.path() + "/media"; }

  void start() {
    std::map<std::string, std::string> env = {
        {"BUERGERBOX_SERVER_PORT", "0"},
        {"BUERGERBOX_STORAGE_MEDIA_DIR", mediaDir()},
        {"BUERGERBOX_WEBCHAT_ENABLED", "false"},
        {"BUERGERBOX_WHATSAPP_ENABLED", "true"},
        {"BUERGERBOX_WHATSAPP_API_BASE",
         "http://127.0.0.1:" + std::to_string(graph.port()) + "/v23.0"},
        {"BUERGERBOX_WHATSAPP_PHONE_NUMBER_ID", payload::kPhoneNumberId},
        {"BUERGERBOX_WHATSAPP_APP_SECRET", kSecret},
        {"BUERGERBOX_WHATSAPP_VERIFY_TOKEN", "integration-verify"},
        {"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kToken},
        {"BUERGERBOX_WHATSAPP_RECIPIENT_INTERVAL_MS", "0"},
        {"BUERGERBOX_WHATSAPP_RETRY_BASE_MS", "200"},
        {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('1')},
        {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('2')},
        {"BUERGERBOX_LOG_LEVEL", "debug"},  // the privacy scan reads the most verbose log
    };
    env.merge(database.env());
    REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  }

  std::int64_t ts() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::string wamid() {
    inbound_ids.push_back(
        bb::test::realisticWamid(kCitizen, static_cast<unsigned>(0x4A6599 + next_wamid++)));
    return inbound_ids.back();
  }

  int postBody(const std::string& body, const std::string& signature) {
    httplib::Client client("127.0.0.1", server.port());
    httplib::Headers headers = {{"X-Hub-Signature-256", signature}};
    auto res = client.Post("/webhooks/whatsapp", headers, body, "application/json");
    REQUIRE(res);
    return res->status;
  }
  //! Posts one signed message and waits until it was processed and its replies went out.
  void say(const json& message) {
    const std::string body = payload::envelope(kCitizen, json::array({message}));
    posted.push_back(body);
    CHECK(postBody(body, payload::signature(body, kSecret)) == 200);
    settle();
  }

  std::int64_t scalar(const std::string& sql) { return database.scalar(sql); }
  std::string text(const std::string& sql) { return database.text(sql); }
  //! Polls until every event is processed, no message waits and no media job is pending.
  void settle(std::chrono::seconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const bool idle = scalar(bb::test::kUnsettledSql) == 0;
      if (idle) { return; }
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "not settled: " << server.log());
      std::this_thread::sleep_for(20ms);
    }
  }
  //! The last accepted message body.
  json lastSent() {
    const auto all = graph.accepted();
    REQUIRE_FALSE(all.empty());
    return json::parse(all.back());
  }
};

//! True when `body` offers a button or list row with `id`.
bool offers(const json& body, const std::string& id) {
  const std::string dumped = body.dump();
  return dumped.find("\"id\":\"" + id + "\"") != std::string::npos;
}


}  // namespace

TEST_CASE_TEMPLATE("whatsapp: a whole defect report through the real server and a fake Graph API", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r(B::backend);
  r.start();

  // Verification handshake.
  {
    httplib::Client client("127.0.0.1", r.server.port());
    auto ok = client.Get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=integration-verify"
        "&hub.challenge=1158201444");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->body == "1158201444");
    auto bad = client.Get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
    REQUIRE(bad);
    CHECK(bad->status == 403);
  }
  // A forged POST: 401, nothing stored.
  {
    const std::string body =
        payload::envelope(kCitizen, json::array({payload::textMessage(kCitizen, "wamid.x", 1, "x")}));
    CHECK(r.postBody(body, payload::signature(body, "wrong")) == 401);
    CHECK(r.scalar("SELECT count(*) FROM inbound_events") == 0);
    // Over server.max_body_bytes (4 MiB): 413 from the HTTP layer.
    const std::string big(4 * 1024 * 1024 + 10, ' ');
    CHECK(r.postBody(big, payload::signature(big, kSecret)) == 413);
    CHECK(r.postBody("{", payload::signature("{", kSecret)) == 400);
  }

  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "Hallo"));
  CHECK(offers(r.lastSent(), "accept"));
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "accept", "Einverstanden"));
  CHECK(offers(r.lastSent(), "report"));
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "report", "Schaden melden"));
  CHECK(offers(r.lastSent(), "cat:schlagloch"));
  r.say(payload::listReply(kCitizen, r.wamid(), r.ts(), "cat:schlagloch", "Schlagloch"));
  CHECK(r.lastSent()["interactive"]["type"] == "location_request_message");
  r.say(payload::locationMessage(kCitizen, r.wamid(), r.ts(), 48.0777, 11.9706));
  r.say(payload::imageMessage(kCitizen, r.wamid(), r.ts(), "1479537139650973"));
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 1);
  CHECK(offers(r.lastSent(), "done"));
  r.say(payload::imageMessage(kCitizen, r.wamid(), r.ts(), kSecondPhotoId));
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 2);
  CHECK(offers(r.lastSent(), "done"));
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "done", "Fertig"));
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "etwa 30 cm breit"));  // extra question
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "Tiefes Loch vor der Apotheke"));
  CHECK(offers(r.lastSent(), "confirm"));
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "confirm", "Absenden"));

  // The ticket exists, with the photo, and the citizen got its number.
  REQUIRE(r.scalar("SELECT count(*) FROM tickets") == 1);
  const auto number = r.scalar("SELECT number FROM tickets");
  CHECK(r.scalar("SELECT count(*) FROM ticket_photos") == 2);
  CHECK(r.scalar("SELECT channel = 'whatsapp' FROM tickets") == 1);
  CHECK(r.lastSent().dump().find(std::to_string(number)) != std::string::npos);

  // Every request went to the fake with the bearer token; every send body is valid per Meta.
  const auto requests = r.graph.requests();
  CHECK(requests.size() >= 12);
  int media_gets = 0;
  for (const auto& q : requests) {
    CHECK(q.authorization == std::string("Bearer ") + kToken);
    if (q.method == "GET") { ++media_gets; }
    if (q.method != "POST") { continue; }
    CHECK(q.path == std::string("/v23.0/") + payload::kPhoneNumberId + "/messages");
    const json body = json::parse(q.body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body["to"] == kCitizen);
    for (const auto& e : openapi::validate(schemas(), body, "#/components/schemas/Message")) {
      FAIL_CHECK("schema violation: " << e << " in " << body["type"]);
    }
  }
  CHECK(media_gets == 4);  // per photo: GET /{media-id}, then GET url

  // The stored photos are the cleaned ones: no GPS, make, model or time (the originals have all).
  for (const char* original : {"gps_DSCN0010.jpg", "gps_DSCN0012.jpg"}) {
    CHECK(bb::test::identifyingTags(std::string(BB_FIXTURE_DIR) + "/media/" + original).size() > 10);
  }
  for (int i = 0; i < 2; ++i) {
    const std::string content_id =
        r.text("SELECT content_id FROM media ORDER BY id LIMIT 1 OFFSET " + std::to_string(i));
    const std::string stored =
        r.mediaDir() + "/" + content_id.substr(0, 2) + "/" + content_id + ".jpg";
    REQUIRE(std::filesystem::exists(stored));
    CHECK(bb::test::identifyingTags(stored) == std::vector<std::string>{});
  }

  // Redelivery of every payload of the conversation changes nothing.
  const auto sends_before = r.graph.accepted().size();
  const auto outbox_before = r.scalar("SELECT count(*) FROM outbox");
  const auto events_before = r.scalar("SELECT count(*) FROM inbound_events");
  for (const auto& body : r.posted) {
    CHECK(r.postBody(body, payload::signature(body, kSecret)) == 200);
  }
  r.settle();
  CHECK(r.scalar("SELECT count(*) FROM inbound_events") == events_before);
  CHECK(r.scalar("SELECT count(*) FROM outbox") == outbox_before);
  CHECK(r.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(r.graph.accepted().size() == sends_before);

  // A 130429 answer: the sender slows down and the message still arrives.
  r.graph.refuseNext(130429);
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "status " + std::to_string(number)));
  CHECK(r.graph.refusedCount() == 1);
  CHECK(r.graph.accepted().size() == sends_before + 1);
  CHECK(r.lastSent().dump().find(std::to_string(number)) != std::string::npos);
  CHECK(r.server.log().find("event=outbox_slow_down") != std::string::npos);
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE status = 'dead' OR status = 'failed'") == 0);

  // A 131047 answer: the template goes out and the text waits for the citizen's next message.
  r.graph.refuseNext(131047);
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "status " + std::to_string(number)));
  json tmpl = r.lastSent();
  CHECK(tmpl["type"] == "template");
  CHECK(tmpl["template"]["name"] == "buergerbox_update");
  CHECK(tmpl["template"]["components"][0]["parameters"][0]["text"] == std::to_string(number));
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 1);
  const auto before_answer = r.graph.accepted().size();
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "menu", "Menü"));
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE status = 'held'") == 0);
  const auto after = r.graph.accepted();
  REQUIRE(after.size() >= before_answer + 2);  // the held text first, then the new reply
  CHECK(after[before_answer].find(std::to_string(number)) != std::string::npos);

  // The log never carries the citizen's number, the token or the secret.
  const std::string log = bb::test::logWithoutTimestamps(r.server.log());
  CHECK(log.find(kCitizen) == std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);

  // A delivery receipt finds its row through the keyed hash of the id.
  const auto sent_ids = r.graph.sentIds();
  REQUIRE_FALSE(sent_ids.empty());
  const std::string receipt =
      payload::statusEnvelope(sent_ids.back(), "delivered", kCitizen, r.ts());
  CHECK(r.postBody(receipt, payload::signature(receipt, kSecret)) == 200);
  r.settle();
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE status = 'delivered'") == 1);
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE length(provider_message_id) = 64") >= 10);

  // Privacy scan: the raw database files, WAL included, hold neither the number nor the
  // profile name nor any message id (each one carries the number), raw or base64; the debug
  // log holds none of those, no message text and no coordinate.
  std::vector<std::string> ids = r.inbound_ids;
  ids.insert(ids.end(), sent_ids.begin(), sent_ids.end());
  ids.push_back(kCitizen);
  ids.push_back("Test Person");
  const std::vector<std::string> identifiers = bb::test::identifierNeedles(ids);
  const auto stored_files = r.database.filesToScan();
  CHECK(bb::test::leaksInFiles(stored_files, identifiers) == std::vector<std::string>{});
  // The scan reads what was stored: the ticket's description is there, on either backend.
  CHECK(bb::test::leaksInFiles(stored_files, {"Tiefes Loch vor der Apotheke"}).size() >= 1);
  CHECK(r.server.log().find("level=debug") != std::string::npos);
  std::vector<std::string> log_needles = identifiers;
  for (const char* s : {"Hallo", "etwa 30 cm breit", "Tiefes Loch vor der Apotheke", "48.0777",
                        "11.9706", "48.077", "11.970"}) {
    log_needles.emplace_back(s);
  }
  CHECK(bb::test::leaksInText(bb::test::logWithoutTimestamps(r.server.log()), log_needles) == std::vector<std::string>{});
  CHECK(r.server.stop(SIGTERM) == 0);
  // After the shutdown checkpoint too.
  CHECK(bb::test::leaksInFiles(r.database.filesToScan(), identifiers) ==
        std::vector<std::string>{});
  CHECK(bb::test::leaksInText(bb::test::logWithoutTimestamps(r.server.log()), log_needles) == std::vector<std::string>{});
}

TEST_CASE_TEMPLATE("whatsapp: a typed \"Marienplatz 1\" becomes a ticket with coordinates and a district", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r(B::backend);
  r.start();  // config/demo.json: the Ebersberg demo gazetteer is imported at start
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "Hallo"));
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "Ja bitte"));
  CHECK(offers(r.lastSent(), "report"));
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "report", "Schaden melden"));
  r.say(payload::listReply(kCitizen, r.wamid(), r.ts(), "cat:schlagloch", "Schlagloch"));
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "marienplatz 1"));
  CHECK(offers(r.lastSent(), "skip"));  // the photo step: the address was found
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "skip", "Überspringen"));
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "1"));  // extra question: a size
  r.say(payload::textMessage(kCitizen, r.wamid(), r.ts(), "Tiefes Loch"));
  const json summary = r.lastSent();
  CHECK(offers(summary, "confirm"));
  CHECK(summary.dump().find("Marienplatz 1, 85560 Ebersberg") != std::string::npos);
  r.say(payload::buttonReply(kCitizen, r.wamid(), r.ts(), "confirm", "Absenden"));

  REQUIRE(r.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(r.scalar("SELECT abs(lat - 48.0777) < 0.0001 AND abs(lon - 11.9706) < 0.0001 "
                 "FROM tickets") == 1);
  CHECK(r.text("SELECT district_id FROM tickets") == "kernstadt");
  CHECK(r.text("SELECT address_text FROM tickets") == "Marienplatz 1, 85560 Ebersberg");
  CHECK(r.text("SELECT extra_answer FROM tickets") == "1");
  // Neither the typed address nor the coordinates reach the log.
  CHECK(r.server.log().find("arienplatz") == std::string::npos);
  CHECK(bb::test::logWithoutTimestamps(r.server.log()).find("48.07") == std::string::npos);
}
