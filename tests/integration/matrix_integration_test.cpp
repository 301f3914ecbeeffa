// Issue 9, end to end: the real `buergerbox serve` (port 0) as a Matrix application service
// against a local fake homeserver. Invite → join → a whole defect report (text, typed label,
// numbered choices, m.location, m.image through the authenticated media API, extra question,
// description, confirm). Every client-server request the server makes is recorded and checked
// against the Matrix specification's own descriptions (tests/fixtures/matrix/
// matrix_spec_extract.json: method, path template and parameter patterns, bearer auth, request
// body schemas and the m.text content schema).

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/security/crypto.hpp"
#include "support/privacy_checks.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"
#include "tests/support/openapi_validator.hpp"

namespace {

namespace openapi = bb::tests::openapi;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kAsToken = "as-token-integration-4f8a";
constexpr const char* kHsToken = "hs-token-integration-9c2e";
constexpr const char* kServerName = "example.org";
constexpr const char* kBot = "@buergerbox:example.org";
// A citizen arriving over the mautrix-signal bridge, in a room the bridge created.
constexpr const char* kCitizen = "@signal_8b1f0c2d:example.org";
constexpr const char* kRoom = "!bRiDgEdRoOm42:example.org";

//! An event id as room versions 4+ make them: "$" + 43 characters of URL-safe base64.
std::string eventId(const std::string& kind, int n) {
  std::string b64 = bb::test::base64(bb::crypto::hmacSha256(kind, std::to_string(n)));
  b64.pop_back();  // the padding
  for (auto& ch : b64) {
    if (ch == '+') { ch = '-'; }
    if (ch == '/') { ch = '_'; }
  }
  return "$" + b64;
}

const json& spec() {
  static const json doc =
      openapi::loadJsonFile(std::string(BB_FIXTURE_DIR) + "/matrix/matrix_spec_extract.json");
  return doc;
}

//! A fake homeserver's client-server API: records every request, answers like Synapse.
class FakeHomeserver {
public:
  struct Request {
    std::string method;
    std::string target;  //!< raw request target (percent-encoded path + query)
    std::string path;    //!< decoded path
    std::multimap<std::string, std::string> params;
    std::string authorization;
    std::string content_type;
    std::string body;
  };

