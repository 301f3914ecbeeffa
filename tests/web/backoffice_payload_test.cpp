// Payload version 2 of the back-office push against its committed JSON Schema
// (docs/api/backoffice-push.schema.json): bodies the real forwarder sends for tickets made through
// the real conversation (with photo, position and district; a letter without any), for every
// event type, and the examples in docs/api/backoffice-push.md.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/cases/case_service.hpp"
#include "bot/cases/forwarder.hpp"
#include "bot/cases/photo_urls.hpp"
#include "bot/conversation/citizen_message.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "support/case_stores.hpp"
#include "support/stores_of.hpp"
#include "support/engine_harness.hpp"
#include "support/server_process.hpp"
#include "web/backoffice/api_v1.hpp"
#include "support/openapi_validator.hpp"

using json = nlohmann::json;

namespace {

const std::string kSchemaPath = std::string(BB_SOURCE_DIR) + "/docs/api/backoffice-push.schema.json";
const std::vector<std::string> kDocPaths = {std::string(BB_SOURCE_DIR) + "/docs/api/backoffice-push.md",
                                            std::string(BB_SOURCE_DIR) + "/docs/open311.md"};
constexpr const char* kPhotoId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

//! Accepts every push and keeps its body.
class RecordingOffice final : public bb::HttpClient {
public:
  bb::HttpReply send(const bb::HttpCall& call) override {
    std::lock_guard lock(mutex_);
    bodies_.push_back(call.body);
    bb::HttpReply r;
    r.status = 200;
    return r;
  }
  std::vector<json> bodies() {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& b : bodies_) { out.push_back(json::parse(b)); }
    return out;
  }

private:
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

struct PushFixture {
  bb::test::EngineHarness h;
  std::unique_ptr<bb::CaseStore> case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  //! The staff inbox's store on the harness's backend.
  std::unique_ptr<bb::InboxStore> inbox = bb::test::inboxStoreOf(h);
  RecordingOffice office;
  std::shared_ptr<bb::PhotoUrlSigner> signer = std::make_shared<bb::PhotoUrlSigner>(
      "https://buergerbox.example/", "push-secret", std::chrono::hours(168));

  bb::ForwarderOptions options() const {
    bb::ForwarderOptions o;
    o.url = "https://backoffice.example/in";
    o.secret = "push-secret";
    o.photo_links = signer;
    return o;
  }

  explicit PushFixture(bb::test::Backend backend = bb::test::Backend::Sqlite) : h(backend) {}

  //! A pothole at the Marktplatz (district kernstadt) with one photo, cleaned and ready.
  std::int64_t reportWithPhoto() {
    h.onboard("dora");
    h.choice("dora", "report");
    h.choice("dora", "cat:schlagloch");
    h.location("dora", bb::test::kMarktplatz);
    for (const auto& m : h.replies("dora")) {
      for (const auto& c : m.choices) {
        if (c.id == "dup:none") { h.choice("dora", "dup:none"); }
      }
    }
    h.image("dora", "sha256:" + std::string(64, 'c'));
    h.choice("dora", "done");
    h.text("dora", "etwa 40 cm breit");
    h.text("dora", "Tiefes Loch vor der Apotheke");
    h.choice("dora", "confirm");
    (void)h.replies("dora");
    h.execute(std::string("UPDATE media SET status = 'ready', mime_type = 'image/jpeg', "
                          "content_id = '") + kPhotoId + "'");
    return h.scalar("SELECT max(number) FROM tickets");
  }

  //! A letterbox message: no position, no district, no photo.
  std::int64_t letter() {
    h.onboard("paul");
    h.choice("paul", "letter");
    h.text("paul", "Bitte mehr Fahrradständer am Bahnhof.");
    h.choice("paul", "send");
    (void)h.replies("paul");
    return h.scalar("SELECT max(number) FROM tickets");
  }

