#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/conversation/citizen_message.hpp"
#include "bot/geo/import.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "support/engine_harness.hpp"
#include "support/privacy_checks.hpp"
#include "web/webchat.hpp"

using bb::HttpRequest;
using bb::HttpResponse;

namespace {

struct ChatFixture {
  bb::test::EngineHarness h;
  bb::test::TempDir media_dir;
  bb::media::MediaStore media{media_dir.path() + "/media"};
  std::unique_ptr<bb::web::WebChat> chat;
  std::string session;
  std::string csrf;

  explicit ChatFixture(int per_minute = 30) {
    bb::web::WebChatOptions o;
    o.asset_dir = std::string(BB_SOURCE_DIR) + "/web/static";
    o.messages_per_minute = per_minute;
    o.max_message_chars = 50;
    o.max_upload_bytes = 2 * 1024 * 1024;
    o.long_poll = std::chrono::milliseconds(0);
    o.csrf_key = "test-csrf-key";
    chat = std::make_unique<bb::web::WebChat>(*h.engine, *h.store, media, h.clock, h.random, o);
    auto page = chat->page(HttpRequest{});
    REQUIRE(page.status == 200);
    std::smatch m;
    for (const auto& [name, value] : page.headers) {
      if (name == "Set-Cookie" && std::regex_search(value, m, std::regex("bb_chat=([0-9a-f]{32})"))) {
        session = m[1];
      }
    }
    REQUIRE_FALSE(session.empty());
    REQUIRE(std::regex_search(page.body, m, std::regex("csrf-token\" content=\"([0-9a-f]{64})\"")));
    csrf = m[1];
  }

  HttpRequest post(const std::string& body, bool with_csrf = true, bool with_cookie = true) const {
    HttpRequest r;
    r.method = "POST";
    r.body = body;
    if (with_cookie) { r.headers["cookie"] = "bb_chat=" + session; }
    if (with_csrf) { r.headers["x-csrf-token"] = csrf; }
    return r;
  }

  nlohmann::json poll(std::int64_t after = 0) {
    REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
    HttpRequest r;
    r.headers["cookie"] = "bb_chat=" + session;
    r.params.emplace("after", std::to_string(after));
    auto res = chat->messages(r);
    REQUIRE(res.status == 200);
    return nlohmann::json::parse(res.body);
  }

  std::int64_t events() { return h.scalar("SELECT count(*) FROM inbound_events"); }
};

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) { return v; }
  }
  return {};
}

}  // namespace

TEST_CASE("webchat: the page sets an HttpOnly SameSite=Strict session cookie and a strict CSP") {
  ChatFixture f;
  auto page = f.chat->page(HttpRequest{});
  CHECK(header(page, "Set-Cookie").find("HttpOnly") != std::string::npos);
  CHECK(header(page, "Set-Cookie").find("SameSite=Strict") != std::string::npos);
  CHECK(header(page, "Content-Security-Policy").find("default-src 'none'") != std::string::npos);
  CHECK(page.body.find("{{") == std::string::npos);  // every placeholder filled
  // A returning browser keeps its session: no new cookie.
  HttpRequest again;
  again.headers["cookie"] = "bb_chat=" + f.session;
  CHECK(header(f.chat->page(again), "Set-Cookie").empty());
}

TEST_CASE("webchat: posts need the session cookie and its CSRF token, nothing is stored otherwise") {
  ChatFixture f;
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})", false)).status == 403);
  auto wrong = f.post(R"({"text":"Hallo"})");
  wrong.headers["x-csrf-token"] = std::string(64, '0');
  CHECK(f.chat->send(wrong).status == 403);
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})", true, false)).status == 403);
  CHECK(f.events() == 0);
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  CHECK(f.events() == 1);
}

TEST_CASE("webchat: bad input gets clear errors") {
  ChatFixture f;
  CHECK(f.chat->send(f.post("not json")).status == 400);
  CHECK(f.chat->send(f.post(R"({"lat": 91, "lon": 0})")).status == 400);
  CHECK(f.chat->send(f.post(R"({"nothing": 1})")).status == 400);
  auto too_long = f.chat->send(f.post(R"({"text":")" + std::string(51, 'x') + "\"}"));
  CHECK(too_long.status == 413);
  CHECK(nlohmann::json::parse(too_long.body)["message"].get<std::string>() ==
        f.h.text("webchat.error.too_long"));
  // 50 umlauts are 50 characters, not 100 bytes.
  std::string umlauts;
  for (int i = 0; i < 50; ++i) { umlauts += "\xC3\xA4"; }
  CHECK(f.chat->send(f.post(R"({"text":")" + umlauts + "\"}")).status == 202);
}