  FakeHomeserver() {
    jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
    second_jpeg_ = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0012.jpg");
    server_.Put(R"(/_matrix/client/v3/rooms/([^/]+)/send/([^/]+)/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  record(req);
                  if (!refusals_.empty()) {
                    refusals_.pop_front();
                    ++refused_;
                    res.status = 429;
                    res.set_header("Retry-After", "1");
                    res.set_content(R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests",)"
                                    R"("retry_after_ms":1000})",
                                    "application/json");
                    return;
                  }
                  const std::string txn = req.matches[3];
                  // Event ids of room versions 4+: "$" + unpadded URL-safe base64 of a hash.
                  auto [it, fresh] = events_by_txn_.emplace(txn, eventId("out", ++sent_));
                  if (fresh) { accepted_.push_back(req.body); }
                  res.set_content(json{{"event_id", it->second}}.dump(), "application/json");
                });
    server_.Post(R"(/_matrix/client/v3/rooms/([^/]+)/join)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mutex_);
                   record(req);
                   res.set_content(json{{"room_id", std::string(req.matches[1])}}.dump(),
                                   "application/json");
                 });
    // Room membership (not in the spec extract: checked by path in the room tests below).
    server_.Get(R"(/_matrix/client/v3/rooms/([^/]+)/members)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  record(req);
                  const std::string room = req.matches[1];
                  json chunk = json::array();
                  const auto it = members_.find(room);
                  const std::vector<std::pair<std::string, std::string>> members =
                      it != members_.end()
                          ? it->second
                          : std::vector<std::pair<std::string, std::string>>{
                                {kCitizen, "join"}, {kBot, "join"}};
                  for (const auto& [user, membership] : members) {
                    chunk.push_back({{"type", "m.room.member"},
                                     {"state_key", user},
                                     {"room_id", room},
                                     {"content", {{"membership", membership}}}});
                  }
                  res.set_content(json{{"chunk", chunk}}.dump(), "application/json");
                });
    server_.Post(R"(/_matrix/client/v3/rooms/([^/]+)/leave)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mutex_);
                   record(req);
                   res.set_content("{}", "application/json");
                 });
    server_.Post(R"(/_matrix/client/v3/join/([^/]+))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mutex_);
                   record(req);
                   res.set_content(json{{"room_id", std::string(req.matches[1])}}.dump(),
                                   "application/json");
                 });
    server_.Get(R"(/_matrix/client/v1/media/download/([^/]+)/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  record(req);
                  if (req.get_header_value("Authorization") != std::string("Bearer ") + kAsToken) {
                    res.status = 401;
                    res.set_content(R"({"errcode":"M_MISSING_TOKEN"})", "application/json");
                    return;
                  }
                  res.set_header("Content-Disposition", "inline; filename=\"photo.jpg\"");
                  const bool second = std::string(req.matches[2]) == "GpsDscn0012Photo";
                  res.set_content(second ? second_jpeg_ : jpeg_, "image/jpeg");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeHomeserver() {
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }

  int port() const { return port_; }
  void limitNext() {
    std::lock_guard lock(mutex_);
    refusals_.push_back(429);
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  int refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

private:
  void record(const httplib::Request& req) {
    requests_.push_back({req.method, req.target, req.path, req.params,
                         req.get_header_value("Authorization"),
                         req.get_header_value("Content-Type"), req.body});
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string jpeg_;
  std::string second_jpeg_;
  std::mutex mutex_;
  std::vector<Request> requests_;
  std::vector<std::string> accepted_;
  std::map<std::string, std::string> events_by_txn_;
  std::deque<int> refusals_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> members_;

public:
  //! The joined/invited members the fake reports for `room` (default: citizen and bot joined).
  void setMembers(const std::string& room,
                  std::vector<std::pair<std::string, std::string>> members) {
    std::lock_guard lock(mutex_);
    members_[room] = std::move(members);
  }
  std::vector<std::string> eventIds() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [txn, id] : events_by_txn_) { out.push_back(id); }
    return out;
  }

private:
  int refused_ = 0;
  int sent_ = 0;
};

struct Sent {
  std::string txn_id;
  std::string body;
};

struct Run {
  explicit Run(bb::test::Backend on) : backend(on) {}
  bb::test::Backend backend;
  bb::test::TempDir dir;
  FakeHomeserver hs;
  bb::test::ServerProcess server;
  int next_txn = 1;
  int next_event = 1;
  std::vector<std::pair<std::string, std::string>> posted;  //!< (txnId, body)
  std::vector<std::string> wire_ids;  //!< every event id the citizen's events carried

  bb::test::ServerDatabase database{backend, dir.path() + "/db.sqlite"};
  std::string mediaDir() const { return dir.path() + "/media"; }

  void start() {
    std::map<std::string, std::string> env = {
        {"BUERGERBOX_SERVER_PORT", "0"},
        {"BUERGERBOX_STORAGE_MEDIA_DIR", mediaDir()},
        {"BUERGERBOX_WEBCHAT_ENABLED", "false"},
        {"BUERGERBOX_MATRIX_ENABLED", "true"},
        {"BUERGERBOX_MATRIX_HOMESERVER_URL", "http://127.0.0.1:" + std::to_string(hs.port())},
        {"BUERGERBOX_MATRIX_SERVER_NAME", kServerName},
        {"BUERGERBOX_MATRIX_SENDER_LOCALPART", "buergerbox"},
        {"BUERGERBOX_MATRIX_AS_TOKEN", kAsToken},
        {"BUERGERBOX_MATRIX_HS_TOKEN", kHsToken},
        {"BUERGERBOX_MATRIX_RECIPIENT_INTERVAL_MS", "0"},
        {"BUERGERBOX_MATRIX_RETRY_BASE_MS", "200"},
        {"BUERGERBOX_MATRIX_BRIDGE_BOTS", "@signalbot:example.org"},
        {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('3')},
        {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('4')},
        {"BUERGERBOX_LOG_LEVEL", "debug"},  // the privacy scan reads the most verbose log
    };
    env.merge(database.env());
    REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  }

