// Matrix wire functions: the spec fixtures parse to the expected events (golden, field by field),
// token checks, geo and mxc URIs, notices and reply classification (webhooks/matrix/matrix.hpp).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "support/server_process.hpp"
#include "tests/support/openapi_validator.hpp"
#include "webhooks/matrix/matrix.hpp"

namespace {

namespace mx = bb::webhooks::matrix;
using bb::InboundKind;
using nlohmann::json;

constexpr const char* kBot = "@_pothole_bot:example.org";
constexpr const char* kRoom = "!jEsUZKDJdhlrceRyVU:example.org";
constexpr const char* kEventId = "$143273582443PhrSn:example.org";
constexpr std::int64_t kTs = 1432735824653;

std::string fixture(const std::string& name) {
  return bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/matrix/" + name);
}

//! One spec event wrapped into a transaction body.
std::string txnOf(const std::string& event_file) {
  return json{{"events", json::array({json::parse(fixture(event_file))})}}.dump();
}

mx::ParsedTransaction parseOk(const std::string& body, const std::string& bot = kBot) {
  auto parsed = mx::parseTransaction(body, bot);
  REQUIRE(parsed);
  return *parsed;
}

std::int64_t millis(bb::SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void checkEnvelope(const bb::InboundEvent& e, const std::string& sender) {
  CHECK(e.channel == bb::Channel::Matrix);
  CHECK(e.external_id == kEventId);
  CHECK(e.user_id == sender);
  CHECK(e.chat_id == kRoom);
  CHECK(millis(e.sent_at) == kTs);
}

json event(const std::string& type, const json& content, const std::string& sender,
           const std::string& id) {
  return json{{"type", type},           {"content", content}, {"sender", sender},
              {"event_id", id},         {"room_id", kRoom},   {"origin_server_ts", kTs},
              {"unsigned", {{"age", 1}}}};
}

const json& specExtract() {
  static const json doc = bb::tests::openapi::loadJsonFile(std::string(BB_FIXTURE_DIR) +
                                                           "/matrix/matrix_spec_extract.json");
  return doc;
}

}  // namespace

TEST_CASE("matrix: fixture m.text parses to a text event") {
  const auto p = parseOk(txnOf("event_m.room.message__m.text.json"));
  REQUIRE(p.events.size() == 1);
  const auto& e = p.events[0];
  checkEnvelope(e, "@example:example.org");
  CHECK(e.kind == InboundKind::Text);
  CHECK(e.text == "This is an example text message");
  CHECK_FALSE(e.media);
  CHECK_FALSE(e.location);
  CHECK(p.invites.empty());
  CHECK(p.encrypted_rooms.empty());
  CHECK(p.ignored == 0);
}

TEST_CASE("matrix: fixture m.image parses to an image event with the mxc url") {
  const auto p = parseOk(txnOf("event_m.room.message__m.image.json"));
  REQUIRE(p.events.size() == 1);
  const auto& e = p.events[0];
  checkEnvelope(e, "@example:example.org");
  CHECK(e.kind == InboundKind::Image);
  REQUIRE(e.media);
  CHECK(e.media->ref == "mxc://example.org/JWEIFJgwEIhweiWJE");
  CHECK(e.media->mime_type == "image/jpeg");
  CHECK(e.media->sha256.empty());
  CHECK(e.text.empty());  // "filename.jpg" is the file name, not a caption (no `filename` key)
}

TEST_CASE("matrix: fixture m.location parses geo_uri") {
  const auto p = parseOk(txnOf("event_m.room.message__m.location.json"));
  REQUIRE(p.events.size() == 1);
  const auto& e = p.events[0];
  checkEnvelope(e, "@example:example.org");
  CHECK(e.kind == InboundKind::Location);
  REQUIRE(e.location);
  CHECK(e.location->lat == doctest::Approx(51.5008));
  CHECK(e.location->lon == doctest::Approx(0.1247));
  CHECK(e.location_accuracy_m == 0);
  CHECK(e.text.empty());
}

TEST_CASE("matrix: fixture m.notice from others is ignored") {
  const auto p = parseOk(txnOf("event_m.room.message__m.notice.json"));
  CHECK(p.events.empty());
  CHECK(p.ignored == 1);
}

TEST_CASE("matrix: fixture membership join and invites of others are ignored") {
  for (const char* f :
       {"event_m.room.member.json", "event_m.room.member__invite_room_state.json"}) {
    CAPTURE(f);
    const auto p = parseOk(txnOf(f));
    CHECK(p.events.empty());
    CHECK(p.invites.empty());
    CHECK(p.ignored == 1);
  }
}

TEST_CASE("matrix: fixture invite of the bot asks for a join") {
  const auto p = parseOk(fixture("transaction_ADAPTED_bot_invite.json"));
  REQUIRE(p.invites.size() == 1);
  CHECK(p.invites[0] == kRoom);
  REQUIRE(p.events.size() == 1);
  checkEnvelope(p.events[0], "@alice:example.org");
  CHECK(p.events[0].kind == InboundKind::Invite);
  // The same invite seen by another bot is nobody's business.
  const auto other = parseOk(fixture("transaction_ADAPTED_bot_invite.json"), "@other:example.org");
  CHECK(other.invites.empty());
  CHECK(other.events.empty());
}

TEST_CASE("matrix: fixture assembled transaction gives text, image, location in order") {
  const auto p = parseOk(fixture("transaction_assembled_invite_text_image_location.json"));
  REQUIRE(p.events.size() == 3);
  CHECK(p.events[0].kind == InboundKind::Text);
  CHECK(p.events[1].kind == InboundKind::Image);
  CHECK(p.events[2].kind == InboundKind::Location);
  for (const auto& e : p.events) { checkEnvelope(e, "@example:example.org"); }
  CHECK(p.invites.empty());  // the invite in it is for @alice, not for the bot
  CHECK(p.ignored == 1);
}

TEST_CASE("matrix: own events, state events, edits and ephemeral events are ignored") {
  json events = json::array();
  events.push_back(event("m.room.message", {{"msgtype", "m.text"}, {"body", "echo"}}, kBot, "$1"));
  events.push_back(event("m.room.message",
                         {{"msgtype", "m.text"},
                          {"body", "* fixed"},
                          {"m.new_content", {{"msgtype", "m.text"}, {"body", "fixed"}}},
                          {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", "$0"}}}},
                         "@c:example.org", "$2"));
  json topic = event("m.room.topic", {{"topic", "x"}}, "@c:example.org", "$3");
  topic["state_key"] = "";
  events.push_back(topic);
  events.push_back(event("m.reaction", json::object(), "@c:example.org", "$4"));
  events.push_back(json{{"type", "m.room.message"}});  // malformed: no ids
  const json typing = {{"type", "m.typing"},
                       {"room_id", kRoom},
                       {"content", {{"user_ids", {"@c:example.org"}}}}};
  const json body = {{"events", events}, {"ephemeral", json::array({typing})}};
  const auto p = parseOk(body.dump());
  CHECK(p.events.empty());
  CHECK(p.ignored == 5);
}

TEST_CASE("matrix: bridged senders are citizens like any other") {
  for (const char* sender : {"@signal_3f1c2b:example.org", "@whatsapp_4917612345678:example.org",
                             "@telegram_123456:example.org"}) {
    CAPTURE(sender);
    const json body = {{"events", json::array({event("m.room.message",
                                                      {{"msgtype", "m.text"}, {"body", "Hallo"}},
                                                      sender, "$b1")})}};
    const auto p = parseOk(body.dump());
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].user_id == sender);
    CHECK(p.events[0].kind == InboundKind::Text);
  }
}

TEST_CASE("matrix: encrypted messages ask for an unencrypted room, once per room") {
  json events = json::array();
  for (const char* id : {"$e1", "$e2"}) {
    events.push_back(event("m.room.encrypted",
                           {{"algorithm", "m.megolm.v1.aes-sha2"}, {"ciphertext", "AwgA"}},
                           "@c:example.org", id));
  }
  events.push_back(
      event("m.room.encrypted", {{"algorithm", "m.megolm.v1.aes-sha2"}}, kBot, "$e3"));
  const auto p = parseOk(json{{"events", events}}.dump());
  CHECK(p.events.empty());
  REQUIRE(p.encrypted_rooms.size() == 1);
  CHECK(p.encrypted_rooms[0] == kRoom);
}

TEST_CASE("matrix: a citizen leaving or banned becomes unreachable") {
  for (const char* membership : {"leave", "ban"}) {
    CAPTURE(membership);
    json ev = event("m.room.member", {{"membership", membership}}, "@mod:example.org", "$l1");
    ev["state_key"] = "@c:example.org";
    const auto p = parseOk(json{{"events", json::array({ev})}}.dump());
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].kind == InboundKind::Unreachable);
    CHECK(p.events[0].user_id == "@c:example.org");
    CHECK(p.events[0].chat_id == kRoom);
  }
}

