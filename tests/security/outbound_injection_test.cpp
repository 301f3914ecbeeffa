// Issue 14, header injection towards outbound requests: ids, paths and URLs that the platforms
// send us end up in the URLs and headers of our next calls. Each adapter must encode or refuse
// them, and the libcurl client must refuse line breaks anywhere in a header or the URL, so a
// hostile id can never add a header line or a second request on the wire.

#include <doctest/doctest.h>

#include <string>

#include "bot/ports.hpp"
#include "tests/reliability/fake_apis.hpp"
#include "webhooks/matrix/matrix.hpp"
#include "webhooks/telegram/telegram.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace {

const std::string kEvil = "12\r\nX-Injected: yes\r\n\r\nGET /evil HTTP/1.1\r\nHost: x";

bool hasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

void checkCall(const bb::HttpCall& call) {
  CAPTURE(call.url);
  CHECK_FALSE(hasLineBreak(call.url));
  CHECK(call.url.find(' ') == std::string::npos);
  CHECK(call.url.find("/evil") == std::string::npos);
  for (const auto& [name, value] : call.headers) {
    CHECK_FALSE(hasLineBreak(name));
    CHECK_FALSE(hasLineBreak(value));
  }
}

}  // namespace

TEST_CASE("security: adapters encode or refuse hostile media ids, mxc URIs and file paths") {
  namespace wa = bb::webhooks::whatsapp;
  namespace tg = bb::webhooks::telegram;
  namespace mx = bb::webhooks::matrix;

  wa::Settings was;
  was.api_base = "https://graph.example/v23.0";
  was.phone_number_id = "1065";
  was.access_token = "token";
  checkCall(wa::mediaInfoCall(kEvil, was));
  checkCall(wa::mediaInfoCall("../../me/accounts", was));
  CHECK(wa::mediaInfoCall("../../me/accounts", was).url.find("/../") == std::string::npos);
  // A media URL answered with a line break is refused before any download.
  bb::HttpReply info;
  info.status = 200;
  info.body = R"({"url":"https://lookaside.example/x\r\nX-Injected: yes","mime_type":"image/jpeg"})";
  CHECK_FALSE(wa::parseMediaUrl(info).has_value());
  info.body = R"({"url":"https://lookaside.example/a b","mime_type":"image/jpeg"})";
  CHECK_FALSE(wa::parseMediaUrl(info).has_value());
  info.body = R"({"url":"https://lookaside.example/ok?x=1","mime_type":"image/jpeg"})";
  CHECK(wa::parseMediaUrl(info).has_value());

  mx::Settings mxs;
  mxs.homeserver_url = "https://hs.example";
  mxs.as_token = "as";
  for (const std::string& uri :
       {"mxc://example.org/" + kEvil, std::string("mxc://exa\r\nmple.org/abc"),
        std::string("mxc://example.org/../../_matrix/evil")}) {
    CAPTURE(uri);
    if (auto mxc = mx::parseMxc(uri)) {
      const bb::HttpCall call = mx::downloadCall(*mxc, mxs);
      checkCall(call);
      CHECK(call.url.find("/../") == std::string::npos);
    }
  }

  tg::Settings tgs;
  tgs.api_base = "https://api.telegram.example";
  tgs.bot_token = "1:tok";
  for (const std::string& path : {std::string("photos/../../bot1:tok/getMe"), std::string("/etc/passwd"),
                                 "photos/" + kEvil, std::string("photos/a b.jpg"),
                                 std::string("photos/x.jpg?y=1")}) {
    CAPTURE(path);
    bb::HttpReply reply;
    reply.status = 200;
    reply.body = nlohmann::json{{"ok", true},
                                {"result", {{"file_id", "f"}, {"file_path", path}}}}
                     .dump();
    CHECK_FALSE(tg::parseFilePath(reply).has_value());
  }
  checkCall(tg::getFileCall(kEvil, tgs));
}

TEST_CASE("security: the libcurl client never puts a line break on the wire") {
  bb::test::FakeApis apis;
  auto http = bb::makeCurlHttpClient();

  bb::HttpCall header;
  header.method = "GET";
  header.url = apis.base() + "/v23.0/123";
  header.headers = {{"Authorization", "Bearer " + kEvil}};
  const bb::HttpReply refused = http->send(header);
  CHECK(refused.status == 0);

  bb::HttpCall in_url;
  in_url.method = "GET";
  in_url.url = apis.base() + "/v23.0/" + kEvil;
  const bb::HttpReply bad_url = http->send(in_url);
  CHECK(bad_url.status == 0);

  bb::HttpCall fine;
  fine.method = "GET";
  fine.url = apis.base() + "/v23.0/123";
  fine.headers = {{"Authorization", "Bearer ok"}};
  CHECK(http->send(fine).status == 200);

  // Only the harmless call reached the server, and nothing injected arrived anywhere.
  const auto heads = apis.requestLines();
  CHECK(heads.size() == 1);
  for (const auto& head : heads) {
    CHECK(head.find("X-Injected") == std::string::npos);
    CHECK(head.find("/evil") == std::string::npos);
  }
}
