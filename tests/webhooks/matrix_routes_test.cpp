// Matrix application-service routes without sockets: token checks before anything is parsed or
// stored, repeated transactions, joins and encrypted-room notices with retries, the query and
// ping endpoints, the outbox sender and the media fetcher (webhooks/matrix/channel.hpp).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/server_process.hpp"
#include "webhooks/matrix/channel.hpp"

namespace {

namespace mx = bb::webhooks::matrix;
using nlohmann::json;

constexpr const char* kHsToken = "hs-token-for-tests";
constexpr const char* kRoom = "!jEsUZKDJdhlrceRyVU:example.org";

class FakeHttp final : public bb::HttpClient {
public:
  bb::HttpReply send(const bb::HttpCall& call) override {
    calls.push_back(call);
    if (!replies.empty()) {
      auto r = replies.front();
      replies.pop_front();
      return r;
    }
    return bb::HttpReply{200, {}, R"({"event_id":"$sent","room_id":"!r:example.org"})", ""};
  }
  std::vector<bb::HttpCall> calls;
  std::deque<bb::HttpReply> replies;
};

//! The processed txnIds in memory.
class FakeTransactionLog final : public bb::MatrixTransactionLog {
public:
  bb::Result<bool> seen(const std::string& id) override { return txns.count(id) > 0; }
  bb::Result<void> record(const std::string& id) override {
    txns.insert(id);
    return {};
  }
  std::set<std::string> txns;
};

struct Fixture {
  mx::Settings settings;
  FakeHttp http;
  std::vector<std::vector<bb::InboundEvent>> ingested;
  FakeTransactionLog transactions;
  std::set<std::string>& txns = transactions.txns;
  bool storage_down = false;
  std::vector<bb::Route> routes;

  Fixture() {
    settings.homeserver_url = "http://hs.test";
    settings.server_name = "example.org";
    settings.sender_localpart = "_pothole_bot";
    settings.as_token = "as-token-for-tests";
    settings.hs_token = kHsToken;
    settings.encrypted_notice = "Bitte unverschlüsselt.";
    routes = mx::routes(
        settings,
        [this](const std::vector<bb::InboundEvent>& events) -> bb::Result<bb::IngestReport> {
          if (storage_down) { return bb::fail(bb::ErrorCode::Unavailable, "down"); }
          ingested.push_back(events);
          return bb::IngestReport{static_cast<int>(events.size()), 0};
        },
        transactions, http, 1024 * 1024);
  }

  bb::HttpResponse call(const std::string& method, const std::string& path,
                        const std::string& body = "{}", const std::string& auth = "",
                        const std::string& access_token = "", bool legacy_param = false) {
    for (const auto& r : routes) {
      std::regex re(r.pattern);
      std::smatch m;
      if (r.method != method || !std::regex_match(path, m, re)) { continue; }
      bb::HttpRequest req;
      req.method = method;
      req.path = path;
      req.body = body;
      for (std::size_t i = 1; i < m.size(); ++i) { req.matches.push_back(m[i].str()); }
      if (!auth.empty()) { req.headers["authorization"] = auth; }
      if (legacy_param) { req.params.emplace("access_token", access_token); }
      return r.handler(req);
    }
    FAIL("no route for " << method << " " << path);
    return {};
  }
  bb::HttpResponse put(const std::string& txn, const std::string& body) {
    return call("PUT", "/_matrix/app/v1/transactions/" + txn, body,
                std::string("Bearer ") + kHsToken);
  }
};

std::string textTxn(const std::string& event_id, const std::string& text = "Hallo") {
  return json{{"events",
               {{{"type", "m.room.message"},
                 {"event_id", event_id},
                 {"room_id", kRoom},
                 {"sender", "@signal_abc:example.org"},
                 {"origin_server_ts", 1},
                 {"content", {{"msgtype", "m.text"}, {"body", text}}}}}}}
      .dump();
}

}  // namespace

TEST_CASE("matrix: bad or missing hs_token → 403/401 and nothing stored") {
  Fixture f;
  const std::string body = textTxn("$a");
  auto wrong = f.call("PUT", "/_matrix/app/v1/transactions/1", body, "Bearer wrong");
  CHECK(wrong.status == 403);
  CHECK(json::parse(wrong.body)["errcode"] == "M_FORBIDDEN");
  auto legacy_wrong = f.call("PUT", "/transactions/1", body, "", "wrong", true);
  CHECK(legacy_wrong.status == 403);
  auto both_one_wrong = f.call("PUT", "/_matrix/app/v1/transactions/1", body,
                               std::string("Bearer ") + kHsToken, "wrong", true);
  CHECK(both_one_wrong.status == 403);
  auto none = f.call("PUT", "/_matrix/app/v1/transactions/1", body);
  CHECK(none.status == 401);
  CHECK(json::parse(none.body)["errcode"] == "M_UNAUTHORIZED");
  // Unparsable bodies with a bad token are refused before parsing.
  CHECK(f.call("PUT", "/_matrix/app/v1/transactions/2", "{", "Bearer x").status == 403);
  CHECK(f.ingested.empty());
  CHECK(f.txns.empty());
  CHECK(f.http.calls.empty());
  for (const char* path :
       {"/_matrix/app/v1/users/%40a%3Aexample.org", "/_matrix/app/v1/rooms/%23a"}) {
    CHECK(f.call("GET", path, "", "Bearer wrong").status == 403);
  }
  CHECK(f.call("POST", "/_matrix/app/v1/ping", "{}", "Bearer wrong").status == 403);
}