TEST_CASE("matrix: replies lose their quoted fallback, captions and other msgtypes") {
  json reply = event("m.room.message",
                     {{"msgtype", "m.text"},
                      {"body",
                       "> <@_pothole_bot:example.org> Wo ist es?\n> zweite Zeile\n\nam Markt"},
                      {"m.relates_to", {{"m.in_reply_to", {{"event_id", "$q"}}}}}},
                     "@c:example.org", "$r1");
  json caption = event("m.room.message",
                       {{"msgtype", "m.image"},
                        {"body", "Loch vor der Apotheke"},
                        {"filename", "IMG_1.jpg"},
                        {"url", "mxc://example.org/abc_DEF-1"}},
                       "@c:example.org", "$r2");
  json bad_url = event("m.room.message",
                       {{"msgtype", "m.image"}, {"body", "x"}, {"url", "mxc://example.org/../etc"}},
                       "@c:example.org", "$r3");
  json audio = event("m.room.message", {{"msgtype", "m.audio"}, {"body", "a.ogg"}},
                     "@c:example.org", "$r4");
  json bad_geo = event("m.room.message", {{"msgtype", "m.location"}, {"body", "x"},
                                          {"geo_uri", "geo:95,10"}},
                       "@c:example.org", "$r5");
  const auto p = parseOk(json{{"events", {reply, caption, bad_url, audio, bad_geo}}}.dump());
  REQUIRE(p.events.size() == 5);
  CHECK(p.events[0].text == "am Markt");
  CHECK(p.events[1].kind == InboundKind::Image);
  CHECK(p.events[1].text == "Loch vor der Apotheke");
  CHECK(p.events[2].kind == InboundKind::Unsupported);
  CHECK(p.events[3].kind == InboundKind::Unsupported);
  CHECK(p.events[4].kind == InboundKind::Unsupported);
}

