// Issue 14, hostile input against the real server (all channels on, webchat, Open311, inbox):
// forged signatures in every variant, replays, path traversal, SQL injection strings, oversized
// and deeply nested JSON, invalid UTF-8, and header injection towards our outbound calls.

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "bot/http/http.hpp"
#include "bot/text/utf8.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;
using bb::test::Citizen;
using bb::test::FakeApis;
using bb::test::Rig;
using nlohmann::json;

const std::string kInjection = "'); DROP TABLE tickets; -- \" OR 1=1; SELECT * FROM citizens --";

std::string shell(const std::string& command, const std::string& input = {}) {
  const std::string cmd = input.empty() ? command : "printf '%s\\n' '" + input + "' | " + command;
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) { return out; }
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) { out += buf.data(); }
  pclose(pipe);
  return out;
}

//! Runs a `buergerbox` subcommand against the rig's database (demo config, env overrides).
std::string cli(Rig& rig, const std::string& args, const std::string& input = {}) {
  std::string env;
  for (const auto& [k, v] : rig.env()) { env += k + "='" + v + "' "; }
  return shell(std::string("cd '") + BB_SOURCE_DIR + "' && " + env + "'" + BB_BINARY + "' " +
                   args + " --config config/demo.json 2>&1",
               input);
}

std::string upper(std::string s) {
  for (auto& c : s) { c = static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
  return s;
}

struct Secured {
  FakeApis apis;
  Rig rig{apis};
  std::string api_key;

  Secured() {
    // Schema first, then an API key for Open311 and /api/v1 (printed once by the CLI).
    cli(rig, "migrate");
    const std::string out = cli(rig, "apikey add --name sec --department '*'");
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(out, m, std::regex("(bbk_[0-9A-Za-z_]+)")), out);
    api_key = m[1];
    REQUIRE_MESSAGE(rig.start(), rig.server->log());
  }
  int get(const std::string& path, std::string* body = nullptr,
          const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", rig.port);
    auto res = client.Get(path.c_str(), headers);
    if (!res) { return 0; }
    if (body != nullptr) { *body = res->body; }
    return res->status;
  }
  int postForm(const std::string& path, const std::string& form, std::string* body = nullptr,
               const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", rig.port);
    auto res = client.Post(path.c_str(), headers, form, "application/x-www-form-urlencoded");
    if (!res) { return 0; }
    if (body != nullptr) { *body = res->body; }
    return res->status;
  }
  std::int64_t events() { return rig.scalar("SELECT count(*) FROM inbound_events"); }
};

}  // namespace