  json event(const std::string& type, const json& content) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return json{{"type", type},
                {"content", content},
                {"event_id", wire_ids.emplace_back(eventId("in", next_event++))},
                {"room_id", kRoom},
                {"sender", kCitizen},
                {"origin_server_ts", ms},
                {"unsigned", {{"age", 12}}}};
  }

  int put(const std::string& txn, const std::string& body, const std::string& auth) {
    httplib::Client client("127.0.0.1", server.port());
    httplib::Headers headers;
    if (!auth.empty()) { headers.emplace("Authorization", auth); }
    auto res = client.Put(("/_matrix/app/v1/transactions/" + txn).c_str(), headers, body,
                          "application/json");
    REQUIRE(res);
    if (res->status != 200) { MESSAGE("status " << res->status << ": " << res->body); }
    return res->status;
  }
  //! Sends one transaction with the events and waits until everything it caused is done.
  void deliver(const json& events) {
    const std::string txn = std::to_string(next_txn++);
    const std::string body = json{{"events", events}, {"ephemeral", json::array()}}.dump();
    posted.emplace_back(txn, body);
    CHECK(put(txn, body, std::string("Bearer ") + kHsToken) == 200);
    settle();
  }
  void say(const std::string& text) {
    deliver(json::array({event("m.room.message", {{"msgtype", "m.text"}, {"body", text}})}));
  }
  //! Answers the last offered choices by typing the number of the option labelled `label`.
  void choose(const std::string& label) {
    const std::string body = lastSent()["body"];
    std::istringstream lines(body);
    std::string line;
    std::string number;
    while (std::getline(lines, line)) {
      const auto dot = line.find(". ");
      if (dot != std::string::npos && dot > 0 && dot <= 2 && line.substr(dot + 2) == label) {
        number = line.substr(0, dot);
      }
    }
    REQUIRE_MESSAGE(!number.empty(), "no option '" << label << "' in: " << body);
    say(number);
  }

  std::int64_t scalar(const std::string& sql) { return database.scalar(sql); }
  std::string text(const std::string& sql) { return database.text(sql); }
  void settle(std::chrono::seconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const bool idle = scalar(bb::test::kUnsettledSql) == 0;
      if (idle) { return; }
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "not settled: " << server.log());
      std::this_thread::sleep_for(20ms);
    }
  }
  json lastSent() {
    const auto all = hs.accepted();
    REQUIRE_FALSE(all.empty());
    return json::parse(all.back());
  }
};

//! "/_matrix/client/v3/rooms/{roomId}/join" → a regex with one group per template parameter.
std::regex templateRegex(const std::string& path, std::vector<std::string>& names) {
  std::string re;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      const auto end = path.find('}', i);
      names.push_back(path.substr(i + 1, end - i - 1));
      re += "([^/]+)";
      i = end;
    } else if (std::string(".^$|()[]*+?\\").find(path[i]) != std::string::npos) {
      re += std::string("\\") + path[i];
    } else {
      re += path[i];
    }
  }
  return std::regex(re);
}