  std::vector<json> push() {
    bb::CaseForwarder forwarder(cases, office, h.clock, options());
    for (int i = 0; i < 20 && forwarder.runOnce().attempted > 0; ++i) {}
    return office.bodies();
  }
};

json schema() {
  json s = bb::tests::openapi::loadJsonFile(kSchemaPath);
  REQUIRE_FALSE(s.is_discarded());
  return s;
}

std::string errorsOf(const json& doc, const json& instance, const std::string& ref) {
  std::string out;
  for (const auto& e : bb::tests::openapi::validate(doc, instance, ref)) { out += e + "\n"; }
  return out;
}

//! The validator skips `format`: the times are checked here (RFC 3339 in UTC).
void checkTimes(const json& v, const std::string& path = "") {
  static const std::regex kUtc(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)");
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      if (child.is_string() && (k.size() > 3 && (k.substr(k.size() - 3) == "_at" ||
                                                 k.find("datetime") != std::string::npos))) {
        const std::string where = path + "/" + k;
        INFO(where);
        CHECK(std::regex_match(child.get<std::string>(), kUtc));
      }
      checkTimes(child, path + "/" + k);
    }
  } else if (v.is_array()) {
    for (const auto& child : v) { checkTimes(child, path); }
  }
}

}  // namespace

TEST_CASE_TEMPLATE("backoffice payload v2: every body the forwarder sends is valid against the schema", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  PushFixture f(B::backend);
  const auto pothole = f.reportWithPhoto();
  const auto letter = f.letter();
  REQUIRE(f.h.engine->changeTicketStatus(pothole, "in_bearbeitung", "Ein Trupp ist unterwegs.",
                                         "staff:x"));
  bb::AuditEntry audit;
  audit.actor = "lena";
  audit.action = "test";
  audit.at = f.h.clock.now();
  REQUIRE(f.inbox->recategorize(letter, "sonstiges", "buergerbuero", audit));
  REQUIRE(f.inbox->mergeFollowers(letter, pothole, audit));
  bb::NewOutbound reply;
  reply.channel = bb::Channel::WebChat;
  reply.pseudonym = f.h.pseudonym("dora");
  reply.payload = R"({"text":"Danke, wir sind dran."})";
  REQUIRE(f.inbox->addStaffReply(pothole, reply, "Danke, wir sind dran.", audit));

  const auto bodies = f.push();
  const json doc = schema();
  std::map<std::string, json> by_event;
  for (const auto& b : bodies) {
    INFO(b.dump(2));
    CHECK(errorsOf(doc, b, "#") == "");
    checkTimes(b);
    by_event[b["event"].get<std::string>() + ":" +
             b["service_request"]["service_request_id"].get<std::string>()] = b;
  }
  const std::string p = std::to_string(pothole);
  const std::string l = std::to_string(letter);
  REQUIRE(by_event.count("created:" + p) == 1);
  REQUIRE(by_event.count("created:" + l) == 1);
  REQUIRE(by_event.count("status_changed:" + p) == 1);
  REQUIRE(by_event.count("recategorized:" + l) == 1);
  REQUIRE(by_event.count("merged:" + l) == 1);
  REQUIRE(by_event.count("message:" + p) == 1);

  // The pothole: the citizen's report, exact position, district and a signed photo link.
  const json& created = by_event["created:" + p];
  CHECK(created["payload_version"] == 2);
  CHECK(created["service_request"]["district"] == "kernstadt");
  CHECK(created["report"]["description"] == "Tiefes Loch vor der Apotheke");
  CHECK(created["report"]["extra_answer"] == "etwa 40 cm breit");
  CHECK(created["report"]["lat"].get<double>() == doctest::Approx(bb::test::kMarktplatz.lat));
  CHECK(created["report"]["long"].get<double>() == doctest::Approx(bb::test::kMarktplatz.lon));
  REQUIRE(created["report"]["photos"].size() == 1);
  const std::string url = created["report"]["photos"][0]["url"];
  CHECK(url.rfind("https://buergerbox.example/api/v1/tickets/" + p + "/photos/", 0) == 0);
  CHECK(url.find("sig=") != std::string::npos);
  CHECK(url.find(kPhotoId) == std::string::npos);  // the file's name is not given away
  // The public part stays on the grid; the exact position is only in `report`.
  CHECK(created["service_request"]["lat"] != created["report"]["lat"]);

  // The letter: no position, no district, no photo.
  const json& plain = by_event["created:" + l];
  CHECK(plain["service_request"]["lat"].is_null());
  CHECK(plain["service_request"]["district"].is_null());
  CHECK(plain["report"]["lat"].is_null());
  CHECK(plain["report"]["photos"].empty());
  CHECK(plain["report"]["description"] == "Bitte mehr Fahrradständer am Bahnhof.");

  const json& moved = by_event["recategorized:" + l];
  CHECK(moved["change"]["to"]["agency_responsible"] == "buergerbuero");
  CHECK(moved["change"]["from"]["agency_responsible"] != "buergerbuero");
  CHECK(by_event["merged:" + l]["merge"]["into"] == p);
  CHECK(by_event["message:" + p]["message"]["text"] == "Danke, wir sind dran.");
  CHECK(by_event["status_changed:" + p]["update"]["description"] == "Ein Trupp ist unterwegs.");

  // The schema is not a rubber stamp: a body missing the report or with an unknown event fails.
  json broken = created;
  broken.erase("report");
  CHECK(errorsOf(doc, broken, "#") != "");
  broken = created;
  broken["event"] = "deleted";
  CHECK(errorsOf(doc, broken, "#") != "");
  broken = created;
  broken["report"]["photos"][0]["secret"] = "x";
  CHECK(errorsOf(doc, broken, "#") != "");
}

