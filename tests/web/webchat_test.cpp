#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/conversation/citizen_message.hpp"
#include "bot/geo/import.hpp"
#include "support/engine_harness.hpp"
#include "support/privacy_checks.hpp"
#include "support/stores_of.hpp"
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

  explicit ChatFixture(int per_minute = 30, bb::test::Backend backend = bb::test::Backend::Sqlite)
      : h(backend) {
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

TEST_CASE_TEMPLATE("webchat: the page sets an HttpOnly SameSite=Strict session cookie and a strict CSP", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: posts need the session cookie and its CSRF token, nothing is stored otherwise", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})", false)).status == 403);
  auto wrong = f.post(R"({"text":"Hallo"})");
  wrong.headers["x-csrf-token"] = std::string(64, '0');
  CHECK(f.chat->send(wrong).status == 403);
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})", true, false)).status == 403);
  CHECK(f.events() == 0);
  CHECK(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  CHECK(f.events() == 1);
}

TEST_CASE_TEMPLATE("webchat: bad input gets clear errors", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: the message rate per session is limited", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(3, B::backend);
  for (int i = 0; i < 3; ++i) { CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 202); }
  CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 429);
  f.h.clock.advance(std::chrono::seconds(30));  // half a minute refills 1.5 messages
  CHECK(f.chat->send(f.post(R"({"text":"status 1"})")).status == 202);
}