//! Checks one recorded request against the spec's operations; returns the operationId.
std::string validateAgainstSpec(const FakeHomeserver::Request& q) {
  for (const json& op : spec()["operations"]) {
    if (op["method"] != q.method) { continue; }
    std::vector<std::string> names;
    std::smatch m;
    const std::regex re = templateRegex(op["path"].get<std::string>(), names);
    if (!std::regex_match(q.path, m, re)) { continue; }
    const std::string id = op["operationId"];
    CAPTURE(id);
    // Security: accessTokenBearer, which "can also be the as_token of an application service".
    REQUIRE(op["security"].is_array());
    CHECK(op["security"][0].contains("accessTokenBearer"));
    CHECK(q.authorization == std::string("Bearer ") + kAsToken);
    std::map<std::string, std::string> path_values;
    for (std::size_t i = 0; i < names.size(); ++i) { path_values[names[i]] = m[i + 1].str(); }
    std::set<std::string> query_names = {"user_id"};  // AS identity assertion (AS API)
    for (const json& p : op["parameters"]) {
      const std::string name = p.value("name", "");
      const std::string in = p.value("in", "");
      if (in == "query") { query_names.insert(name); }
      if (in == "path") {
        REQUIRE_MESSAGE(path_values.count(name) == 1, name);
        const json& schema = p["schema"];
        if (schema.contains("pattern")) {
          CHECK_MESSAGE(std::regex_search(path_values[name],
                                          std::regex(schema["pattern"].get<std::string>())),
                        name << " does not match " << schema["pattern"]);
        }
      }
      if (p.value("required", false) && in == "query") { CHECK(q.params.count(name) == 1); }
    }
    for (const auto& [name, value] : q.params) {
      CHECK_MESSAGE(query_names.count(name) == 1, "undeclared query parameter " << name);
      if (name == "user_id") { CHECK(value == kBot); }
      CHECK(name != "access_token");  // never a token in the query
    }
    // Room ids travel percent-encoded in the raw path.
    for (const auto& [name, value] : path_values) {
      if (name == "roomId" || name == "roomIdOrAlias") {
        CHECK(q.target.find(value) == std::string::npos);
        CHECK(q.target.find("%21") != std::string::npos);
      }
    }
    const json& body_spec = op["requestBody"];
    if (body_spec.is_object()) {
      CHECK(q.content_type.rfind("application/json", 0) == 0);
      const json body = json::parse(q.body, nullptr, false);
      REQUIRE_MESSAGE(body.is_object(), id << ": body is not a JSON object");
      const json doc = {{"s", body_spec["content"]["application/json"]["schema"]}};
      for (const auto& e : openapi::validate(doc, body, "#/s")) {
        FAIL_CHECK(id << ": " << e);
      }
      if (id == "sendMessage") {
        CHECK(path_values["eventType"] == "m.room.message");
        CHECK(path_values["txnId"].rfind("bb-", 0) == 0);
        for (const auto& e : openapi::validate(
                 spec(), body, "#/components/schemas/m.room.message$m.text/properties/content")) {
          FAIL_CHECK("m.text: " << e);
        }
      }
    } else {
      CHECK(q.body.empty());
    }
    return id;
  }
  FAIL_CHECK("request not described by the spec extract: " << q.method << " " << q.path);
  return {};
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

}  // namespace