TEST_CASE("matrix: malformed transactions are refused") {
  for (const std::string& body : {std::string("{"), std::string("[]"), std::string("{}"),
                                 std::string(R"({"events":{}})"), std::string(100, '[')}) {
    CAPTURE(body);
    CHECK_FALSE(mx::parseTransaction(body, kBot));
  }
  CHECK(mx::parseTransaction(R"({"events":[]})", kBot));
}

TEST_CASE("matrix: geo_uri variants (RFC 5870)") {
  struct Case {
    const char* uri;
    double lat, lon, u;
  };
  for (const Case& c : {Case{"geo:48.0777,11.9706", 48.0777, 11.9706, 0},
                        Case{"geo:48.0777,11.9706;u=35", 48.0777, 11.9706, 35},
                        Case{"geo:48.0777,11.9706,550;u=12.5", 48.0777, 11.9706, 12.5},
                        Case{"GEO:-33.8688,151.2093;crs=wgs84;u=3", -33.8688, 151.2093, 3},
                        Case{"geo:48,11;U=7;foo=bar", 48, 11, 7},
                        Case{" geo:0,0 ", 0, 0, 0},
                        Case{"geo:90,-180", 90, -180, 0}}) {
    CAPTURE(c.uri);
    auto g = mx::parseGeoUri(c.uri);
    REQUIRE(g);
    CHECK(g->lat == doctest::Approx(c.lat));
    CHECK(g->lon == doctest::Approx(c.lon));
    CHECK(g->uncertainty_m == doctest::Approx(c.u));
  }
  for (const char* bad : {"", "geo:", "geo:48", "48.1,11.2", "geo:91,0", "geo:0,181",
                          "geo:a,b", "geo:1,2,3,4", "geo:1,2;u=-1", "geo:1,2;u=x",
                          "geo:1,2;crs=ellipsoid", "geo:1.2.3,4", "geo:1e2,3", "geo:nan,1",
                          "http:1,2", "geo:48,11;u=5;crs=wgs84"}) {
    CAPTURE(bad);
    CHECK_FALSE(mx::parseGeoUri(bad));
  }
}