TEST_CASE_TEMPLATE("webchat: a whole report with a photo, the photo is cleaned, the follow page shows it", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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
  std::vector<std::string> contents;
  for (int i = 0; i < f.h.scalar("SELECT count(*) FROM media"); ++i) {
    contents.push_back(f.h.textOf("SELECT content_id FROM media ORDER BY id LIMIT 1 OFFSET " +
                                  std::to_string(i)));
  }
  REQUIRE(contents.size() == 2);
  for (const auto& content : contents) {
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

TEST_CASE_TEMPLATE("webchat: a photo uploaded before declining the notice leaves no file", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: the follow page shows its times in Berlin local time", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: the follow page names the place by its nearest address, not citizen text", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: session ids, event ids and follow links come from the Random port", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: photos that cannot be cleaned are refused with a reason", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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

TEST_CASE_TEMPLATE("webchat: the follow page shows the city's replies – a malformed link gets a friendly page", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
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
  auto inbox = bb::test::inboxStoreOf(f.h);
  bb::AuditEntry audit;
  audit.at = f.h.clock.now();
  audit.actor = "mia";
  audit.action = "reply";
  REQUIRE(inbox->addStaffReply(number, bb::CitizenMessage::staffReply(**citizen, number).text("x").build(),
                              "Wir entfernen das Graffiti <bald>.", audit));
  REQUIRE(inbox->addInternalNote(number, "Nur intern: Firma Maier", audit));
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

namespace {

nlohmann::json transcriptOf(ChatFixture& f, const std::string& session) {
  REQUIRE(f.h.engine->waitIdle(std::chrono::seconds(10)));
  HttpRequest r;
  r.headers["cookie"] = "bb_chat=" + session;
  auto res = f.chat->transcript(r);
  REQUIRE(res.status == 200);
  return nlohmann::json::parse(res.body);
}

HttpRequest photoRequest(const std::string& session, const std::string& url) {
  HttpRequest r;
  r.headers["cookie"] = "bb_chat=" + session;
  r.matches.push_back(url.substr(url.rfind('/') + 1));
  return r;
}

}  // namespace

TEST_CASE_TEMPLATE("webchat: a reload gets both sides of the conversation, answered choices marked", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
  // The conversation as a page would run it: every send after the replies it answers.
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  f.poll();
  for (const char* body : {R"({"choice":"accept","label":"Einverstanden"})",
                           R"({"choice":"report","label":"ignored: the bot's own label wins"})",
                           R"({"choice":"cat:graffiti"})",
                           R"({"lat":48.0777,"lon":11.9706,"accuracy":12.5})"}) {
    REQUIRE(f.chat->send(f.post(body)).status == 202);
    f.poll();
  }
  const std::string jpeg = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  REQUIRE(f.chat->photo(f.post(jpeg)).status == 202);
  auto live = f.poll();
  const std::int64_t last = live["last"];

  auto t = transcriptOf(f, f.session);
  CHECK(t["last"] == last);
  const auto& e = t["entries"];
  REQUIRE(e.size() >= 11);
  CHECK(e[0] == nlohmann::json{{"from", "citizen"}, {"text", "Hallo"}});
  CHECK(e[1]["from"] == "bot");
  CHECK(e[1]["picked"] == "accept");
  std::string accept_label;
  for (const auto& c : e[1]["choices"]) {
    if (c["id"] == "accept") { accept_label = c["label"]; }
  }
  REQUIRE_FALSE(accept_label.empty());
  CHECK(e[2] == nlohmann::json{{"from", "citizen"}, {"text", accept_label}});
  CHECK(e[3]["picked"] == "report");
  CHECK(e[4]["text"] != "ignored: the bot's own label wins");
  CHECK(e[5]["picked"] == "cat:graffiti");
  CHECK(e[7]["request_location"] == true);
  CHECK_FALSE(e[7].contains("picked"));
  CHECK(e[8] == nlohmann::json{{"from", "citizen"}, {"location", true}, {"accuracy", 12.5}});
  std::string photo_url;
  for (const auto& entry : e) {
    if (entry.contains("photo")) { photo_url = entry["photo"]; }
  }
  REQUIRE(photo_url.rfind("/chat/api/photo/", 0) == 0);
  CHECK(e.back()["from"] == "bot");  // the answer to the photo comes after it
  // No coordinates are kept for the page, only what it showed.
  CHECK(t.dump().find("48.07") == std::string::npos);

  // The thumbnail of the photo (cleaned), for this session only.
  auto thumb = f.chat->sentPhoto(photoRequest(f.session, photo_url));
  CHECK(thumb.status == 200);
  CHECK(thumb.content_type == "image/jpeg");
  CHECK(thumb.body.find("Exif") == std::string::npos);
  auto other_page = f.chat->page(HttpRequest{});
  std::string other;
  for (const auto& [name, value] : other_page.headers) {
    if (name == "Set-Cookie") { other = value.substr(8, 32); }
  }
  REQUIRE(other.size() == 32);
  REQUIRE(other != f.session);
  CHECK(f.chat->sentPhoto(photoRequest(other, photo_url)).status == 404);
  CHECK(transcriptOf(f, other)["entries"].empty());
  CHECK(f.chat->sentPhoto(photoRequest(f.session, "/chat/api/photo/" + std::string(64, 'a'))).status == 404);
  // Every route the page uses is routed.
  int routed = 0;
  for (const auto& route : f.chat->routes()) {
    if (std::regex_match("/chat/api/transcript", std::regex(route.pattern)) ||
        std::regex_match(photo_url, std::regex(route.pattern))) {
      ++routed;
    }
  }
  CHECK(routed == 2);
}

TEST_CASE_TEMPLATE("webchat: what the citizen wrote leaves the transcript with an erasure", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
  f.h.remove_media_hook = [&f](const std::string& id) { (void)f.media.remove(id); };
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  f.poll();
  REQUIRE(f.chat->send(f.post(R"({"choice":"accept"})")).status == 202);
  f.poll();
  REQUIRE(f.chat->send(f.post(R"({"text":"Geheimnis am Marktplatz"})")).status == 202);
  f.poll();
  CHECK(transcriptOf(f, f.session).dump().find("Geheimnis") != std::string::npos);
  REQUIRE(f.chat->send(f.post(R"({"text":"daten löschen"})")).status == 202);
  f.poll();
  REQUIRE(f.chat->send(f.post(R"({"text":"ja"})")).status == 202);
  f.poll();
  REQUIRE(f.h.scalar("SELECT count(*) FROM citizens") == 0);
  auto t = transcriptOf(f, f.session);
  CHECK(t.dump().find("Geheimnis") == std::string::npos);
  CHECK(t.dump().find("Hallo") == std::string::npos);
  // Only what came after the erasure is left: the bot's confirmation.
  for (const auto& entry : t["entries"]) { CHECK(entry["from"] == "bot"); }
}

TEST_CASE("webchat: the transcript is bounded per session and in total") {
  bb::web::ChatTranscripts kept({3, 1000});
  for (int i = 0; i < 5; ++i) {
    bb::web::TranscriptEntry e;
    e.text = "m" + std::to_string(i);
    kept.add("a", e);
  }
  auto a = kept.entries("a");
  REQUIRE(a.size() == 3);
  CHECK(a.front().text == "m2");
  bb::web::TranscriptEntry big;
  big.text = std::string(900, 'x');
  kept.add("b", big);  // over the total: the least recently used session goes
  CHECK(kept.entries("a").empty());
  CHECK(kept.entries("b").size() == 1);
  CHECK(kept.totalBytes() <= 1000);
}

TEST_CASE("webchat: a citizen entry keeps its place when a poll fetches the answer before it is recorded") {
  // The order on a busy server: the page sends "Hallo", the bot answers (outbox row 7) and a
  // waiting long poll fetches that answer, and only then does the send handler record "Hallo".
  bb::web::ChatTranscripts kept;
  kept.fetched("s", 6);
  bb::web::TranscriptEntry hello;
  hello.text = "Hallo";
  hello.after_outbox = kept.seen("s");  // taken before the event went on
  CHECK(hello.after_outbox == 6);
  kept.fetched("s", 7);
  kept.add("s", hello);
  auto entries = kept.entries("s");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].after_outbox == 6);  // before the answer (row 7), not after it
  CHECK(kept.seen("s") == 7);
  CHECK(kept.seen("unknown") == 0);
}

namespace {

std::string cookieValue(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == "Set-Cookie" && v.rfind(name + "=", 0) == 0) {
      return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
    }
  }
  return {};
}

struct FollowPost {
  HttpRequest req;
  FollowPost(const std::string& token, const std::string& browser, const std::string& body) {
    req.method = "POST";
    req.matches.push_back(token);
    if (!browser.empty()) { req.headers["cookie"] = "bb_follow=" + browser; }
    req.body = body;
  }
};

std::string formEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("webchat: the follow page shows the citizen's description and photo and takes an answer", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(30, B::backend);
  REQUIRE(f.chat->send(f.post(R"({"text":"Hallo"})")).status == 202);
  f.poll();
  for (const char* body : {R"({"choice":"accept"})", R"({"choice":"report"})",
                           R"({"choice":"cat:graffiti"})", R"({"lat":48.0777,"lon":11.9706})"}) {
    REQUIRE(f.chat->send(f.post(body)).status == 202);
    f.poll();
  }
  const std::string jpeg = bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
  REQUIRE(f.chat->photo(f.post(jpeg)).status == 202);
  f.poll();
  for (const char* body : {R"({"choice":"done"})", R"({"text":"Schmiererei <b>an</b> der Schule"})",
                           R"({"choice":"confirm"})"}) {
    REQUIRE(f.chat->send(f.post(body)).status == 202);
    f.poll();
  }
  std::string token;
  const auto shown = transcriptOf(f, f.session);
  for (const auto& m : shown["entries"]) {
    if (m.contains("follow_url")) { token = m["follow_url"].get<std::string>().substr(13); }
  }
  REQUIRE(token.size() == 32);
  const auto number = f.h.scalar("SELECT number FROM tickets");

  HttpRequest get;
  get.matches.push_back(token);
  auto page = f.chat->follow(get);
  REQUIRE(page.status == 200);
  // The citizen's own words (escaped) and photo: the link is their secret.
  CHECK(page.body.find("Schmiererei &lt;b&gt;an&lt;/b&gt; der Schule") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(page.body, m, std::regex("src=\"/chat/follow/" + token + "/photo/([0-9]+)\"")));
  HttpRequest photo;
  photo.matches = {token, m[1]};
  auto thumb = f.chat->followPhoto(photo);
  CHECK(thumb.status == 200);
  CHECK(thumb.content_type == "image/jpeg");
  CHECK(thumb.body.find("Exif") == std::string::npos);
  photo.matches = {token, "999"};  // not a photo of this ticket
  CHECK(f.chat->followPhoto(photo).status == 404);
  photo.matches = {std::string(32, 'a'), m[1]};  // another (unknown) link
  CHECK(f.chat->followPhoto(photo).status == 404);

  // The form: CSRF bound to a cookie of the follow page's own (the chat session stays as it is).
  const std::string browser = cookieValue(page, "bb_follow");
  REQUIRE(browser.size() == 32);
  CHECK(header(page, "Set-Cookie").find("Path=/chat/follow; HttpOnly; SameSite=Strict") != std::string::npos);
  REQUIRE(std::regex_search(page.body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")));
  const std::string csrf = m[1];
  CHECK(page.body.find("action=\"/chat/follow/" + token + "/message\"") != std::string::npos);
  const auto location = [](const HttpResponse& r) { return header(r, "Location"); };
  const std::string back = "/chat/follow/" + token + "?hinweis=";
  const auto messages = [&f] {
    return f.h.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'");
  };

  FollowPost no_cookie(token, "", "text=Hallo&csrf=" + csrf);
  CHECK(location(f.chat->followMessage(no_cookie.req)) == back + "sitzung");
  FollowPost wrong(token, browser, "text=Hallo&csrf=" + std::string(64, '0'));
  CHECK(location(f.chat->followMessage(wrong.req)) == back + "sitzung");
  FollowPost other_browser(token, std::string(32, 'b'), "text=Hallo&csrf=" + csrf);
  CHECK(location(f.chat->followMessage(other_browser.req)) == back + "sitzung");
  FollowPost empty(token, browser, "text=+&csrf=" + csrf);
  CHECK(location(f.chat->followMessage(empty.req)) == back + "leer");
  FollowPost too_long(token, browser, "text=" + std::string(2001, 'x') + "&csrf=" + csrf);
  CHECK(location(f.chat->followMessage(too_long.req)) == back + "zu_lang");
  CHECK(messages() == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE unread_citizen_at IS NOT NULL") == 0);

  FollowPost ok(token, browser, "text=" + formEncode("Vor der Schule, links <neben> dem Tor") + "&csrf=" + csrf);
  auto sent = f.chat->followMessage(ok.req);
  CHECK(sent.status == 303);
  CHECK(location(sent) == back + "gesendet");
  CHECK(messages() == 1);
  // A citizen message in the thread, by the reporter, and the ticket marked for staff.
  CHECK(f.h.scalar("SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                   "WHERE e.kind = 'citizen_message' AND e.author = t.reporter AND e.body = "
                   "'Vor der Schule, links <neben> dem Tor'") == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE unread_citizen_at IS NOT NULL AND number = " +
                   std::to_string(number)) == 1);
  get.params.emplace("hinweis", "gesendet");
  auto after = f.chat->follow(get);
  CHECK(after.body.find("Ihre Nachricht ist bei der zuständigen Stelle angekommen") != std::string::npos);
  CHECK(after.body.find("<b>Sie:</b> Vor der Schule, links &lt;neben&gt; dem Tor") != std::string::npos);
  // Unknown notes show nothing (nothing from the address is echoed).
  HttpRequest odd;
  odd.matches.push_back(token);
  odd.params.emplace("hinweis", "<script>");
  CHECK(f.chat->follow(odd).body.find("<script>") == std::string::npos);

  // A malformed link on the form's route: the friendly page.
  FollowPost bad("abc", browser, "text=Hallo&csrf=" + csrf);
  auto res = f.chat->followMessage(bad.req);
  CHECK(res.status == 404);
  CHECK(res.body.find("Meldung nicht gefunden") != std::string::npos);
  bool routed = false;
  for (const auto& route : f.chat->routes()) {
    if (route.method == "POST" && std::regex_match("/chat/follow/" + token + "/message", std::regex(route.pattern))) {
      routed = route.name == "chat_follow_message";
    }
  }
  CHECK(routed);
}

TEST_CASE_TEMPLATE("webchat: the follow page's form is rate-limited per link", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ChatFixture f(2, B::backend);
  f.h.onboard("citizen");
  f.h.report("citizen", "graffiti", bb::test::kMarktplatz);
  std::string token;
  for (const auto& m : f.h.allReplies("citizen")) {
    if (!m.follow_url.empty()) { token = m.follow_url.substr(m.follow_url.rfind('/') + 1); }
  }
  REQUIRE(token.size() == 32);
  HttpRequest get;
  get.matches.push_back(token);
  auto page = f.chat->follow(get);
  const std::string browser = cookieValue(page, "bb_follow");
  std::smatch m;
  REQUIRE(std::regex_search(page.body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")));
  const std::string csrf = m[1];
  for (int i = 0; i < 2; ++i) {
    FollowPost ok(token, browser, "text=Nachricht" + std::to_string(i) + "&csrf=" + csrf);
    CHECK(header(f.chat->followMessage(ok.req), "Location").find("gesendet") != std::string::npos);
  }
  FollowPost third(token, browser, "text=Noch+eine&csrf=" + csrf);
  CHECK(header(f.chat->followMessage(third.req), "Location").find("zu_schnell") != std::string::npos);
  CHECK(f.h.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 2);
  f.h.clock.advance(std::chrono::minutes(1));
  CHECK(header(f.chat->followMessage(third.req), "Location").find("gesendet") != std::string::npos);
}

TEST_CASE("webchat: a reply committed by another instance reaches the long poll held here") {
  using namespace std::chrono_literals;
  // Instance b started first and holds every conversation (its lease is long, so it gives none
  // away during the test); instance a takes the citizen's message and holds the long poll.
  bb::test::EngineHarness b(bb::test::Backend::Postgresql, 2, {},
                            bb::test::Instance{"instance-b", 30s});
  bb::test::EngineHarness a(bb::test::Backend::Postgresql, 2, b.pg_url,
                            bb::test::Instance{"instance-a", 30s});
  a.random.skip(1'000'000);
  REQUIRE(a.owner->partitions().empty());
  bb::test::TempDir media_dir;
  bb::media::MediaStore media{media_dir.path() + "/media"};
  bb::web::WebChatOptions o;
  o.asset_dir = std::string(BB_SOURCE_DIR) + "/web/static";
  o.long_poll = 5s;
  o.csrf_key = "test-csrf-key";
  bb::web::WebChat chat(*a.engine, *a.store, media, a.clock, a.random, o);
  auto page = chat.page(HttpRequest{});
  std::smatch m;
  const std::string cookie = header(page, "Set-Cookie");
  REQUIRE(std::regex_search(cookie, m, std::regex("bb_chat=([0-9a-f]{32})")));
  const std::string session = m[1];
  REQUIRE(std::regex_search(page.body, m, std::regex("csrf-token\" content=\"([0-9a-f]{64})\"")));
  HttpRequest post;
  post.method = "POST";
  post.body = R"({"text":"Hallo"})";
  post.headers["cookie"] = "bb_chat=" + session;
  post.headers["x-csrf-token"] = m[1];
  REQUIRE(chat.send(post).status == 202);
  HttpRequest poll;
  poll.headers["cookie"] = "bb_chat=" + session;
  poll.params.emplace("after", "0");
  const auto asked = std::chrono::steady_clock::now();
  const auto res = chat.messages(poll);
  const auto waited = std::chrono::steady_clock::now() - asked;
  REQUIRE(res.status == 200);
  const auto body = nlohmann::json::parse(res.body);
  REQUIRE_FALSE(body["messages"].empty());
  CHECK(body["messages"][0]["text"].get<std::string>().find("Willkommen bei der Bürgerbox") !=
        std::string::npos);
  // Answered by the reply, not by the end of the wait; processed over there, not here.
  CHECK(waited < 3s);
  CHECK(b.engine->processedCount() == 1);
  CHECK(a.engine->processedCount() == 0);
}