TEST_CASE_TEMPLATE("matrix: a whole defect report through the real server and a fake homeserver", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r(B::backend);
  r.start();
  const std::string bearer = std::string("Bearer ") + kHsToken;

  // Authenticity first: wrong or missing tokens store nothing.
  {
    const std::string body =
        json{{"events", json::array({r.event("m.room.message",
                                             {{"msgtype", "m.text"}, {"body", "x"}})})}}
            .dump();
    CHECK(r.put("forged", body, "Bearer wrong-token") == 403);
    CHECK(r.put("forged", body, "") == 401);
    CHECK(r.scalar("SELECT count(*) FROM inbound_events") == 0);
    CHECK(r.scalar("SELECT count(*) FROM matrix_transactions") == 0);
    httplib::Client client("127.0.0.1", r.server.port());
    httplib::Headers auth = {{"Authorization", bearer}};
    auto user = client.Get("/_matrix/app/v1/users/%40signal_x%3Aexample.org", auth);
    REQUIRE(user);
    CHECK(user->status == 404);
    CHECK(json::parse(user->body)["errcode"] == "M_NOT_FOUND");
    auto ping = client.Post("/_matrix/app/v1/ping", auth, R"({"transaction_id":"meow"})",
                            "application/json");
    REQUIRE(ping);
    CHECK(ping->status == 200);
    CHECK(ping->body == "{}");
  }

  // The bridge's puppet invites the bot into the room: the bot joins.
  {
    json invite = r.event("m.room.member", {{"membership", "invite"}});
    invite["state_key"] = kBot;
    r.deliver(json::array({invite}));
    const auto reqs = r.hs.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == "POST");
    CHECK(validateAgainstSpec(reqs[0]) == "joinRoomById");
    // Then the bot counts the room's members: a direct chat (citizen + bot), so it stays.
    CHECK(reqs[1].method == "GET");
    CHECK(reqs[1].path == std::string("/_matrix/client/v3/rooms/") + kRoom + "/members");
  }

  r.say("Hallo");
  r.say("Einverstanden");  // the label typed instead of the number
  r.choose("Mangel melden");
  r.choose("Schlagloch/Straßenschaden");
  r.deliver(json::array({r.event("m.room.message", {{"msgtype", "m.location"},
                                                    {"body", "Marienplatz"},
                                                    {"geo_uri", "geo:48.0777,11.9706;u=12"}})}));
  r.deliver(json::array({r.event("m.room.message",
                                 {{"msgtype", "m.image"},
                                  {"body", "IMG_0010.jpg"},
                                  {"url", "mxc://example.org/GpsDscn0010Photo"},
                                  {"info", {{"mimetype", "image/jpeg"}, {"size", 1}}}})}));
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 1);
  r.deliver(json::array({r.event("m.room.message",
                                 {{"msgtype", "m.image"},
                                  {"body", "IMG_0012.jpg"},
                                  {"url", "mxc://example.org/GpsDscn0012Photo"},
                                  {"info", {{"mimetype", "image/jpeg"}, {"size", 1}}}})}));
  CHECK(r.scalar("SELECT count(*) FROM media WHERE status = 'ready'") == 2);
  r.choose("Weiter");
  r.say("etwa 30 cm breit");  // the category's extra question
  r.say("Tiefes Loch vor der Apotheke");
  r.choose("Absenden");

  REQUIRE(r.scalar("SELECT count(*) FROM tickets") == 1);
  const auto number = r.scalar("SELECT number FROM tickets");
  CHECK(r.scalar("SELECT channel = 'matrix' FROM tickets") == 1);
  CHECK(r.scalar("SELECT count(*) FROM ticket_photos") == 2);
  // Both camera photos are stored without GPS, make, model or time (exiftool -a -G1).
  for (int i = 0; i < 2; ++i) {
    const std::string content_id =
        r.text("SELECT content_id FROM media ORDER BY id LIMIT 1 OFFSET " + std::to_string(i));
    const std::string stored =
        r.mediaDir() + "/" + content_id.substr(0, 2) + "/" + content_id + ".jpg";
    REQUIRE(std::filesystem::exists(stored));
    CHECK(bb::test::identifyingTags(stored) == std::vector<std::string>{});
  }
  CHECK(r.lastSent()["body"].get<std::string>().find(std::to_string(number)) !=
        std::string::npos);

  // Every request the server made is a described client-server call with the as_token.
  int joins = 0;
  int sends = 0;
  int downloads = 0;
  for (const auto& q : r.hs.requests()) {
    if (q.path.size() > 8 && q.path.substr(q.path.size() - 8) == "/members") { continue; }
    const std::string id = validateAgainstSpec(q);
    joins += id == "joinRoomById" ? 1 : 0;
    sends += id == "sendMessage" ? 1 : 0;
    downloads += id == "getContentAuthed" ? 1 : 0;
  }
  CHECK(joins == 1);
  CHECK(downloads == 2);
  CHECK(sends >= 10);

  // A repeated txnId is not processed again; the same events in a new txn are deduplicated.
  const auto sends_before = r.hs.accepted().size();
  const auto requests_before = r.hs.requests().size();
  const auto outbox_before = r.scalar("SELECT count(*) FROM outbox");
  const auto events_before = r.scalar("SELECT count(*) FROM inbound_events");
  for (const auto& [txn, body] : r.posted) { CHECK(r.put(txn, body, bearer) == 200); }
  r.settle();
  CHECK(r.hs.requests().size() == requests_before);  // not even the join again
  CHECK(r.put("fresh-txn", r.posted[1].second, bearer) == 200);
  r.settle();
  CHECK(r.scalar("SELECT count(*) FROM inbound_events") == events_before);
  CHECK(r.scalar("SELECT count(*) FROM outbox") == outbox_before);
  CHECK(r.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(r.hs.accepted().size() == sends_before);

  // 429 M_LIMIT_EXCEEDED with Retry-After: the message waits and arrives, same txnId.
  r.hs.limitNext();
  r.say("status " + std::to_string(number));
  CHECK(r.hs.refused() == 1);
  CHECK(r.hs.accepted().size() == sends_before + 1);
  CHECK(r.lastSent()["body"].get<std::string>().find(std::to_string(number)) !=
        std::string::npos);
  {
    const auto reqs = r.hs.requests();
    REQUIRE(reqs.size() >= 2);
    CHECK(reqs[reqs.size() - 1].path == reqs[reqs.size() - 2].path);
  }
  CHECK(r.scalar("SELECT count(*) FROM outbox WHERE status IN ('dead', 'failed')") == 0);

  // An encrypted message gets the clear answer that the room must be unencrypted.
  r.deliver(json::array({r.event("m.room.encrypted", {{"algorithm", "m.megolm.v1.aes-sha2"},
                                                      {"ciphertext", "AwgAEnAC"}})}));
  const std::string notice = r.lastSent()["body"];
  CHECK(notice.find("unverschlüsselt") != std::string::npos);
  CHECK(notice.find("unencrypted") != std::string::npos);

  // The citizen leaves the room: no more messages to them.
  {
    json leave = r.event("m.room.member", {{"membership", "leave"}});
    leave["state_key"] = kCitizen;
    r.deliver(json::array({leave}));
    CHECK(r.scalar("SELECT count(*) FROM citizens WHERE unreachable = 1") == 1);
  }

  // Nothing personal and no token in the log.
  const std::string log = bb::test::logWithoutTimestamps(r.server.log());
  for (const char* secret : {kCitizen, kRoom, kAsToken, kHsToken, "GpsDscn0010Photo", "48.0777",
                             "11.9706", "48.077", "11.970", "Tiefes Loch", "etwa 30 cm breit",
                             "Marienplatz"}) {
    CHECK_MESSAGE(log.find(secret) == std::string::npos, std::string(secret));
  }
  CHECK(log.find("level=debug") != std::string::npos);
  // Privacy scan: neither the Matrix id nor the room id nor any event id (the citizen's or
  // ours), raw or base64, in the raw database files or the debug log.
  std::vector<std::string> ids = r.wire_ids;
  for (const auto& id : r.hs.eventIds()) { ids.push_back(id); }
  CHECK(ids.size() > 20);
  for (const char* id : {kCitizen, kRoom, "signal_8b1f0c2d"}) { ids.emplace_back(id); }
  const std::vector<std::string> identifiers = bb::test::identifierNeedles(ids);
  CHECK(bb::test::leaksInFiles(r.database.filesToScan(), identifiers) ==
        std::vector<std::string>{});
  CHECK(r.server.stop(SIGTERM) == 0);
  CHECK(bb::test::leaksInFiles(r.database.filesToScan(), identifiers) ==
        std::vector<std::string>{});
  CHECK(bb::test::leaksInText(bb::test::logWithoutTimestamps(r.server.log()), identifiers) == std::vector<std::string>{});
}