TEST_CASE_TEMPLATE("backoffice payload v2: the queue stores no personal data, an erased ticket sends none", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  PushFixture f(B::backend);
  const auto pothole = f.reportWithPhoto();
  auto entries = f.cases.caseEntriesOf(pothole);
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].payload.find("Apotheke") == std::string::npos);
  CHECK((*entries)[0].payload.find("40 cm") == std::string::npos);
  // The ticket is gone before the entry leaves: the body says so and carries no report.
  f.h.execute("UPDATE tickets SET description = '', extra_answer = '', address_text = '', "
              "lat = NULL, lon = NULL; DELETE FROM ticket_photos");
  const auto bodies = f.push();
  REQUIRE(bodies.size() == 1);
  CHECK(bodies[0]["report"]["description"].is_null());
  CHECK(bodies[0]["report"]["photos"].empty());
  CHECK(errorsOf(schema(), bodies[0], "#") == "");
}

TEST_CASE("backoffice payload v2: the examples in the docs are valid against the schema") {
  // Each example is a ```json block right after a marker naming its schema:
  // <!-- schema: #/$defs/TicketView -->
  const std::string marker = "<!-- schema: ";
  const json doc = schema();
  int examples = 0;
  for (const auto& path : kDocPaths) {
    std::ifstream in(path);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const std::string md = text.str();
    for (auto at = md.find(marker); at != std::string::npos; at = md.find(marker, at + 1)) {
      const auto ref_end = md.find(" -->", at);
      const auto open = md.find("```json\n", at);
      REQUIRE(ref_end != std::string::npos);
      REQUIRE(open != std::string::npos);
      const auto close = md.find("```", open + 8);
      REQUIRE(close != std::string::npos);
      const std::string ref = md.substr(at + marker.size(), ref_end - at - marker.size());
      const std::string block = md.substr(open + 8, close - open - 8);
      const json example = json::parse(block, nullptr, false);
      INFO(path << " " << ref << "\n" << block);
      REQUIRE_FALSE(example.is_discarded());
      CHECK(errorsOf(doc, example, ref) == "");
      checkTimes(example);
      ++examples;
    }
  }
  CHECK(examples >= 4);  // push created, push status_changed, ticket view, change list
}