TEST_CASE("matrix: a transaction is stored once, a repeated txnId is not processed again") {
  Fixture f;
  auto first = f.put("35", textTxn("$a"));
  CHECK(first.status == 200);
  CHECK(first.body == "{}");
  REQUIRE(f.ingested.size() == 1);
  CHECK(f.ingested[0].size() == 1);
  CHECK(f.txns.count("35") == 1);
  auto again = f.put("35", textTxn("$a"));
  CHECK(again.status == 200);
  CHECK(again.body == "{}");
  CHECK(f.ingested.size() == 1);
  // Legacy path and legacy access_token work too.
  auto legacy = f.call("PUT", "/transactions/36", textTxn("$b"), "", kHsToken, true);
  CHECK(legacy.status == 200);
  CHECK(f.ingested.size() == 2);
  CHECK(f.put("37", "{").status == 400);
  CHECK(f.txns.count("37") == 0);
}

TEST_CASE("matrix: storage down → 503 and the txnId is not recorded (the HS retries)") {
  Fixture f;
  f.storage_down = true;
  CHECK(f.put("40", textTxn("$a")).status == 503);
  CHECK(f.txns.empty());
  f.storage_down = false;
  CHECK(f.put("40", textTxn("$a")).status == 200);
  CHECK(f.ingested.size() == 1);
}

TEST_CASE("matrix: an invite of the bot is joined, a failed join makes the HS retry") {
  Fixture f;
  const std::string body = bb::test::readFile(std::string(BB_FIXTURE_DIR) +
                                              "/matrix/transaction_ADAPTED_bot_invite.json");
  f.http.replies.push_back(bb::HttpReply{502, {}, "", ""});
  CHECK(f.put("50", body).status == 503);
  CHECK(f.txns.empty());
  CHECK(f.put("50", body).status == 200);
  REQUIRE(f.http.calls.size() == 3);  // the failed join, the join, then the member count
  const auto& join = f.http.calls[1];
  CHECK(join.method == "POST");
  CHECK(join.url == "http://hs.test/_matrix/client/v3/rooms/%21jEsUZKDJdhlrceRyVU%3Aexample.org"
                    "/join?user_id=%40_pothole_bot%3Aexample.org");
  CHECK(join.body == "{}");
  CHECK(f.http.calls[2].method == "GET");
  CHECK(f.http.calls[2].url == "http://hs.test/_matrix/client/v3/rooms/%21jEsUZKDJdhlrceRyVU%3A"
                               "example.org/members?not_membership=leave&user_id=%40_pothole_bot"
                               "%3Aexample.org");
  // Both attempts stored the (same) invite event; the engine deduplicates it by event_id.
  CHECK(f.ingested.size() == 2);
  CHECK(f.ingested[0][0].kind == bb::InboundKind::Invite);
  // A permanent refusal (invite withdrawn) is acknowledged.
  f.http.replies.push_back(bb::HttpReply{403, {}, R"({"errcode":"M_FORBIDDEN"})", ""});
  const auto before = f.http.calls.size();
  CHECK(f.put("51", body).status == 200);
  CHECK(f.http.calls.size() == before + 1);  // no member count without a join
}

TEST_CASE("matrix: members are counted from the /members answer (joined and invited)") {
  const auto member = [](const char* user, const char* membership) {
    return json{{"type", "m.room.member"}, {"state_key", user},
                {"content", {{"membership", membership}}}};
  };
  const json three = {{"chunk", {member("@a:x", "join"), member("@b:x", "invite"),
                                 member("@bot:x", "join"), member("@c:x", "ban")}}};
  CHECK(mx::countMembers(three.dump()) == 3);
  CHECK(mx::countMembers(three.dump(), {"@b:x"}) == 2);  // a bridge bot is not a person
  CHECK(mx::countMembers(R"({"chunk":[]})") == 0);
  CHECK_FALSE(mx::countMembers("{}").has_value());
  CHECK_FALSE(mx::countMembers("[").has_value());
}