TEST_CASE("security: bad signatures, tokens and keys are refused on every entry, nothing stored") {
  Secured s;
  Rig& rig = s.rig;

  // WhatsApp X-Hub-Signature-256.
  Citizen wa = bb::test::makeCitizen("whatsapp", 51);
  const auto w = Rig::wire(wa, 1, "Hallo");
  const std::string good = Rig::waSignature(w.body, bb::test::kRigWaSecret);
  const std::string hex = good.substr(7);
  for (const std::string& sig :
       {std::string(), std::string("sha256="), "SHA256=" + hex, good.substr(0, good.size() - 2),
        good + "00", "sha1=" + hex, "sha256=" + hex.substr(2) + "00",
        Rig::waSignature(w.body, "another-app-secret"), "sha256=" + std::string(64, 'g')}) {
    CAPTURE(sig);
    httplib::Headers h;
    if (!sig.empty()) { h.emplace("X-Hub-Signature-256", sig); }
    CHECK(rig.request("POST", w.path, h, w.body) == 401);
  }
  // Signed over other bytes (a re-serialized body) is refused too.
  CHECK(rig.request("POST", w.path, {{"X-Hub-Signature-256", good}}, w.body + " ") == 401);
  CHECK(s.events() == 0);
  // Header names are case-insensitive in HTTP: the right signature under a lower-case name works;
  // hex digits are read case-insensitively (the same digest), so upper case is the same event.
  CHECK(rig.request("POST", w.path, {{"x-hub-signature-256", good}}, w.body) == 200);
  CHECK(rig.request("POST", w.path, {{"X-Hub-Signature-256", "sha256=" + upper(hex)}}, w.body) ==
        200);
  CHECK(s.events() == 1);

  // Telegram X-Telegram-Bot-Api-Secret-Token.
  Citizen tg = bb::test::makeCitizen("telegram", 52);
  const auto t = Rig::wire(tg, 1, "Hallo");
  const std::string secret = bb::test::kRigTgSecret;
  for (const std::string& token : {std::string(), upper(secret), secret.substr(0, secret.size() - 1),
                                   secret + "x", std::string("another_secret"),
                                   std::string(secret.size(), 'a')}) {
    CAPTURE(token);
    httplib::Headers h;
    if (!token.empty()) { h.emplace("X-Telegram-Bot-Api-Secret-Token", token); }
    CHECK(rig.request("POST", t.path, h, t.body) == 401);
  }
  CHECK(s.events() == 1);
  CHECK(rig.request("POST", t.path, {{"x-telegram-bot-api-secret-token", secret}}, t.body) == 200);

  // Matrix hs_token: 401 without a token, 403 with a wrong one (spec: M_UNAUTHORIZED/M_FORBIDDEN).
  Citizen mx = bb::test::makeCitizen("matrix", 53);
  const auto m = Rig::wire(mx, 1, "Hallo");
  const std::string hs = bb::test::kRigMxHsToken;
  CHECK(rig.request("PUT", m.path, {}, m.body) == 401);
  for (const std::string& auth : {"Bearer " + upper(hs), "Bearer " + hs.substr(0, hs.size() - 1),
                                  "Bearer " + hs + "x", std::string("Bearer other-token"),
                                  std::string("Bearer "), "Basic " + hs}) {
    CAPTURE(auth);
    const int status = rig.request("PUT", m.path, {{"Authorization", auth}}, m.body);
    CHECK((status == 401 || status == 403));
  }
  const int query = rig.request("PUT", m.path + "?access_token=wrong", {}, m.body);
  CHECK((query == 401 || query == 403));
  CHECK(s.events() == 2);
  CHECK(rig.request("PUT", m.path, {{"Authorization", "Bearer " + hs}}, m.body) == 200);
  CHECK(s.events() == 3);

  // Open311 api_key (form field) and the back-office API key (bearer).
  const std::string form = "service_code=schlagloch&lat=48.0777&long=11.9706&description=Loch";
  const std::string& key = s.api_key;
  for (const std::string& k : {std::string(), upper(key), key.substr(0, key.size() - 1), key + "x",
                               std::string("bbk_0000000000000000000000000000000000")}) {
    CAPTURE(k);
    const std::string with = k.empty() ? form : form + "&api_key=" + bb::urlEncode(k);
    CHECK(s.postForm("/open311/v2/requests.json", with) == 403);
    const int api = s.postForm("/api/v1/tickets/1001/notes", "{\"text\":\"x\"}", nullptr,
                               {{"Authorization", "Bearer " + k}});
    CHECK((api == 401 || api == 403));
  }
  CHECK(rig.scalar("SELECT count(*) FROM tickets") == 0);
  std::string created;
  CHECK(s.postForm("/open311/v2/requests.json", form + "&api_key=" + key, &created) == 200);
  CHECK(created.find("service_request_id") != std::string::npos);
  CHECK(rig.scalar("SELECT count(*) FROM tickets") == 1);
  // Secrets never reach the log.
  const std::string log = rig.server->log();
  CHECK(log.find(bb::test::kRigWaSecret) == std::string::npos);
  CHECK(log.find(secret) == std::string::npos);
  CHECK(log.find(hs) == std::string::npos);
  CHECK(log.find(key) == std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("security: replayed payloads are answered 200 and change nothing") {
  Secured s;
  Rig& rig = s.rig;
  std::vector<Citizen> citizens = {bb::test::makeCitizen("whatsapp", 61),
                                   bb::test::makeCitizen("telegram", 62),
                                   bb::test::makeCitizen("matrix", 63)};
  std::vector<Rig::Wire> wires;
  for (auto& c : citizens) {
    for (const char* text : {"Hallo", "ja", "briefkasten", "Ein Brief", "ja"}) {
      wires.push_back(Rig::wire(c, c.next++, text));
      CHECK(rig.request(wires.back().method, wires.back().path, wires.back().headers,
                        wires.back().body) == 200);
    }
  }
  REQUIRE(rig.settle(30s));
  const auto events = s.events();
  const auto outbox = rig.scalar("SELECT count(*) FROM outbox");
  const auto sent = s.apis.deliveries().size();
  CHECK(rig.scalar("SELECT count(*) FROM tickets") == 3);
  for (int round = 0; round < 2; ++round) {
    for (const auto& w : wires) { CHECK(rig.request(w.method, w.path, w.headers, w.body) == 200); }
  }
  // Matrix: the same event again under a new txnId is a duplicate too.
  {
    const auto& w = wires.back();
    CHECK(rig.request(w.method, w.path + "-again", w.headers, w.body) == 200);
  }
  REQUIRE(rig.settle(30s));
  CHECK(s.events() == events);
  CHECK(rig.scalar("SELECT count(*) FROM outbox") == outbox);
  CHECK(rig.scalar("SELECT count(*) FROM tickets") == 3);
  CHECK(s.apis.deliveries().size() == sent);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("security: SQL injection, oversized and deeply nested JSON, invalid UTF-8, traversal") {
  Secured s;
  Rig& rig = s.rig;

  SUBCASE("SQL injection strings in every text field are stored verbatim and do nothing") {
    std::vector<Citizen> citizens = {bb::test::makeCitizen("whatsapp", 71),
                                     bb::test::makeCitizen("telegram", 72),
                                     bb::test::makeCitizen("matrix", 73)};
    for (auto& c : citizens) {
      for (const std::string& text : {std::string("Hallo"), std::string("ja"),
                                      std::string("briefkasten"), kInjection + c.channel,
                                      std::string("ja")}) {
        CHECK(rig.say(c, text).first == 200);
      }
    }
    // Open311: every text field.
    const std::string form = "service_code=schlagloch&lat=48.0777&long=11.9706&description=" +
                             bb::urlEncode(kInjection + "open311") + "&address_string=" +
                             bb::urlEncode(kInjection) + "&attribute%5Bextra%5D=" +
                             bb::urlEncode(kInjection) + "&api_key=" + s.api_key;
    CHECK(s.postForm("/open311/v2/requests.json", form) == 200);
    // Inbox login with an injection as login and password: refused like any wrong password.
    std::string login_page;
    httplib::Client client("127.0.0.1", rig.port);
    auto page = client.Get("/inbox/login");
    REQUIRE(page);
    const std::string cookie = page->get_header_value("Set-Cookie");
    std::smatch csrf;
    REQUIRE(std::regex_search(page->body, csrf, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
    auto login = client.Post("/inbox/login", {{"Cookie", cookie.substr(0, cookie.find(';'))}},
                             "csrf=" + std::string(csrf[1]) + "&login=" + bb::urlEncode("admin' --") +
                                 "&password=" + bb::urlEncode("' OR '1'='1"),
                             "application/x-www-form-urlencoded");
    REQUIRE(login);
    CHECK((login->status == 302 || login->status == 303));
    CHECK(login->get_header_value("Location") == "/inbox/login?e=1");

    REQUIRE(rig.settle(30s));
    CHECK(rig.scalar("SELECT count(*) FROM tickets") == 4);
    for (const char* suffix : {"whatsapp", "telegram", "matrix", "open311"}) {
      CHECK(rig.scalar("SELECT count(*) FROM tickets WHERE description = ?",
                       kInjection + suffix) == 1);
    }
    CHECK(rig.scalar("SELECT count(*) FROM citizens") == 3);
    CHECK(rig.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'tickets'") == 1);
  }

  SUBCASE("oversized bodies are 413 and deeply nested JSON is 400 on every webhook") {
    const std::string big(5 * 1024 * 1024, 'a');
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string deep_obj = [] {
      std::string d;
      for (int i = 0; i < 5000; ++i) { d += "{\"a\":"; }
      d += "1";
      d += std::string(5000, '}');
      return d;
    }();
    Citizen wa = bb::test::makeCitizen("whatsapp", 74);
    for (const std::string* body : {&deep, &deep_obj}) {
      CHECK(rig.request("POST", "/webhooks/whatsapp",
                        {{"X-Hub-Signature-256", Rig::waSignature(*body, bb::test::kRigWaSecret)}},
                        *body) == 400);
      CHECK(rig.request("POST", "/webhooks/telegram",
                        {{"X-Telegram-Bot-Api-Secret-Token", bb::test::kRigTgSecret}}, *body) == 400);
      CHECK(rig.request("PUT", "/_matrix/app/v1/transactions/deep",
                        {{"Authorization", std::string("Bearer ") + bb::test::kRigMxHsToken}},
                        *body) == 400);
    }
    CHECK(rig.request("POST", "/webhooks/whatsapp",
                      {{"X-Hub-Signature-256", Rig::waSignature(big, bb::test::kRigWaSecret)}},
                      big) == 413);
    CHECK(rig.request("POST", "/webhooks/telegram",
                      {{"X-Telegram-Bot-Api-Secret-Token", bb::test::kRigTgSecret}}, big) == 413);
    CHECK(rig.request("PUT", "/_matrix/app/v1/transactions/big",
                      {{"Authorization", std::string("Bearer ") + bb::test::kRigMxHsToken}},
                      big) == 413);
    // A long text inside the limit is fine and stored once.
    Citizen tg = bb::test::makeCitizen("telegram", 75);
    CHECK(rig.say(tg, std::string(3000, 'x')).first == 200);
    CHECK(s.events() == 1);
    std::string health;
    CHECK(s.get("/healthz", &health) == 200);
  }

  SUBCASE("invalid UTF-8 is refused at the JSON edge and stored and shown safely from forms") {
    const std::string bad = "Loch \xff\xfe\xc3 <script>alert(1)</script> \xed\xa0\x80 Ende";
    // Webhook JSON with raw invalid bytes or a lone surrogate escape: 400, nothing stored.
    Citizen tg = bb::test::makeCitizen("telegram", 76);
    const std::string raw = Rig::tgBody(tg, 9001, "PLACEHOLDER");
    std::string invalid = raw;
    invalid.replace(invalid.find("PLACEHOLDER"), 11, bad);
    CHECK(rig.request("POST", "/webhooks/telegram",
                      {{"X-Telegram-Bot-Api-Secret-Token", bb::test::kRigTgSecret}}, invalid) == 400);
    std::string surrogate = raw;
    surrogate.replace(surrogate.find("PLACEHOLDER"), 11, "\\udc00");
    const int st = rig.request("POST", "/webhooks/telegram",
                               {{"X-Telegram-Bot-Api-Secret-Token", bb::test::kRigTgSecret}},
                               surrogate);
    CHECK(st == 400);
    CHECK(s.events() == 0);

    // Open311 form fields carry arbitrary bytes: stored as valid UTF-8 (invalid sequences become
    // U+FFFD at the edge), so every JSON and XML reader still gets valid output.
    const std::string form = "service_code=schlagloch&lat=48.0777&long=11.9706&description=" +
                             bb::urlEncode(bad) + "&address_string=" + bb::urlEncode(bad) +
                             "&api_key=" + s.api_key;
    std::string created;
    REQUIRE(s.postForm("/open311/v2/requests.json", form, &created) == 200);
    std::string listing;
    CHECK(s.get("/open311/v2/requests.json", &listing) == 200);
    CHECK_FALSE(json::parse(listing, nullptr, false).is_discarded());
    std::string xml;
    CHECK(s.get("/open311/v2/requests.xml", &xml) == 200);
    CHECK(xml.find("<script>") == std::string::npos);
    const std::string id = json::parse(created)[0]["service_request_id"];
    std::string one;
    CHECK(s.get("/open311/v2/requests/" + id + ".json", &one) == 200);
    CHECK_FALSE(json::parse(one, nullptr, false).is_discarded());
    const auto row = rig.rows("SELECT description, address_text FROM tickets");
    REQUIRE(row.size() == 1);
    CHECK(bb::isValidUtf8(row[0][0]));
    CHECK(bb::isValidUtf8(row[0][1]));
    CHECK(row[0][0].find("\xEF\xBF\xBD") != std::string::npos);
    CHECK(row[0][0].find("<script>alert(1)</script>") != std::string::npos);  // text kept as is
  }

  SUBCASE("path traversal on static and media routes finds nothing") {
    for (const std::string& path :
         {std::string("/chat/static/../../CMakeLists.txt"), std::string("/chat/static/..%2f..%2fCMakeLists.txt"),
          std::string("/chat/static/%2e%2e/%2e%2e/config/demo.json"),
          std::string("/inbox/static/..%2F..%2Fconfig%2Fdemo.json"),
          std::string("/inbox/media/..%2f..%2fdb.sqlite"), std::string("/inbox/media/1/../../../etc/passwd"),
          std::string("/chat/follow/..%2f..%2f..%2fetc%2fpasswd"), std::string("/../../etc/passwd"),
          std::string("/chat/static/chat.js%00.png"), std::string("/%2e%2e/%2e%2e/etc/passwd")}) {
      CAPTURE(path);
      std::string body;
      const int status = s.get(path, &body);
      CHECK(status != 200);
      CHECK(body.find("root:") == std::string::npos);
      CHECK(body.find("cmake_minimum_required") == std::string::npos);
      CHECK(body.find("\"server\"") == std::string::npos);
    }
  }
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("security: ids the platforms send never inject headers or paths into outbound calls") {
  FakeApis apis;
  Rig rig(apis);
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  const std::string evil = "12\r\nX-Injected: yes\r\n\r\nGET /evil HTTP/1.1\r\nHost: x";

  // WhatsApp: an image whose media id carries CR/LF; Matrix: an mxc URI with CR/LF and ../.
  Citizen wa = bb::test::makeCitizen("whatsapp", 81);
  Citizen mx = bb::test::makeCitizen("matrix", 82);
  for (const char* text : {"Hallo", "ja", "melden"}) {
    CHECK(rig.say(wa, text).first == 200);
    CHECK(rig.say(mx, text).first == 200);
  }
  {
    json msg = {{"from", wa.user_id},
                {"id", "wamid.evil1"},
                {"timestamp", std::to_string(std::time(nullptr))},
                {"type", "image"},
                {"image", {{"id", evil}, {"mime_type", "image/jpeg"}}}};
    std::string body = Rig::waBody(wa, "wamid.evil1", "x");
    json doc = json::parse(body);
    doc["entry"][0]["changes"][0]["value"]["messages"][0] = msg;
    body = doc.dump();
    CHECK(rig.request("POST", "/webhooks/whatsapp",
                      {{"X-Hub-Signature-256", Rig::waSignature(body, bb::test::kRigWaSecret)}},
                      body) == 200);
  }
  {
    json ev = {{"type", "m.room.message"},
               {"content", {{"msgtype", "m.image"}, {"body", "p.jpg"},
                            {"url", "mxc://example.org/../../_matrix/evil\r\nX-Injected: yes"},
                            {"info", {{"mimetype", "image/jpeg"}}}}},
               {"event_id", "$evil:example.org"},
               {"room_id", mx.recipient},
               {"sender", mx.user_id},
               {"origin_server_ts", 1700000000000}};
    const std::string body = json{{"events", {ev}}}.dump();
    CHECK(rig.request("PUT", "/_matrix/app/v1/transactions/evil",
                      {{"Authorization", std::string("Bearer ") + bb::test::kRigMxHsToken}},
                      body) == 200);
  }
  REQUIRE(rig.settle(30s));
  std::this_thread::sleep_for(1s);  // media jobs run after the events
  for (const auto& head : apis.requestLines()) {
    CAPTURE(head);
    CHECK(head.find("X-Injected") == std::string::npos);
    CHECK(head.find("/evil") == std::string::npos);
    CHECK(head.find("GET /../") == std::string::npos);
  }
  CHECK(rig.server->stop(SIGTERM) == 0);
}