TEST_CASE("backoffice photo links: signed for one ticket and photo, and they expire") {
  bb::PhotoUrlSigner signer("https://b.example", "k", std::chrono::hours(1));
  const bb::SysTime now{std::chrono::seconds(1'795'000'000)};
  const bb::PhotoLink link = signer.link(1042, 7, now);
  const std::string expires = link.url.substr(link.url.find("expires=") + 8, 10);
  const std::string sig = link.url.substr(link.url.find("sig=") + 4);
  CHECK(signer.valid(1042, 7, expires, sig, now));
  CHECK(signer.valid(1042, 7, expires, sig, now + std::chrono::minutes(59)));
  CHECK_FALSE(signer.valid(1042, 7, expires, sig, now + std::chrono::minutes(61)));
  CHECK_FALSE(signer.valid(1043, 7, expires, sig, now));
  CHECK_FALSE(signer.valid(1042, 8, expires, sig, now));
  CHECK_FALSE(signer.valid(1042, 7, std::to_string(std::stoll(expires) + 3600), sig, now));
  bb::PhotoUrlSigner other("https://b.example", "other-key", std::chrono::hours(1));
  CHECK_FALSE(other.valid(1042, 7, expires, sig, now));
}

namespace {

struct ApiFixture : PushFixture {
  using PushFixture::PushFixture;
  bb::test::TempDir media_dir;
  bb::media::MediaStore media{media_dir.path()};
  bb::CaseService service{*h.engine, *h.store, cases, h.clock, h.random};
  bb::web::BackofficeApi api{service, [this] {
                               bb::web::BackofficeApiOptions o;
                               o.photo_links = signer;
                               o.media = &media;
                               return o;
                             }()};

  std::string key(const std::string& name, std::vector<std::string> departments) {
    auto k = service.createApiKey(name, departments);
    REQUIRE(k);
    return *k;
  }
  static bb::HttpRequest get(std::vector<std::string> matches, const std::string& key,
                             std::vector<std::pair<std::string, std::string>> params = {}) {
    bb::HttpRequest r;
    r.method = "GET";
    r.matches = std::move(matches);
    if (!key.empty()) { r.headers["authorization"] = "Bearer " + key; }
    for (auto& [k, v] : params) { r.params.emplace(k, v); }
    return r;
  }
};

//! The query parameters of a photo link.
std::vector<std::pair<std::string, std::string>> linkParams(const std::string& url) {
  const auto e = url.find("expires=");
  const auto s = url.find("&sig=");
  return {{"expires", url.substr(e + 8, s - e - 8)}, {"sig", url.substr(s + 5)}};
}

}  // namespace

TEST_CASE_TEMPLATE("api v1: GET a ticket gives the report and photo links, the photo only with its key", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  ApiFixture f(B::backend);
  const auto n = f.reportWithPhoto();
  const std::string number = std::to_string(n);
  const std::string photo_bytes = "\xff\xd8\xff\xe0 not really a jpeg";
  const std::string shard = f.media_dir.path() + "/" + std::string(kPhotoId).substr(0, 2);
  REQUIRE(std::system(("mkdir -p '" + shard + "'").c_str()) == 0);
  bb::test::writeFile(shard + "/" + kPhotoId + ".jpg", photo_bytes);
  const std::string department =
      f.cases.publicTicket(n).value()->department;  // the district's road department
  const std::string own = f.key("kfa", {department});
  const std::string other = f.key("bauhof", {"bauhof"});

  auto res = f.api.getTicket(ApiFixture::get({number}, own));
  REQUIRE(res.status == 200);
  const json body = json::parse(res.body);
  CHECK(errorsOf(schema(), body, "#/$defs/TicketView") == "");
  checkTimes(body);
  CHECK(body["report"]["description"] == "Tiefes Loch vor der Apotheke");
  REQUIRE(body["report"]["photos"].size() == 1);
  const std::string url = body["report"]["photos"][0]["url"];
  const std::string media_id = url.substr(url.find("/photos/") + 8,
                                          url.find('?') - url.find("/photos/") - 8);

  CHECK(f.api.getTicket(ApiFixture::get({number}, other)).status == 404);
  CHECK(f.api.getTicket(ApiFixture::get({number}, "")).status == 401);

  auto photo = f.api.getPhoto(ApiFixture::get({number, media_id}, own, linkParams(url)));
  CHECK(photo.status == 200);
  CHECK(photo.body == photo_bytes);
  CHECK(photo.content_type == "image/jpeg");
  // The link alone is not enough: another department's key, or none, sees nothing.
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id}, other, linkParams(url))).status == 404);
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id}, "", linkParams(url))).status == 401);
  // A forged or altered link, or the link of another photo id.
  auto forged = linkParams(url);
  forged[1].second[0] = forged[1].second[0] == 'a' ? 'b' : 'a';
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id}, own, forged)).status == 403);
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id + "0"}, own, linkParams(url))).status ==
        403);
  // After the link's time (7 days), it is refused; a fresh GET gives a new one.
  f.h.clock.advance(std::chrono::hours(169));
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id}, own, linkParams(url))).status == 403);
  const json fresh = json::parse(f.api.getTicket(ApiFixture::get({number}, own)).body);
  const std::string fresh_url = fresh["report"]["photos"][0]["url"];
  CHECK(f.api.getPhoto(ApiFixture::get({number, media_id}, own, linkParams(fresh_url))).status ==
        200);
}