TEST_CASE("matrix: encrypted messages get the unencrypted-room notice") {
  Fixture f;
  const json body = {{"events",
                      {{{"type", "m.room.encrypted"},
                        {"event_id", "$enc"},
                        {"room_id", kRoom},
                        {"sender", "@c:example.org"},
                        {"origin_server_ts", 1},
                        {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}}}}};
  CHECK(f.put("60", body.dump()).status == 200);
  REQUIRE(f.http.calls.size() == 1);
  const auto& notice = f.http.calls[0];
  CHECK(notice.method == "PUT");
  CHECK(notice.url.find("/send/m.room.message/bb-enc-") != std::string::npos);
  const json content = json::parse(notice.body);
  CHECK(content["msgtype"] == "m.text");
  CHECK(content["body"] == "Bitte unverschlüsselt.");
  CHECK(f.ingested.empty());
}

TEST_CASE("matrix: user and room queries answer 404, ping answers 200, unknown paths 404") {
  Fixture f;
  const std::string auth = std::string("Bearer ") + kHsToken;
  for (const char* path :
       {"/_matrix/app/v1/users/%40a%3Aexample.org", "/_matrix/app/v1/rooms/%23a"}) {
    auto r = f.call("GET", path, "", auth);
    CHECK(r.status == 404);
    CHECK(json::parse(r.body)["errcode"] == "M_NOT_FOUND");
  }
  auto ping = f.call("POST", "/_matrix/app/v1/ping", R"({"transaction_id":"meow"})", auth);
  CHECK(ping.status == 200);
  CHECK(ping.body == "{}");
  auto unknown = f.call("GET", "/_matrix/app/v1/thirdparty/protocol/x", "", auth);
  CHECK(unknown.status == 404);
  CHECK(json::parse(unknown.body)["errcode"] == "M_UNRECOGNIZED");
}

TEST_CASE("matrix: sender maps homeserver answers to outbox outcomes") {
  using K = bb::outbox::SendResult::Kind;
  Fixture f;
  mx::Sender sender(f.settings, f.http);
  bb::OutboxRow row;
  row.id = 4711;
  bb::OutboundMessage m;
  m.text = "Danke";
  auto sent = sender.send(row, kRoom, m);
  CHECK(sent.kind == K::Sent);
  CHECK(sent.provider_message_id == "$sent");
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls[0].url.find("/send/m.room.message/bb-4711?user_id=") != std::string::npos);
  f.http.replies.push_back(
      bb::HttpReply{429, {{"retry-after", "2"}}, R"({"errcode":"M_LIMIT_EXCEEDED"})", ""});
  auto limited = sender.send(row, kRoom, m);
  CHECK(limited.kind == K::RateLimited);
  CHECK(limited.retry_after == std::chrono::seconds(2));
  CHECK(f.http.calls.back().url == f.http.calls.front().url);  // same txnId on retry
  f.http.replies.push_back(bb::HttpReply{0, {}, "", "timeout"});
  CHECK(sender.send(row, kRoom, m).kind == K::Retry);
  f.http.replies.push_back(bb::HttpReply{503, {}, "", ""});
  CHECK(sender.send(row, kRoom, m).kind == K::Retry);
  f.http.replies.push_back(bb::HttpReply{403, {}, R"({"errcode":"M_FORBIDDEN"})", ""});
  CHECK(sender.send(row, kRoom, m).kind == K::Unreachable);
  f.http.replies.push_back(bb::HttpReply{400, {}, R"({"errcode":"M_BAD_JSON"})", ""});
  CHECK(sender.send(row, kRoom, m).kind == K::Permanent);
}

TEST_CASE("matrix: media fetcher downloads through the authenticated media API") {
  using K = bb::media::FetchResult::Kind;
  Fixture f;
  mx::MediaFetcher fetcher(f.settings, f.http);
  bb::MediaJob job;
  job.source_ref = "mxc://example.org/JWEIFJgwEIhweiWJE";
  f.http.replies.push_back(bb::HttpReply{200, {{"content-type", "image/jpeg"}}, "JPEGBYTES", ""});
  auto ok = fetcher.fetch(job);
  CHECK(ok.kind == K::Ok);
  CHECK(ok.bytes == "JPEGBYTES");
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls[0].url ==
        "http://hs.test/_matrix/client/v1/media/download/example.org/JWEIFJgwEIhweiWJE"
        "?timeout_ms=20000");
  f.http.replies.push_back(bb::HttpReply{504, {}, R"({"errcode":"M_NOT_YET_UPLOADED"})", ""});
  CHECK(fetcher.fetch(job).kind == K::Retry);
  f.http.replies.push_back(bb::HttpReply{502, {}, R"({"errcode":"M_TOO_LARGE"})", ""});
  CHECK(fetcher.fetch(job).kind == K::Reject);
  f.http.replies.push_back(bb::HttpReply{404, {}, R"({"errcode":"M_NOT_FOUND"})", ""});
  CHECK(fetcher.fetch(job).kind == K::Reject);
  job.source_ref = "mxc://example.org/../../etc/passwd";
  const auto before = f.http.calls.size();
  CHECK(fetcher.fetch(job).kind == K::Reject);
  CHECK(f.http.calls.size() == before);
}