TEST_CASE("webchat: the message rate per session is limited") {
  ChatFixture f(3);
  for (int i = 0; i < 3; ++i) { CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 202); }
  CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 429);
  f.h.clock.advance(std::chrono::seconds(30));  // half a minute refills 1.5 messages
  CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 202);
}

TEST_CASE("webchat: a whole report with a photo, the photo is cleaned, the follow page shows it") {
  ChatFixture f;
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  auto first = f.poll();
  REQUIRE(first["messages"].size() == 1);
  CHECK(first["messages"][0]["choices"][0]["id"] == "accept");
  std::int64_t last = first["last"];
  for (const char* body : {R"({"choice":"accept"})", R"({"choice":"report"})",
                           R"({"choice":"cat:graffiti"})", R"({"lat":48.0777,"lon":11.9706})"}) {
    REQUIRE(f.chat->send(f.post(body)).status == 202);
  }
  f.poll(last);
  const std::string jpeg = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  REQUIRE(jpeg.size() > 1000);
  REQUIRE(f.chat->photo(f.post(jpeg)).status == 202);
  const std::string second =
      bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0012.jpg");
  REQUIRE(f.chat->photo(f.post(second)).status == 202);
  for (const char* body : {R"({"choice":"done"})", R"({"choice":"skip"})", R"({"choice":"confirm"})"}) {
    REQUIRE(f.chat->send(f.post(body)).status == 202);
  }
  auto replies = f.poll(last);
  std::string follow_url;
  for (const auto& m : replies["messages"]) {
    if (m.contains("follow_url")) { follow_url = m["follow_url"]; }
  }
  REQUIRE_FALSE(follow_url.empty());
  CHECK(f.h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM ticket_photos") == 2);
  // The stored files are the cleaned ones: exiftool -a -G1 finds no GPS, make, model or time.
  auto contents = f.h.db->read([](SQLite::Database& raw) {
    std::vector<std::string> ids;
    SQLite::Statement q(raw, "SELECT content_id FROM media ORDER BY id");
    while (q.executeStep()) { ids.push_back(q.getColumn(0).getString()); }
    return ids;
  });
  REQUIRE(contents.has_value());
  REQUIRE(contents->size() == 2);
  for (const auto& content : *contents) {
    auto stored = f.media.read(content);
    REQUIRE(stored.has_value());
    CHECK(stored->find("Exif") == std::string::npos);
    const std::string copy = f.media_dir.path() + "/check-" + content + ".jpg";
    bb::test::writeFile(copy, *stored);
    CHECK(bb::test::identifyingTags(copy) == std::vector<std::string>{});
  }
  CHECK(jpeg.find("Exif") != std::string::npos);  // control: the original had it
  CHECK(bb::test::identifyingTags(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0012.jpg").size() > 10);
  // Delivered rows are marked as such.
  CHECK(f.h.scalar("SELECT count(*) FROM outbox WHERE status = 'queued'") == 0);

  HttpRequest follow;
  follow.matches.push_back(follow_url.substr(follow_url.rfind('/') + 1));
  auto page = f.chat->follow(follow);
  CHECK(page.status == 200);
  CHECK(page.body.find(std::to_string(f.h.scalar("SELECT number FROM tickets"))) != std::string::npos);
  CHECK(page.body.find(f.h.text("status.eingegangen")) != std::string::npos);
  HttpRequest bad;
  bad.matches.push_back(std::string(32, 'a'));
  CHECK(f.chat->follow(bad).status == 404);
}

TEST_CASE("webchat: a photo uploaded before declining the notice leaves no file") {
  ChatFixture f;
  f.h.remove_media_hook = [&f](const std::string& id) { REQUIRE(f.media.remove(id)); };
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  f.poll();
  const std::string jpeg =
      bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  REQUIRE(f.chat->photo(f.post(jpeg)).status == 202);
  REQUIRE(f.h.engine->waitIdle(std::chrono::seconds(10)));
  const auto files = [&f] {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(f.media_dir.path())) {
      if (entry.is_regular_file()) { ++n; }
    }
    return n;
  };
  REQUIRE(files() >= 1);  // written at upload, cleaned (with the staff thumbnail)
  REQUIRE(f.chat->send(f.post(R"({"choice":"decline"})")).status == 202);
  f.poll();
  CHECK(f.h.scalar("SELECT count(*) FROM citizens") == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM media") == 0);
  CHECK(f.h.removedMedia().size() == 1);
  CHECK(files() == 0);
}

TEST_CASE("webchat: the follow page shows its times in Berlin local time") {
  ChatFixture f;
  // The fake clock stands at 2026-11-18 11:06:40 UTC: 12:06 in Berlin (CET).
  REQUIRE(f.h.clock.now() == bb::SysTime(std::chrono::seconds(1'795'000'000)));
  f.h.onboard("citizen");
  f.h.report("citizen", "graffiti", bb::test::kMarktplatz);
  std::string follow_url;
  for (const auto& m : f.h.allReplies("citizen")) {
    if (!m.follow_url.empty()) { follow_url = m.follow_url; }
  }
  REQUIRE_FALSE(follow_url.empty());
  HttpRequest follow;
  follow.matches.push_back(follow_url.substr(follow_url.rfind('/') + 1));
  auto page = f.chat->follow(follow);
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<time>18.11.2026 12:06</time>") != std::string::npos);
  CHECK(page.body.find("11:06") == std::string::npos);
  CHECK(page.body.find("UTC") == std::string::npos);
}

TEST_CASE("webchat: the follow page names the place by its nearest address, not citizen text") {
  ChatFixture f;
  auto demo = bb::geo::readGazetteerFile(
      std::string(BB_SOURCE_DIR) + "/config/ebersberg/gazetteer.csv", "csv");
  REQUIRE(demo.has_value());
  REQUIRE(f.h.gazetteer->replace(*demo));
  f.h.onboard("citizen");
  // 22 m west of Marienplatz 1 (48.07770, 11.97060); the Rathaus is 26 m away.
  f.h.report("citizen", "graffiti", bb::GeoPoint{48.07770, 11.97030});
  std::string follow_url;
  for (const auto& m : f.h.allReplies("citizen")) {
    if (!m.follow_url.empty()) { follow_url = m.follow_url; }
  }
  REQUIRE_FALSE(follow_url.empty());
  HttpRequest follow;
  follow.matches.push_back(follow_url.substr(follow_url.rfind('/') + 1));
  auto page = f.chat->follow(follow);
  REQUIRE(page.status == 200);
  const auto expected = f.h.engine->describePlace(48.07770, 11.97030, bb::flows::Lang::De);
  REQUIRE(expected.has_value());
  CHECK(*expected == "bei Marienplatz 1, ca. 22 m");
  CHECK(page.body.find("<p class=\"place\">Ort: " + *expected + "</p>") != std::string::npos);
  // Demo data asks for no attribution; OpenStreetMap data does, where its addresses are shown.
  CHECK(page.body.find("OpenStreetMap") == std::string::npos);
  demo->licence = "ODbL 1.0, © OpenStreetMap contributors";
  REQUIRE(f.h.gazetteer->replace(*demo));
  page = f.chat->follow(follow);
  CHECK(page.body.find("<small>Adressen: © OpenStreetMap contributors, ODbL 1.0</small>") !=
        std::string::npos);
  // Without a known address nearby the page names no place (and never the coordinates).
  REQUIRE_FALSE(f.h.engine->describePlace(48.0500, 11.9000, bb::flows::Lang::De).has_value());
}

TEST_CASE("webchat: session ids, event ids and follow links come from the Random port") {
  ChatFixture f;
  // The fixture's page call drew the session id first.
  REQUIRE_FALSE(f.h.random.issued().empty());
  CHECK(f.session == f.h.random.issued().front());
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  const std::string event_id = f.h.random.issued().back();
  CHECK(event_id.size() == 24);
  CHECK(f.h.scalar("SELECT count(*) FROM inbound_events WHERE external_id = 'web:" + event_id +
                   "'") == 1);
  f.h.onboard("citizen");
  f.h.report("citizen", "graffiti", bb::test::kMarktplatz);
  std::string follow_url;
  for (const auto& m : f.h.allReplies("citizen")) {
    if (!m.follow_url.empty()) { follow_url = m.follow_url; }
  }
  const auto issued = f.h.random.issued();
  CHECK(std::find(issued.begin(), issued.end(), follow_url.substr(follow_url.rfind('/') + 1)) !=
        issued.end());
}

TEST_CASE("webchat: photos that cannot be cleaned are refused with a reason") {
  ChatFixture f;
  auto heic = f.chat->photo(f.post(std::string("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24)));
  CHECK(heic.status == 400);
  CHECK(nlohmann::json::parse(heic.body)["error"] == "heic_unsupported");
  auto junk = f.chat->photo(f.post("\xFF\xD8\xFF garbage"));
  CHECK(junk.status == 400);
  CHECK(f.chat->photo(f.post(std::string(3 * 1024 * 1024, 'x'))).status == 413);
  CHECK(f.events() == 0);
}

TEST_CASE("webchat: static assets are served by name only") {
  ChatFixture f;
  HttpRequest js;
  js.matches.push_back("chat.js");
  auto r = f.chat->asset(js);
  CHECK(r.status == 200);
  CHECK(r.content_type.find("javascript") != std::string::npos);
  HttpRequest tmpl;
  tmpl.matches.push_back("chat.html");
  CHECK(f.chat->asset(tmpl).status == 404);
  HttpRequest missing;
  missing.matches.push_back("nope.js");
  CHECK(f.chat->asset(missing).status == 404);
  // The route pattern itself admits no slashes or dots beyond the extension.
  bool found = false;
  for (const auto& route : f.chat->routes()) {
    if (route.name == "chat_static") {
      found = true;
      CHECK_FALSE(std::regex_match("/chat/static/../secret.js", std::regex(route.pattern)));
      CHECK(std::regex_match("/chat/static/chat.js", std::regex(route.pattern)));
    }
  }
  CHECK(found);
}

TEST_CASE("webchat: the follow page shows the city's replies – a malformed link gets a friendly page") {
  ChatFixture f;
  f.h.onboard("citizen");
  const auto number = f.h.report("citizen", "graffiti", bb::test::kMarktplatz);
  std::string follow_url;
  for (const auto& m : f.h.allReplies("citizen")) {
    if (!m.follow_url.empty()) { follow_url = m.follow_url; }
  }
  REQUIRE_FALSE(follow_url.empty());
  auto citizen = f.h.store->citizen(f.h.pseudonym("citizen"));
  REQUIRE(citizen);
  REQUIRE(*citizen);
  bb::storage::SqliteInboxStore inbox(*f.h.db);
  bb::AuditEntry audit;
  audit.at = f.h.clock.now();
  audit.actor = "mia";
  audit.action = "reply";
  REQUIRE(inbox.addStaffReply(number, bb::CitizenMessage::staffReply(**citizen, number).text("x").build(),
                              "Wir entfernen das Graffiti <bald>.", audit));
  REQUIRE(inbox.addInternalNote(number, "Nur intern: Firma Maier", audit));
  HttpRequest follow;
  follow.matches.push_back(follow_url.substr(follow_url.rfind('/') + 1));
  auto page = f.chat->follow(follow);
  REQUIRE(page.status == 200);
  CHECK(page.body.find("Nachrichten der Stadt") != std::string::npos);
  CHECK(page.body.find("Wir entfernen das Graffiti &lt;bald&gt;.") != std::string::npos);
  CHECK(page.body.find("<time>18.11.2026 12:06</time> <span class=\"city-reply\">") !=
        std::string::npos);
  CHECK(page.body.find("Firma Maier") == std::string::npos);

  for (const std::string& token : {std::string("abc"), std::string(31, 'a'),
                                   std::string(32, 'G'), follow.matches[0] + "0", std::string()}) {
    CAPTURE(token);
    HttpRequest bad;
    bad.matches.push_back(token);
    auto res = f.chat->follow(bad);
    CHECK(res.status == 404);
    CHECK(res.content_type.find("text/html") == 0);
    CHECK(res.body.find("Meldung nicht gefunden") != std::string::npos);
    CHECK(res.body.find("Report not found") != std::string::npos);
    CHECK(res.body.find("{\"error\"") == std::string::npos);
  }
}