TEST_CASE_TEMPLATE("api v1: the change feed lists the key's departments in order, from a cursor", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  ApiFixture f(B::backend);
  const auto pothole = f.reportWithPhoto();
  const auto letter = f.letter();
  REQUIRE(f.h.engine->changeTicketStatus(pothole, "in_bearbeitung", "Trupp unterwegs", "staff:x"));
  const std::string road = f.cases.publicTicket(pothole).value()->department;
  const std::string all = f.key("all", {"*"});
  const std::string own = f.key("kfa", {road});

  auto everything = f.api.listChanges(ApiFixture::get({}, all));
  REQUIRE(everything.status == 200);
  const json list = json::parse(everything.body);
  CHECK(errorsOf(schema(), list, "#/$defs/ChangeList") == "");
  checkTimes(list);
  REQUIRE(list["changes"].size() == 3);
  CHECK(list["changes"][0]["event"] == "created");
  CHECK(list["changes"][2]["event"] == "status_changed");
  CHECK(list["changes"][2]["update"]["description"] == "Trupp unterwegs");
  // No personal data in the feed: the report is not part of it.
  CHECK(everything.body.find("Apotheke") == std::string::npos);

  // From a cursor, with a limit: the rest, then nothing.
  const std::int64_t first = list["changes"][0]["cursor"];
  auto page = json::parse(f.api.listChanges(ApiFixture::get(
      {}, all, {{"after", std::to_string(first)}, {"limit", "1"}})).body);
  REQUIRE(page["changes"].size() == 1);
  CHECK(page["changes"][0]["cursor"] == list["changes"][1]["cursor"]);
  CHECK(page["next_cursor"] == list["changes"][1]["cursor"]);
  auto end = json::parse(f.api.listChanges(ApiFixture::get(
      {}, all, {{"after", std::to_string(list["next_cursor"].get<std::int64_t>())}})).body);
  CHECK(end["changes"].empty());
  CHECK(end["next_cursor"] == list["next_cursor"]);

  // A department's key sees its own department only.
  const json mine = json::parse(f.api.listChanges(ApiFixture::get({}, own)).body);
  REQUIRE(mine["changes"].size() == 2);
  for (const auto& c : mine["changes"]) {
    CHECK(c["service_request"]["service_request_id"] == std::to_string(pothole));
  }
  (void)letter;
  CHECK(f.api.listChanges(ApiFixture::get({}, all, {{"limit", "0"}})).status == 400);
  CHECK(f.api.listChanges(ApiFixture::get({}, all, {{"after", "-1"}})).status == 400);
  CHECK(f.api.listChanges(ApiFixture::get({}, "")).status == 401);
}