TEST_CASE_TEMPLATE("matrix: a group invite is declined, a room that grows beyond two is left once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Run r(B::backend);
  r.start();
  const std::string group = "!gRoUpRoOm7:example.org";
  const auto calls = [&r](const std::string& room, const std::string& method,
                          const std::string& tail) {
    int n = 0;
    for (const auto& q : r.hs.requests()) {
      if (q.method == method && q.path == "/_matrix/client/v3/rooms/" + room + tail) { ++n; }
    }
    return n;
  };
  // Invited into a room with three people (is_direct says true: only the inviter's hint).
  r.hs.setMembers(group, {{kCitizen, "join"}, {"@nachbar:example.org", "join"}, {kBot, "invite"}});
  {
    json invite = r.event("m.room.member", {{"membership", "invite"}, {"is_direct", true}});
    invite["state_key"] = kBot;
    invite["room_id"] = group;
    r.deliver(json::array({invite}));
  }
  CHECK(calls(group, "POST", "/join") == 1);
  CHECK(calls(group, "GET", "/members") == 1);
  CHECK(calls(group, "POST", "/leave") == 1);
  CHECK(r.hs.accepted().empty());  // declined without a word into the group
  // Invited members count too: a direct chat plus one invited neighbour is a group.
  const std::string pending = "!pEnDiNgRoOm:example.org";
  r.hs.setMembers(pending, {{kCitizen, "join"}, {kBot, "invite"}, {"@nachbar:example.org", "invite"}});
  {
    json invite = r.event("m.room.member", {{"membership", "invite"}});
    invite["state_key"] = kBot;
    invite["room_id"] = pending;
    r.deliver(json::array({invite}));
  }
  CHECK(calls(pending, "POST", "/leave") == 1);

  // A direct chat, here a Signal portal room with the bridge bot in it: the bot stays, answers.
  r.hs.setMembers(kRoom, {{kCitizen, "join"}, {"@signalbot:example.org", "join"}, {kBot, "invite"}});
  {
    json invite = r.event("m.room.member", {{"membership", "invite"}});
    invite["state_key"] = kBot;
    r.deliver(json::array({invite}));
  }
  CHECK(calls(kRoom, "POST", "/leave") == 0);
  r.say("Hallo");
  const auto answered = r.hs.accepted().size();
  CHECK(answered >= 1);
  // The bot's own join and the citizen's messages do not make it count again.
  const int counted = calls(kRoom, "GET", "/members");
  {
    json own = r.event("m.room.member", {{"membership", "join"}});
    own["state_key"] = kBot;
    own["sender"] = kBot;
    r.deliver(json::array({own}));
  }
  CHECK(calls(kRoom, "GET", "/members") == counted);
  // Someone else joins the direct chat: one notice in both languages, then the bot leaves.
  r.hs.setMembers(kRoom, {{kCitizen, "join"}, {"@signalbot:example.org", "join"}, {kBot, "join"},
                          {"@nachbar:example.org", "join"}});
  {
    json joined = r.event("m.room.member", {{"membership", "join"}});
    joined["state_key"] = "@nachbar:example.org";
    joined["sender"] = "@nachbar:example.org";
    r.deliver(json::array({joined}));
  }
  CHECK(calls(kRoom, "GET", "/members") == counted + 1);
  CHECK(calls(kRoom, "POST", "/leave") == 1);
  const auto sent = r.hs.accepted();
  REQUIRE(sent.size() == answered + 1);
  const std::string notice = json::parse(sent.back())["body"];
  CHECK(notice.find("Direktnachrichten") != std::string::npos);
  CHECK(notice.find("direct messages") != std::string::npos);
  // Logs name no room.
  CHECK(r.server.log().find(group) == std::string::npos);
  CHECK(r.server.log().find("event=matrix_group_room_left") != std::string::npos);
}

