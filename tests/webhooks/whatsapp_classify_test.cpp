// WhatsApp send replies (Graph error codes) and the two media download steps.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "webhooks/whatsapp/whatsapp.hpp"

namespace wa = bb::webhooks::whatsapp;
using Kind = wa::SendOutcome::Kind;

namespace {

std::string readFixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/whatsapp/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bb::HttpReply reply(int status, std::string body, std::map<std::string, std::string> headers = {}) {
  bb::HttpReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

//! A Graph error body as Meta documents it (channels.md §1.8), with a synthesized code.
std::string graphError(int code, const std::string& message) {
  return R"({"error":{"message":")" + message + R"(","type":"OAuthException","code":)" +
         std::to_string(code) + R"(,"error_data":{"messaging_product":"whatsapp","details":"x"},)"
         R"("fbtrace_id":"AbC"}})";
}

wa::Settings settings() {
  wa::Settings s;
  s.api_base = "https://graph.facebook.com/v23.0";
  s.phone_number_id = "106540352242922";
  s.access_token = "EAAtoken";
  return s;
}

}  // namespace

TEST_CASE("whatsapp: a 200 with messages[0].id is Sent") {
  const auto out = wa::classifySendReply(reply(200, readFixture("send_text_response.json")));
  CHECK(out.kind == Kind::Sent);
  CHECK(out.provider_message_id == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA");
  CHECK(out.error_code.empty());
  SUBCASE("an accepted reply without an id is still Sent (a retry could double it)") {
    CHECK(wa::classifySendReply(reply(200, "{}")).kind == Kind::Sent);
    CHECK(wa::classifySendReply(reply(200, "garbage")).provider_message_id.empty());
  }
}

TEST_CASE("whatsapp: 130429 from Meta's example is RateLimited, Retry-After honoured") {
  const std::string body = readFixture("graph_error_response_130429.json");
  auto out = wa::classifySendReply(reply(400, body));
  CHECK(out.kind == Kind::RateLimited);
  CHECK(out.error_code == "130429");
  CHECK(out.error_title == "(#130429) Rate limit hit");
  CHECK(out.retry_after == std::chrono::milliseconds{0});
  out = wa::classifySendReply(reply(429, body, {{"retry-after", "7"}}));
  CHECK(out.kind == Kind::RateLimited);
  CHECK(out.retry_after == std::chrono::seconds{7});
  SUBCASE("an HTTP-date or garbage Retry-After is ignored; huge values are capped") {
    const auto date = reply(429, body, {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}});
    CHECK(wa::classifySendReply(date).retry_after == std::chrono::milliseconds{0});
    CHECK(wa::classifySendReply(reply(429, body, {{"retry-after", "-3"}})).retry_after ==
          std::chrono::milliseconds{0});
    CHECK(wa::classifySendReply(reply(429, body, {{"retry-after", "99999999"}})).retry_after ==
          std::chrono::hours{24});
  }
}

TEST_CASE("whatsapp: send errors are classified by Graph code, not HTTP status") {
  struct Case {
    int code;
    Kind kind;
  };
  const Case cases[] = {
      {4, Kind::RateLimited},      {80007, Kind::RateLimited},   {130429, Kind::RateLimited},
      {131056, Kind::RateLimited}, {131047, Kind::NeedTemplate}, {131026, Kind::Permanent},
      {131051, Kind::Permanent},   {131021, Kind::Permanent},    {131009, Kind::Permanent},
      {131050, Kind::Permanent},   {190, Kind::Permanent},       {132000, Kind::Permanent},
      {1, Kind::Retry},            {2, Kind::Retry},             {131000, Kind::Retry},
      {131016, Kind::Retry},       {131057, Kind::Retry},
  };
  for (const Case& c : cases) {
    CAPTURE(c.code);
    for (const int status : {400, 403, 500}) {
      CAPTURE(status);
      const auto out = wa::classifySendReply(reply(status, graphError(c.code, "(#x) Fehler")));
      CHECK(out.kind == c.kind);
      CHECK(out.error_code == std::to_string(c.code));
      CHECK(out.provider_message_id.empty());
    }
  }
  SUBCASE("131047 re-engagement keeps its title for staff") {
    const auto out = wa::classifySendReply(
        reply(400, graphError(131047, "Re-engagement message"), {{"retry-after", "5"}}));
    CHECK(out.kind == Kind::NeedTemplate);
    CHECK(out.error_title == "Re-engagement message");
    CHECK(out.retry_after == std::chrono::milliseconds{0});
  }
}

TEST_CASE("whatsapp: without a Graph code the HTTP status decides") {
  auto out = wa::classifySendReply(reply(500, "<html>Internal Server Error</html>"));
  CHECK(out.kind == Kind::Retry);
  CHECK(out.error_code == "http_500");
  out = wa::classifySendReply(reply(503, "", {{"retry-after", "30"}}));
  CHECK(out.kind == Kind::Retry);
  CHECK(out.retry_after == std::chrono::seconds{30});
  CHECK(wa::classifySendReply(reply(429, "")).kind == Kind::RateLimited);
  CHECK(wa::classifySendReply(reply(400, "{\"error\":{\"code\":\"x\"}}")).kind == Kind::Permanent);
  CHECK(wa::classifySendReply(reply(404, "{}")).kind == Kind::Permanent);
  SUBCASE("no answer at all (timeout, reset, DNS) is Retry") {
    bb::HttpReply none;
    none.transport_error = "Operation timed out";
    out = wa::classifySendReply(none);
    CHECK(out.kind == Kind::Retry);
    CHECK(out.error_code == "transport");
  }
  SUBCASE("an unknown code on a 5xx is retried, on a 4xx it is permanent") {
    CHECK(wa::classifySendReply(reply(502, graphError(999999, "new"))).kind == Kind::Retry);
    CHECK(wa::classifySendReply(reply(400, graphError(999999, "new"))).kind == Kind::Permanent);
  }
  SUBCASE("long error messages are shortened") {
    out = wa::classifySendReply(reply(400, graphError(100, std::string(500, 'e'))));
    CHECK(out.error_title.size() <= 120 + 2);
  }
}

TEST_CASE("whatsapp: media download is two bearer GETs, the second capped at 5 MB") {
  const auto info = wa::mediaInfoCall("1003383421387256", settings());
  CHECK(info.method == "GET");
  CHECK(info.url ==
        "https://graph.facebook.com/v23.0/1003383421387256?phone_number_id=106540352242922");
  CHECK(info.body.empty());
  CHECK(info.headers ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer EAAtoken"}});
  CHECK(wa::mediaInfoCall("../me?x=1", settings()).url ==
        "https://graph.facebook.com/v23.0/..%2Fme%3Fx%3D1?phone_number_id=106540352242922");

  const std::string url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133";
  const auto parsed = wa::parseMediaUrl(
      reply(200, R"({"messaging_product":"whatsapp","url":")" + url +
                     R"(","mime_type":"image/jpeg","sha256":"abc","file_size":"303833",)"
                     R"("id":"1003383421387256"})"));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == url);

  const auto download = wa::mediaDownloadCall(url, settings());
  CHECK(download.method == "GET");
  CHECK(download.url == url);
  CHECK(download.headers ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer EAAtoken"}});
  CHECK(download.max_response_bytes == 5u * 1024u * 1024u);

  SUBCASE("bad media info replies are Upstream errors") {
    for (const auto& bad : {reply(404, graphError(100, "Unsupported get request")),
                            reply(200, "not json"), reply(200, "{\"id\":\"1\"}"),
                            reply(200, "{\"url\":42}"),
                            reply(200, "{\"url\":\"file:///etc/passwd\"}"),
                            reply(0, "")}) {
      const auto r = wa::parseMediaUrl(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(std::string(bb::toString(r.error().code)) == "upstream");
    }
  }
}