TEST_CASE_TEMPLATE("api v1: an update_id is applied once per key name, a repeat tells nobody again", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ApiFixture f(B::backend);
  const auto n = f.reportWithPhoto();
  const std::string road = f.cases.publicTicket(n).value()->department;
  const std::string kfa = f.key("kfa", {road});
  const std::string other = f.key("gis", {road});
  const std::string outbox = "SELECT count(*) FROM outbox WHERE ticket_id = (SELECT id FROM "
                             "tickets WHERE number = " + std::to_string(n) + ")";
  const std::int64_t before = f.h.scalar(outbox);
  auto post = [&](const std::string& key, const json& body) {
    bb::HttpRequest r;
    r.method = "POST";
    r.matches = {std::to_string(n)};
    r.headers["authorization"] = "Bearer " + key;
    r.body = body.dump();
    return f.api.postUpdate(r);
  };
  const json note = {{"update_id", "u-1"}, {"note", "Material bestellt"}};
  auto first = post(kfa, note);
  CHECK(first.status == 200);
  CHECK(json::parse(first.body)["applied"] == true);
  CHECK(json::parse(post(kfa, note).body)["applied"] == false);
  CHECK(f.h.scalar(outbox) == before + 1);
  // Another system's ids are its own: the same id from "gis" is a new update.
  CHECK(json::parse(post(other, note).body)["applied"] == true);
  CHECK(f.h.scalar(outbox) == before + 2);
  // /status with an update_id is idempotent as well.
  bb::HttpRequest s;
  s.method = "PUT";
  s.matches = {std::to_string(n)};
  s.headers["authorization"] = "Bearer " + kfa;
  s.body = json{{"update_id", "u-2"}, {"status", "eingeplant"}}.dump();
  CHECK(f.api.setStatus(s).status == 200);
  CHECK(f.api.setStatus(s).status == 200);
  CHECK(f.h.scalar(outbox) == before + 3);
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue WHERE event_type = 'status_changed'") == 1);
  // Bad ids and empty updates are refused.
  CHECK(post(kfa, {{"update_id", ""}, {"note", "x"}}).status == 400);
  CHECK(post(kfa, {{"update_id", std::string(101, 'a')}, {"note", "x"}}).status == 400);
  CHECK(post(kfa, {{"update_id", "a b"}, {"note", "x"}}).status == 400);
  CHECK(post(kfa, {{"update_id", "u-3"}}).status == 400);
  CHECK(post(kfa, {{"note", "x"}}).status == 400);
}