TEST_CASE("matrix: `buergerbox matrix registration` prints the registration YAML") {
  const std::string out =
      run(std::string("cd '") + BB_SOURCE_DIR + "' && BUERGERBOX_MATRIX_AS_TOKEN=as-reg " +
          "BUERGERBOX_MATRIX_HS_TOKEN=hs-reg BUERGERBOX_MATRIX_SERVER_NAME=example.org " +
          "BUERGERBOX_SERVER_PUBLIC_URL=https://bb.example.org '" + BB_BINARY +
          "' matrix registration --config config/demo.json 2>/dev/null");
  for (const char* line : {"id: \"buergerbox\"\n", "url: \"https://bb.example.org\"\n",
                           "as_token: \"as-reg\"\n", "hs_token: \"hs-reg\"\n",
                           "sender_localpart: \"buergerbox\"\n",
                           "      regex: \"@buergerbox:example\\\\.org\"\n", "  aliases: []\n",
                           "  rooms: []\n", "rate_limited: false\n"}) {
    CAPTURE(line);
    CHECK(out.find(line) != std::string::npos);
  }
  // Without the tokens it refuses (exit 2) instead of printing an unusable file.
  const std::string refused =
      run(std::string("cd '") + BB_SOURCE_DIR + "' && BUERGERBOX_MATRIX_AS_TOKEN= '" + BB_BINARY +
          "' matrix registration --config config/demo.json >/dev/null 2>&1; echo rc=$?");
  CHECK(refused.find("rc=2") != std::string::npos);
}