TEST_CASE("matrix: mxc URIs are validated against path traversal") {
  auto ok = mx::parseMxc("mxc://matrix.example.org:8448/AbC_12-x");
  REQUIRE(ok);
  CHECK(ok->server_name == "matrix.example.org:8448");
  CHECK(ok->media_id == "AbC_12-x");
  for (const char* bad : {"", "mxc://", "mxc://example.org", "mxc://example.org/",
                          "mxc://example.org/a/b", "mxc://example.org/..", "mxc:///abc",
                          "https://example.org/abc", "mxc://exa mple.org/abc",
                          "mxc://example.org/a%2e"}) {
    CAPTURE(bad);
    CHECK_FALSE(mx::parseMxc(bad));
  }
}

TEST_CASE("matrix: hs_token check (bearer, legacy query parameter, both)") {
  const std::string tok = "hs-secret-token";
  using A = mx::AuthResult;
  CHECK(mx::verifyHsToken("Bearer hs-secret-token", false, "", tok) == A::Ok);
  CHECK(mx::verifyHsToken("bearer hs-secret-token", false, "", tok) == A::Ok);
  CHECK(mx::verifyHsToken("", true, "hs-secret-token", tok) == A::Ok);
  CHECK(mx::verifyHsToken("Bearer hs-secret-token", true, "hs-secret-token", tok) == A::Ok);
  CHECK(mx::verifyHsToken("", false, "", tok) == A::Missing);
  CHECK(mx::verifyHsToken("Bearer hs-secret-toke", false, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Bearer hs-secret-tokenX", false, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("hs-secret-token", false, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Basic hs-secret-token", false, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Bearer ", false, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("", true, "", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Bearer hs-secret-token", true, "wrong", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Bearer wrong", true, "hs-secret-token", tok) == A::Forbidden);
  CHECK(mx::verifyHsToken("Bearer ", false, "", "") == A::Forbidden);
}

TEST_CASE("matrix: the registration YAML has every field the spec requires") {
  mx::Settings s;
  s.server_name = "example.org";
  s.sender_localpart = "buergerbox";
  s.as_token = "as-tok";
  s.hs_token = "hs-tok";
  s.public_url = "https://buergerbox.example.org";
  const std::string yaml = mx::registrationYaml(s);
  for (const char* line : {"id: \"buergerbox\"\n", "url: \"https://buergerbox.example.org\"\n",
                           "as_token: \"as-tok\"\n", "hs_token: \"hs-tok\"\n",
                           "sender_localpart: \"buergerbox\"\n", "namespaces:\n", "  users:\n",
                           "    - exclusive: true\n",
                           "      regex: \"@buergerbox:example\\\\.org\"\n", "  aliases: []\n",
                           "  rooms: []\n", "rate_limited: false\n"}) {
    CAPTURE(line);
    CHECK(yaml.find(line) != std::string::npos);
  }
  // Every top-level key of the spec's example registration appears in ours, and the spec's
  // required list is covered.
  const std::string example = fixture("registration_spec_example.yaml");
  for (const char* key : {"id:", "url:", "as_token:", "hs_token:", "sender_localpart:",
                          "namespaces:"}) {
    CHECK(example.find(std::string("\n") + key) != std::string::npos);
    CHECK(yaml.find(std::string("\n") + key) != std::string::npos);
  }
  const json required =
      specExtract()["components"]["schemas"]["registration"]["required"];
  for (const auto& key : required) {
    CHECK(yaml.find("\n" + key.get<std::string>() + ":") != std::string::npos);
  }
}

TEST_CASE("matrix: replies are m.text (bridges relay it), number the choices, match the schema") {
  bb::OutboundMessage m;
  m.text = "Was möchten Sie tun? <b>";
  m.choices = {{"report", "Mangel melden"}, {"letter", "Nachricht an die Stadt"}};
  const json content = json::parse(mx::renderMessageContent(m));
  CHECK(content["msgtype"] == "m.text");
  CHECK(content["body"] ==
        "Was möchten Sie tun? <b>\n\n1. Mangel melden\n2. Nachricht an die Stadt");
  CHECK(content["format"] == "org.matrix.custom.html");
  CHECK(content["formatted_body"] ==
        "Was möchten Sie tun? &lt;b&gt;<ol><li>Mangel melden</li><li>Nachricht an die "
        "Stadt</li></ol>");
  const std::string ref = "#/components/schemas/m.room.message$m.text/properties/content";
  for (const auto& e : bb::tests::openapi::validate(specExtract(), content, ref)) {
    FAIL_CHECK("schema violation: " << e);
  }
  bb::OutboundMessage plain;
  plain.text = "Danke.";
  const json p = json::parse(mx::renderMessageContent(plain));
  CHECK(p == json{{"msgtype", "m.text"}, {"body", "Danke."}});
  CHECK(bb::tests::openapi::validate(specExtract(), p, ref).empty());
}

TEST_CASE("matrix: client-server calls URL-encode room ids and txn ids") {
  mx::Settings s;
  s.homeserver_url = "https://hs.example.org/";
  s.server_name = "example.org";
  s.sender_localpart = "buergerbox";
  s.as_token = "as-tok";
  const auto send = mx::sendCall("!room:example.org", "bb-12", "{}", s);
  CHECK(send.method == "PUT");
  CHECK(send.url ==
        "https://hs.example.org/_matrix/client/v3/rooms/%21room%3Aexample.org/send/"
        "m.room.message/bb-12?user_id=%40buergerbox%3Aexample.org");
  REQUIRE_FALSE(send.headers.empty());
  CHECK(send.headers[0] ==
        std::make_pair(std::string("Authorization"), std::string("Bearer as-tok")));
  const auto join = mx::joinCall("!room:example.org", s);
  CHECK(join.method == "POST");
  CHECK(join.url == "https://hs.example.org/_matrix/client/v3/rooms/%21room%3Aexample.org/join"
                    "?user_id=%40buergerbox%3Aexample.org");
  CHECK(join.body == "{}");
  const auto dl = mx::downloadCall(mx::MxcUri{"example.org", "AbC"}, s);
  CHECK(dl.method == "GET");
  CHECK(dl.url ==
        "https://hs.example.org/_matrix/client/v1/media/download/example.org/AbC?timeout_ms=20000");
  CHECK(dl.url.find("as-tok") == std::string::npos);  // never a token in the query
}

TEST_CASE("matrix: replies are classified (rate limits honoured)") {
  using K = mx::CallOutcome::Kind;
  bb::HttpReply ok{200, {}, R"({"event_id":"$abc"})", ""};
  CHECK(mx::classifyReply(ok).kind == K::Ok);
  CHECK(mx::classifyReply(ok).event_id == "$abc");
  bb::HttpReply limited{429, {{"retry-after", "3"}},
                        R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000})", ""};
  auto l = mx::classifyReply(limited);
  CHECK(l.kind == K::RateLimited);
  CHECK(l.retry_after == std::chrono::seconds(3));  // the header wins (retry_after_ms deprecated)
  CHECK(l.error_code == "M_LIMIT_EXCEEDED");
  bb::HttpReply legacy{429, {}, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000})", ""};
  CHECK(mx::classifyReply(legacy).retry_after == std::chrono::milliseconds(2000));
  CHECK(mx::classifyReply(bb::HttpReply{0, {}, "", "timeout"}).kind == K::Retry);
  CHECK(mx::classifyReply(bb::HttpReply{502, {}, "<html>", ""}).kind == K::Retry);
  CHECK(mx::classifyReply(bb::HttpReply{502, {}, "<html>", ""}).error_code == "http_502");
  bb::HttpReply forbidden{403, {}, R"({"errcode":"M_FORBIDDEN","error":"not in room"})", ""};
  CHECK(mx::classifyReply(forbidden).kind == K::Forbidden);
  CHECK(mx::classifyReply(bb::HttpReply{400, {}, R"({"errcode":"M_BAD_JSON"})", ""}).kind ==
        K::Permanent);
}

TEST_CASE("matrix: an origin_server_ts no clock can hold reads as unknown, without overflow") {
  // 14327358246532 ms (year 2424): found by fuzz.matrix_transaction_fuzz after the first fix (the
  // clock counts nanoseconds: it ends in 2262, not 5138).
  for (const std::int64_t ts : {std::int64_t{9'000'000'000'000'000'000}, std::int64_t{-1},
                                std::int64_t{14'327'358'246'532}, std::int64_t{9'000'000'000'001}}) {
    json e = event("m.room.message", {{"msgtype", "m.text"}, {"body", "Hallo"}}, "@a:example.org",
                   "$overflow" + std::to_string(ts));
    e["origin_server_ts"] = ts;
    const auto parsed = parseOk(json{{"events", json::array({e})}}.dump());
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].sent_at == bb::SysTime{});
  }
}