namespace {

//! Staff answer the citizen in the inbox (the store call the reply form makes): opens the
//! citizen's reply window for the ticket.
void staffAsks(PushFixture& f, std::int64_t number, const std::string& user,
               const std::string& text) {
  auto citizen = f.h.store->citizen(f.h.pseudonym(user));
  REQUIRE(citizen);
  REQUIRE(*citizen);
  bb::AuditEntry audit;
  audit.at = f.h.clock.now();
  audit.actor = "mia";
  audit.action = "reply";
  audit.ticket_number = number;
  const auto message = bb::CitizenMessage::staffReply(**citizen, number).text(text);
  REQUIRE(f.inbox->addStaffReply(number, message.build(), text, audit));
  (void)f.h.replies(user);
}

std::vector<json> citizenMessagesIn(const std::vector<json>& bodies) {
  std::vector<json> out;
  for (const auto& b : bodies) {
    if (b["event"] == "citizen_message") { out.push_back(b); }
  }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("backoffice payload v2: a citizen's answer is pushed as citizen_message, text and photo, no identity", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ApiFixture f(B::backend);
  const auto n = f.reportWithPhoto();
  staffAsks(f, n, "dora", "Wo genau ist das Loch?");
  f.h.text("dora", "Genau vor der Apotheke, ca. 40 cm");
  f.h.image("dora", "sha256:" + std::string(64, 'd'));
  (void)f.h.replies("dora");
  f.h.execute("UPDATE media SET status = 'ready', mime_type = 'image/jpeg', content_id = '" +
              std::string(64, 'd') + "' WHERE content_id IS NULL OR content_id <> '" + kPhotoId +
              "'");
  // The queue itself keeps no text: it is read from the thread when the entry is sent.
  auto entries = f.cases.caseEntriesOf(n);
  REQUIRE(entries);
  int queued = 0;
  for (const auto& e : *entries) {
    CHECK(e.payload.find("Apotheke") == std::string::npos);
    if (e.event_type == "citizen_message") { ++queued; }
  }
  CHECK(queued == 2);  // the text, then the photo: one entry per message

  const auto sent = citizenMessagesIn(f.push());
  REQUIRE(sent.size() == 2);
  const json doc = schema();
  for (const auto& b : sent) {
    INFO(b.dump(2));
    CHECK(errorsOf(doc, b, "#") == "");
    checkTimes(b);
    CHECK(b["service_request"]["service_request_id"] == std::to_string(n));
    CHECK(b["message"]["from"] == "citizen");
    // No identity: neither the pseudonym nor the channel's user id.
    CHECK(b.dump().find(f.h.pseudonym("dora")) == std::string::npos);
    CHECK(b.dump().find("dora") == std::string::npos);
  }
  CHECK(sent[0]["message"]["text"] == "Genau vor der Apotheke, ca. 40 cm");
  CHECK(sent[0]["message"]["photos"].empty());
  CHECK(sent[1]["message"]["text"].is_null());
  REQUIRE(sent[1]["message"]["photos"].size() == 1);
  const std::string url = sent[1]["message"]["photos"][0]["url"];
  CHECK(url.rfind("https://buergerbox.example/api/v1/tickets/" + std::to_string(n) + "/photos/",
                  0) == 0);

  // The link opens the thread's photo with the department's key, as report photos do.
  const std::string shard = f.media_dir.path() + "/dd";
  REQUIRE(std::system(("mkdir -p '" + shard + "'").c_str()) == 0);
  bb::test::writeFile(shard + "/" + std::string(64, 'd') + ".jpg", "\xff\xd8\xff thread photo");
  const std::string own = f.key("kfa", {f.cases.publicTicket(n).value()->department});
  const std::string media_id = url.substr(url.find("/photos/") + 8,
                                          url.find('?') - url.find("/photos/") - 8);
  auto photo = f.api.getPhoto(ApiFixture::get({std::to_string(n), media_id}, own, linkParams(url)));
  CHECK(photo.status == 200);
  CHECK(photo.body == "\xff\xd8\xff thread photo");

  // The change feed says the same.
  const json feed = json::parse(f.api.listChanges(ApiFixture::get({}, own)).body);
  CHECK(errorsOf(doc, feed, "#/$defs/ChangeList") == "");
  int in_feed = 0;
  for (const auto& c : feed["changes"]) {
    if (c["event"] != "citizen_message") { continue; }
    ++in_feed;
    if (!c["message"]["text"].is_null()) {
      CHECK(c["message"]["text"] == "Genau vor der Apotheke, ca. 40 cm");
    }
  }
  CHECK(in_feed == 2);

  // The schema tells a citizen's message from staff's: an identity key fails it.
  json broken = sent[0];
  broken["message"]["pseudonym"] = "x";
  CHECK(errorsOf(doc, broken, "#") != "");
}

TEST_CASE_TEMPLATE("backoffice payload v2: a citizen_message erased before it is sent carries no text", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  PushFixture f(B::backend);
  const auto n = f.reportWithPhoto();
  (void)f.push();  // the report went out before
  staffAsks(f, n, "dora", "Wo genau ist das Loch?");
  f.h.text("dora", "Vor Hausnummer 7, Tel. 0170 1234567");
  (void)f.h.replies("dora");
  f.h.text("dora", "daten löschen");
  f.h.choice("dora", "confirm");
  const auto sent = citizenMessagesIn(f.push());
  REQUIRE(sent.size() == 1);
  CHECK(errorsOf(schema(), sent[0], "#") == "");
  CHECK(sent[0]["message"]["from"] == "citizen");
  CHECK(sent[0]["message"]["text"].is_null());
  CHECK(sent[0]["message"]["photos"].empty());
  CHECK(sent[0].dump().find("1234567") == std::string::npos);
}
