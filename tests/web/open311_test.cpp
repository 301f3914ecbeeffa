// Open311 GeoReport v2 and /api/v1 handler tests: handlers are called with HttpRequest values
// (no sockets) against a real engine on SQLite or PostgreSQL (tests/support/engine_harness.hpp).

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"
#include "bot/cases/case_service.hpp"
#include "bot/geo/import.hpp"
#include "support/case_stores.hpp"
#include "support/engine_harness.hpp"
#include "web/backoffice/api_v1.hpp"
#include "web/open311/open311.hpp"

using bb::HttpRequest;
using bb::HttpResponse;
using json = nlohmann::json;

namespace {

constexpr const char* kPhone = "+49 170 1234567";

json fixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/open311/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string fixtureText(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/open311/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') { s.pop_back(); }
  return s;
}

bool isW3c(const json& v) {
  static const std::regex kW3c(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$)");
  return v.is_string() && std::regex_match(v.get<std::string>(), kW3c);
}

//! Every key of the spec example is present, with the example's type (or null).
void checkShape(const json& ours, const json& example,
                const std::vector<std::string>& string_ids = {"service_request_id"}) {
  REQUIRE(ours.is_object());
  for (const auto& [key, value] : example.items()) {
    INFO("field " << key);
    REQUIRE(ours.contains(key));
    const json& v = ours.at(key);
    if (v.is_null()) { continue; }
    if (std::find(string_ids.begin(), string_ids.end(), key) != string_ids.end()) {
      CHECK(v.is_string());
    } else if (value.is_string()) {
      CHECK(v.is_string());
    } else if (value.is_boolean()) {
      CHECK(v.is_boolean());
    } else if (value.is_number()) {
      CHECK(v.is_number());
    } else if (value.is_array()) {
      CHECK(v.is_array());
    }
  }
}

struct Open311Fixture {
  bb::test::EngineHarness h;
  std::unique_ptr<bb::CaseStore> case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  bb::CaseService service{*h.engine, *h.store, cases, h.clock, h.random};
  bb::web::Open311Api api{service, h.clock, bb::web::Open311Options{}};
  bb::web::BackofficeApi v1{service};

  explicit Open311Fixture(bb::test::Backend backend = bb::test::Backend::Sqlite) : h(backend) {}

  //! A report whose free text holds a phone number (description and the extra answer).
  std::int64_t reportWithPhone(const std::string& user, const std::string& category,
                               bb::GeoPoint p) {
    h.onboard(user);
    h.choice(user, "report");
    h.choice(user, "cat:" + category);
    h.location(user, p);
    for (const auto& m : h.replies(user)) {
      for (const auto& c : m.choices) {
        if (c.id == "dup:none") { h.choice(user, "dup:none"); }
      }
    }
    h.choice(user, "skip");  // photo
    if (!h.flows.category(category)->question.empty()) {
      h.text(user, std::string("ganz aus, bitte rufen Sie mich an: ") + kPhone);
    }
    h.text(user, std::string("Tiefes Loch vor Hausnummer 12, Rückruf unter ") + kPhone);
    h.choice(user, "confirm");
    (void)h.replies(user);
    return h.scalar("SELECT max(number) FROM tickets");
  }

  std::string key(const std::string& name, std::vector<std::string> departments) {
    auto k = service.createApiKey(name, departments);
    REQUIRE(k);
    return *k;
  }

  static HttpRequest get(std::vector<std::string> matches,
                         std::vector<std::pair<std::string, std::string>> params = {}) {
    HttpRequest r;
    r.method = "GET";
    r.matches = std::move(matches);
    for (auto& [k, v] : params) { r.params.emplace(k, v); }
    return r;
  }

  static HttpRequest form(std::vector<std::string> matches, const std::string& body) {
    HttpRequest r;
    r.method = "POST";
    r.matches = std::move(matches);
    r.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    r.body = body;
    return r;
  }

  static HttpRequest apiCall(const std::string& method, std::int64_t number,
                             const std::string& key, const json& body) {
    HttpRequest r;
    r.method = method;
    r.matches = {std::to_string(number)};
    if (!key.empty()) { r.headers["authorization"] = "Bearer " + key; }
    r.body = body.dump();
    return r;
  }
};

json body(const HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

void checkError(const HttpResponse& r, int status) {
  CHECK(r.status == status);
  CHECK(r.content_type.find("application/json") != std::string::npos);
  const json j = body(r);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  checkShape(j[0], fixture("error.json")[0]);
  CHECK(j[0]["code"] == status);
  CHECK(j[0]["description"].is_string());
}

}  // namespace

TEST_CASE_TEMPLATE("open311: discovery, services and service definitions answer like the spec", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  auto d = f.api.discovery(Open311Fixture::get({"json"}));
  CHECK(d.status == 200);
  const json disc = body(d);
  CHECK(isW3c(disc["changeset"]));
  REQUIRE(disc["endpoints"].is_array());
  CHECK(disc["endpoints"][0]["url"].get<std::string>().find("/open311/v2") != std::string::npos);
  CHECK(disc["endpoints"][0]["formats"].size() == 2);

  auto s = f.api.services(Open311Fixture::get({"json"}));
  CHECK(s.status == 200);
  const json list = body(s);
  REQUIRE(list.is_array());
  REQUIRE(list.size() == f.h.flows.categories.size());
  const json example = fixture("service_list.json")[0];
  for (const auto& svc : list) {
    checkShape(svc, example, {"service_code"});
    CHECK(svc["type"] == "realtime");
  }
  CHECK(list[0]["service_code"] == "schlagloch");
  CHECK(list[0]["metadata"] == true);
  CHECK(list[0]["group"] == "tiefbau");

  SUBCASE("a category with an extra question has one text attribute") {
    auto def = f.api.serviceDefinition(Open311Fixture::get({"schlagloch", "json"}));
    CHECK(def.status == 200);
    const json j = body(def);
    const json ex = fixture("service_definition.json");
    CHECK(j["service_code"] == "schlagloch");
    REQUIRE(j["attributes"].size() == 1);
    checkShape(j["attributes"][0], ex["attributes"][0]);
    CHECK(j["attributes"][0]["datatype"] == "text");
    CHECK(j["attributes"][0]["order"] == 1);
    CHECK(j["attributes"][0]["required"] == false);
  }
  SUBCASE("a category without one has no attributes; an unknown code is 404") {
    auto def = f.api.serviceDefinition(Open311Fixture::get({"graffiti", "json"}));
    CHECK(body(def)["attributes"].empty());
    checkError(f.api.serviceDefinition(Open311Fixture::get({"nope", "json"})), 404);
  }
  SUBCASE("XML by suffix") {
    auto x = f.api.services(Open311Fixture::get({"xml"}));
    CHECK(x.content_type.find("text/xml") != std::string::npos);
    CHECK(x.body.find("<services><service><service_code>schlagloch</service_code>") !=
          std::string::npos);
  }
}

TEST_CASE_TEMPLATE("open311: GET requests lists tickets with the spec's fields, filters and paging", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto a = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  f.h.onboard("bert");
  const auto b = f.h.report("bert", "strassenbeleuchtung", {48.0790, 11.9720});
  REQUIRE(f.h.engine->changeTicketStatus(b, "erledigt", "Leuchtmittel getauscht", "staff:x"));

  auto r = f.api.requests(Open311Fixture::get({"json"}));
  CHECK(r.status == 200);
  const json list = body(r);
  REQUIRE(list.size() == 2);
  const json example = fixture("service_requests.json")[0];
  for (const auto& req : list) {
    checkShape(req, example);
    CHECK(isW3c(req["requested_datetime"]));
    CHECK(isW3c(req["updated_datetime"]));
    CHECK(req["lat"].is_number());
    CHECK(req["long"].is_number());
    CHECK((req["status"] == "open" || req["status"] == "closed"));
  }
  // Newest first; the closed one carries its public note and our fine-grained status.
  CHECK(list[0]["service_request_id"] == std::to_string(b));
  CHECK(list[0]["status"] == "closed");
  CHECK(list[0]["status_notes"] == "Leuchtmittel getauscht");
  CHECK(list[0]["buergerbox_status"] == "erledigt");
  CHECK(list[0]["extended_status"] == "fixed");
  CHECK(list[1]["status"] == "open");
  CHECK(list[1]["description"].is_null());  // private until staff publish it
  // Coordinates are rounded to the 25 m grid, never the exact point.
  CHECK(list[1]["lat"].get<double>() != doctest::Approx(bb::test::kMarktplatz.lat).epsilon(1e-9));
  CHECK(std::fabs(list[1]["lat"].get<double>() - bb::test::kMarktplatz.lat) < 0.0003);

  auto count = [&f](std::vector<std::pair<std::string, std::string>> params) {
    auto res = f.api.requests(Open311Fixture::get({"json"}, std::move(params)));
    REQUIRE(res.status == 200);
    return body(res).size();
  };
  CHECK(count({{"status", "open"}}) == 1);
  CHECK(count({{"status", "closed"}}) == 1);
  CHECK(count({{"status", "open,closed"}}) == 2);
  CHECK(count({{"service_code", "schlagloch"}}) == 1);
  CHECK(count({{"service_code", "graffiti,schlagloch"}}) == 1);
  CHECK(count({{"service_request_id", std::to_string(a) + "," + std::to_string(b)}}) == 2);
  // service_request_id overrides every other filter.
  CHECK(count({{"service_request_id", std::to_string(a)}, {"status", "closed"}}) == 1);
  CHECK(count({{"page_size", "1"}}) == 1);
  CHECK(count({{"page_size", "1"}, {"page", "2"}}) == 1);
  CHECK(count({{"page_size", "1"}, {"page", "3"}}) == 0);
  CHECK(count({{"status", ""}}) == 2);  // an empty parameter is an absent one
  const std::string now = bb::w3cTime(f.h.clock.now());
  CHECK(count({{"start_date", bb::w3cTime(f.h.clock.now() - std::chrono::hours(1))},
               {"end_date", bb::w3cTime(f.h.clock.now() + std::chrono::hours(1))}}) == 2);
  CHECK(count({{"end_date", bb::w3cTime(f.h.clock.now() - std::chrono::hours(1))}}) == 0);

  checkError(f.api.requests(Open311Fixture::get({"json"}, {{"start_date", "gestern"}})), 400);
  checkError(f.api.requests(Open311Fixture::get({"json"}, {{"status", "offen"}})), 400);
  checkError(f.api.requests(Open311Fixture::get({"json"}, {{"page_size", "5000"}})), 400);
  checkError(f.api.requests(Open311Fixture::get(
                 {"json"}, {{"start_date", "2020-01-01T00:00:00Z"}, {"end_date", now}})),
             400);  // more than 90 days

  auto one = f.api.request(Open311Fixture::get({std::to_string(a), "json"}));
  CHECK(one.status == 200);
  REQUIRE(body(one).size() == 1);
  checkShape(body(one)[0], example);
  checkError(f.api.request(Open311Fixture::get({"999999", "json"})), 404);
  checkError(f.api.request(Open311Fixture::get({"abc", "json"})), 404);

  auto xml = f.api.request(Open311Fixture::get({std::to_string(a), "xml"}));
  CHECK(xml.body.find("<service_requests><request><service_request_id>" + std::to_string(a)) !=
        std::string::npos);
}

TEST_CASE_TEMPLATE("open311: POST requests creates a ticket that shows up in GET and in the case queue", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const std::string key = f.key("stadt-app", {"tiefbau-kernstadt"});
  std::string form = fixtureText("create_request.form");
  // The spec example, pointed at our key, service and city.
  form = std::regex_replace(form, std::regex("api_key=xyz"), "api_key=" + key);
  form = std::regex_replace(form, std::regex("service_code=001"), "service_code=schlagloch");
  form = std::regex_replace(form, std::regex("jurisdiction_id=city.gov&"), "");
  form = std::regex_replace(form, std::regex("lat=[0-9.]+"), "lat=48.0777");
  form = std::regex_replace(form, std::regex("long=[-0-9.]+"), "long=11.9706");
  auto res = f.api.createRequest(Open311Fixture::form({"json"}, form));
  REQUIRE(res.status == 200);
  const json created = body(res);
  REQUIRE(created.size() == 1);
  checkShape(created[0], fixture("create_response.json")[0]);
  const std::string id = created[0]["service_request_id"];

  auto listed = f.api.request(Open311Fixture::get({id, "json"}));
  REQUIRE(listed.status == 200);
  CHECK(body(listed)[0]["service_code"] == "schlagloch");
  CHECK(body(listed)[0]["status"] == "open");
  CHECK(body(listed)[0]["description"].is_null());
  auto all = body(f.api.requests(Open311Fixture::get({"json"})));
  REQUIRE(all.size() == 1);
  CHECK(all[0]["service_request_id"] == id);

  // Same creation path: a ticket row, a 'created' queue entry; none of the reporter's contact
  // data is stored anywhere.
  const auto number = std::stoll(id);
  auto entries = f.cases.caseEntriesOf(number);
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].event_type == "created");
  CHECK((*entries)[0].department == "tiefbau-kernstadt");  // district routing
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE channel = 'api' AND reporter = ''") == 1);
  for (const char* secret : {"smit333", "111111111", "smith", "tt222111"}) {
    CHECK(f.h.scalar(std::string("SELECT count(*) FROM tickets WHERE description LIKE '%") +
                     secret + "%' OR address_text LIKE '%" + secret + "%'") == 0);
  }

  SUBCASE("a chat report afterwards gets the next number") {
    f.h.onboard("carla");
    const auto next = f.h.report("carla", "graffiti", bb::test::kMarktplatz);
    CHECK(next == number + 1);
  }
}

TEST_CASE_TEMPLATE("open311: POST requests refuses a missing or wrong api_key and bad input", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const std::string key = f.key("stadt-app", {"tiefbau-kernstadt"});
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "service_code=schlagloch&lat=48.0777&long=11.9706")),
             403);
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=bbk_wrong&service_code=schlagloch&lat=48.0777&long=11.9706")),
             403);
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&service_code=schlagloch")),
             400);  // no location
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&service_code=schlagloch&lat=48.0777")),
             400);  // lat without long
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&service_code=nope&address_string=Marktplatz+1")),
             404);
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&address_string=Marktplatz+1")),
             400);  // no service_code
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&service_code=schlagloch&address_string=x&" +
                               "description=" + std::string(4001, 'a'))),
             400);
  // A key of department tiefbau-kernstadt cannot file bauhof's street lights.
  checkError(f.api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key +
                               "&service_code=strassenbeleuchtung&address_string=Marktplatz+1")),
             403);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets") == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue") == 0);
}

TEST_CASE_TEMPLATE("open311: servicerequestupdates sets status and public note and lists updates", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  const std::string key = f.key("kfa", {"tiefbau-kernstadt"});
  const std::string other = f.key("gruen", {"stadtgruen"});
  const std::string base = "service_request_id=" + std::to_string(n) +
                           "&update_id=77&updated_datetime=2026-11-18T10:00:00%2B01:00";
  checkError(f.api.postUpdate(Open311Fixture::form({"json"}, base + "&status=FIXED")), 403);
  checkError(f.api.postUpdate(Open311Fixture::form(
                 {"json"}, "api_key=" + other + "&" + base + "&status=FIXED")),
             404);
  checkError(f.api.postUpdate(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&" + base + "&status=WHATEVER")),
             400);
  auto res = f.api.postUpdate(Open311Fixture::form(
      {"json"}, "api_key=" + key + "&" + base + "&status=IN_PROGRESS&description=Trupp+ist+unterwegs"));
  REQUIRE(res.status == 200);
  CHECK(body(res)[0]["update_id"] == "77");
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE status = 'in_bearbeitung'") == 1);
  // The citizen hears about it on their channel.
  CHECK(f.h.replyText("anna").find("Trupp ist unterwegs") != std::string::npos);

  // A second update has an id of its own (the same id would be a repeat, see below).
  std::string second = base;
  second.replace(second.find("update_id=77"), 12, "update_id=78");
  auto ok = f.api.postUpdate(Open311Fixture::form(
      {"json"}, "api_key=" + key + "&" + second + "&status=UNCHANGED&description=Material+bestellt"));
  CHECK(ok.status == 200);
  CHECK(f.h.replyText("anna").find("Material bestellt") != std::string::npos);

  auto list = f.api.updates(Open311Fixture::get({"json"}));
  REQUIRE(list.status == 200);
  const json updates = body(list);
  REQUIRE(updates.size() == 2);
  for (const auto& u : updates) {
    for (const char* field : {"service_request_id", "update_id", "status", "updated_datetime",
                              "description", "media_url"}) {
      INFO(field);
      CHECK(u.contains(field));
    }
    CHECK(u["update_id"].is_string());
    CHECK(isW3c(u["updated_datetime"]));
    CHECK(u["status"] == "in_progress");
  }
  CHECK(updates[0]["description"] == "Trupp ist unterwegs");
  CHECK(updates[1]["description"] == "Material bestellt");
  auto entries = f.cases.caseEntriesOf(n);
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[1].event_type == "status_changed");
  CHECK((*entries)[2].event_type == "note");
}

TEST_CASE_TEMPLATE("backoffice: api keys are required, hashed, and scoped to departments", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  f.h.onboard("anna");
  const auto pothole = f.h.report("anna", "schlagloch", bb::test::kMarktplatz);  // tiefbau-kernstadt
  f.h.onboard("bert");
  const auto light = f.h.report("bert", "strassenbeleuchtung", {48.0790, 11.9720});  // bauhof
  const std::string key = f.key("tiefbau-fv", {"tiefbau-kernstadt"});
  CHECK(key.rfind("bbk_", 0) == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM api_keys WHERE hash = '" + bb::CaseService::hashApiKey(key) +
                   "'") == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM api_keys WHERE hash = '" + key + "'") == 0);

  const json change = {{"status", "in_bearbeitung"}, {"note", "Auftrag erteilt"}};
  auto missing = f.v1.setStatus(Open311Fixture::apiCall("PUT", pothole, "", change));
  CHECK(missing.status == 401);
  auto wrong = f.v1.setStatus(Open311Fixture::apiCall("PUT", pothole, "bbk_0000", change));
  CHECK(wrong.status == 403);
  auto foreign = f.v1.setStatus(Open311Fixture::apiCall("PUT", light, key, change));
  CHECK(foreign.status == 404);
  CHECK(f.v1.addNote(Open311Fixture::apiCall("POST", light, key, {{"note", "x"}})).status == 404);
  CHECK(f.v1.setExternalRef(Open311Fixture::apiCall("PUT", light, key, {{"ref", "x"}})).status ==
        404);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE status <> 'eingegangen'") == 0);

  SUBCASE("a revoked key is refused") {
    CHECK(f.v1.addNote(Open311Fixture::apiCall("POST", pothole, key, {{"note", "x"}})).status ==
          201);
    REQUIRE(f.cases.revokeApiKey("tiefbau-fv", f.h.clock.now()));
    // At once: the very next request, no cache to expire.
    CHECK(f.v1.setStatus(Open311Fixture::apiCall("PUT", pothole, key, change)).status == 403);
    CHECK_FALSE(f.cases.revokeApiKey("tiefbau-fv", f.h.clock.now()));  // nothing left to revoke
  }
  SUBCASE("X-Api-Key works too, and the own department's ticket changes") {
    HttpRequest r = Open311Fixture::apiCall("PUT", pothole, "", change);
    r.headers["x-api-key"] = key;
    auto ok = f.v1.setStatus(r);
    CHECK(ok.status == 200);
    CHECK(f.h.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'status_changed' AND "
                     "actor = 'backoffice:tiefbau-fv'") == 1);
  }
  SUBCASE("bad input") {
    CHECK(f.v1.setStatus(Open311Fixture::apiCall("PUT", pothole, key, {{"status", "kaputt"}}))
              .status == 400);
    HttpRequest r = Open311Fixture::apiCall("PUT", pothole, key, {});
    r.body = "{nope";
    CHECK(f.v1.setStatus(r).status == 400);
    CHECK(f.v1.setStatus(Open311Fixture::apiCall("PUT", 999999, key, change)).status == 404);
  }
}

TEST_CASE_TEMPLATE("backoffice: /api/v1 status, note and external ref reach followers and the case queue", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  f.h.onboard("anna");
  const auto n = f.h.report("anna", "schlagloch", bb::test::kMarktplatz);
  (void)f.h.replies("anna");
  const std::string key = f.key("tiefbau-fv", {"tiefbau-kernstadt"});
  auto s = f.v1.setStatus(Open311Fixture::apiCall(
      "PUT", n, key, {{"status", "eingeplant"}, {"note", "Reparatur am Montag"}}));
  CHECK(s.status == 200);
  CHECK(f.h.replyText("anna").find("Reparatur am Montag") != std::string::npos);
  auto note = f.v1.addNote(Open311Fixture::apiCall("POST", n, key, {{"note", "Asphalt bestellt"}}));
  CHECK(note.status == 201);
  CHECK(f.h.replyText("anna").find("Asphalt bestellt") != std::string::npos);
  auto ref = f.v1.setExternalRef(Open311Fixture::apiCall("PUT", n, key, {{"ref", "KFA-2026-17"}}));
  CHECK(ref.status == 200);
  // A transition the status table does not allow is a conflict.
  auto bad = f.v1.setStatus(Open311Fixture::apiCall("PUT", n, key, {{"status", "duplikat"}}));
  CHECK(bad.status == 409);

  auto entries = f.cases.caseEntriesOf(n);
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].event_type == "created");
  CHECK((*entries)[1].event_type == "status_changed");
  CHECK((*entries)[2].event_type == "note");
  const json p = json::parse((*entries)[1].payload);
  CHECK(p["event"] == "status_changed");
  CHECK(p["service_request"]["service_request_id"] == std::to_string(n));
  CHECK(p["service_request"]["buergerbox_status"] == "eingeplant");
  CHECK(p["update"]["description"] == "Reparatur am Montag");
  const json last = json::parse((*entries)[2].payload);
  CHECK(last["service_request"]["external_ref"].is_null());  // set after that entry
  auto open = body(f.api.request(Open311Fixture::get({std::to_string(n), "json"})));
  CHECK(open[0]["status_notes"] == "Asphalt bestellt");
}

TEST_CASE_TEMPLATE("backoffice: the case queue entry commits with the change, without personal data", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  REQUIRE(f.h.engine->changeTicketStatus(n, "in_pruefung", "", "staff:x"));
  auto entries = f.cases.caseEntriesOf(n);
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].event_type == "created");
  CHECK((*entries)[0].state == "pending");
  CHECK((*entries)[0].created_at == f.h.clock.now());
  const std::string pseudonym = f.h.pseudonym("anna");
  for (const auto& e : *entries) {
    CHECK(e.payload.find("170") == std::string::npos);
    CHECK(e.payload.find("Hausnummer") == std::string::npos);
    CHECK(e.payload.find(pseudonym) == std::string::npos);
    CHECK(e.payload.find("webchat") == std::string::npos);
  }
  // A change that fails leaves no queue entry behind (same transaction).
  CHECK_FALSE(f.h.store->changeStatus(bb::StatusChange{999999, "erledigt", "", "x", f.h.clock.now(), {}}));
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue") == 2);
}

TEST_CASE_TEMPLATE("backoffice: public views leak no personal data", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  REQUIRE(f.h.scalar("SELECT count(*) FROM tickets WHERE description LIKE '%170 1234567%'") == 1);
  REQUIRE(f.h.engine->changeTicketStatus(n, "in_bearbeitung", "Wir kümmern uns.", "staff:x"));
  const std::string id = std::to_string(n);
  const std::string pseudonym = f.h.pseudonym("anna");
  std::vector<HttpResponse> views = {
      f.api.requests(Open311Fixture::get({"json"})),
      f.api.requests(Open311Fixture::get({"xml"})),
      f.api.request(Open311Fixture::get({id, "json"})),
      f.api.request(Open311Fixture::get({id, "xml"})),
      f.api.updates(Open311Fixture::get({"json"})),
      f.api.updates(Open311Fixture::get({"xml"})),
      f.api.services(Open311Fixture::get({"json"})),
      f.api.discovery(Open311Fixture::get({"json"})),
  };
  char exact_lat[32];
  std::snprintf(exact_lat, sizeof exact_lat, "%.4f", bb::test::kMarktplatz.lat);
  for (const auto& v : views) {
    CHECK(v.status == 200);
    CHECK(v.body.find("1234567") == std::string::npos);
    CHECK(v.body.find("+49") == std::string::npos);
    CHECK(v.body.find("Hausnummer") == std::string::npos);
    CHECK(v.body.find("ganz aus") == std::string::npos);
    CHECK(v.body.find(pseudonym) == std::string::npos);
    CHECK(v.body.find("webchat") == std::string::npos);
    CHECK(v.body.find("user-anna") == std::string::npos);
  }
  CHECK(views[0].body.find("Wir kümmern uns.") != std::string::npos);  // published by staff

  SUBCASE("a description staff publish becomes public") {
    REQUIRE(f.cases.setPublicDescription(n, "Schlagloch vor dem Rathaus", "staff:x", f.h.clock.now()));
    auto one = body(f.api.request(Open311Fixture::get({id, "json"})));
    CHECK(one[0]["description"] == "Schlagloch vor dem Rathaus");
  }
}

TEST_CASE("backoffice: W3C datetimes and the public grid") {
  auto t = bb::parseW3cTime("2010-04-14T06:37:38-08:00");
  REQUIRE(t);
  CHECK(bb::w3cTime(*t) == "2010-04-14T14:37:38Z");
  CHECK(bb::parseW3cTime("2010-04-14"));
  CHECK_FALSE(bb::parseW3cTime("2010-04-14T06:37:38"));  // the zone is mandatory
  CHECK_FALSE(bb::parseW3cTime("14.04.2010"));
  const auto a = bb::roundToGrid(48.07771, 11.97061, 25);
  const auto b = bb::roundToGrid(48.07773, 11.97063, 25);
  CHECK(a.lat == b.lat);
  CHECK(a.lon == b.lon);
  CHECK(std::fabs(a.lat - 48.07771) < 25.0 / 111320.0);
}

TEST_CASE_TEMPLATE("open311: address names the public rounded point by its nearest address", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  auto demo = bb::geo::readGazetteerFile(
      std::string(BB_SOURCE_DIR) + "/config/ebersberg/gazetteer.csv", "csv");
  REQUIRE(demo.has_value());
  REQUIRE(f.h.gazetteer->replace(*demo));
  f.h.onboard("anna");
  const auto n = f.h.report("anna", "graffiti", bb::test::kMarktplatz);
  // Without a namer the field stays null, as before.
  auto r = f.api.requests(Open311Fixture::get({"json"}));
  REQUIRE(body(r).size() == 1);
  CHECK(body(r)[0]["address"].is_null());

  std::vector<std::pair<double, double>> asked;
  f.api.setPlaceNamer([&](double lat, double lon) {
    asked.emplace_back(lat, lon);
    return f.h.engine->describePlace(lat, lon, bb::flows::Lang::De);
  });
  r = f.api.requests(Open311Fixture::get({"json"}));
  const json list = body(r);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["service_request_id"] == std::to_string(n));
  REQUIRE(list[0]["address"].is_string());
  CHECK(list[0]["address"].get<std::string>().find("Marienplatz") != std::string::npos);
  // Asked with the published point, never the exact one.
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].first == list[0]["lat"].get<double>());
  CHECK(asked[0].second == list[0]["long"].get<double>());
  const auto exact = bb::roundToGrid(bb::test::kMarktplatz.lat, bb::test::kMarktplatz.lon, 25);
  CHECK(asked[0].first == exact.lat);
}

TEST_CASE_TEMPLATE("open311: a repeated update_id is applied once and tells the citizen once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  (void)f.h.replies("anna");
  const std::string key = f.key("kfa", {"tiefbau-kernstadt"});
  const std::string form = "api_key=" + key + "&service_request_id=" + std::to_string(n) +
                           "&update_id=KFA-9&updated_datetime=2026-11-18T10:00:00Z"
                           "&status=IN_PROGRESS&description=Trupp+ist+unterwegs";
  const std::string outbox = "SELECT count(*) FROM outbox WHERE ticket_id = (SELECT id FROM "
                             "tickets WHERE number = " + std::to_string(n) + ")";
  const std::int64_t before = f.h.scalar(outbox);
  for (int i = 0; i < 3; ++i) {
    auto res = f.api.postUpdate(Open311Fixture::form({"json"}, form));
    CHECK(res.status == 200);
    CHECK(body(res)[0]["update_id"] == "KFA-9");
  }
  CHECK(f.h.scalar(outbox) == before + 1);
  CHECK(f.h.scalar("SELECT count(*) FROM ticket_events WHERE kind IN ('status_changed', "
                   "'public_note')") == 1);
  const auto replies = f.h.replies("anna");
  int told = 0;
  for (const auto& m : replies) {
    if (m.text.find("Trupp ist unterwegs") != std::string::npos) { ++told; }
  }
  CHECK(told == 1);
}

TEST_CASE_TEMPLATE("open311: servicerequestupdates pages through more than one page", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(f.service.addNote(bb::ApiPrincipal{"kfa", {"*"}}, n, "Notiz " + std::to_string(i)));
  }
  auto page = [&](const std::string& p, const std::string& size) {
    return f.api.updates(Open311Fixture::get({"json"}, {{"page", p}, {"page_size", size}}));
  };
  const json first = body(page("1", "2"));
  const json second = body(page("2", "2"));
  const json third = body(page("3", "2"));
  REQUIRE(first.size() == 2);
  REQUIRE(second.size() == 2);
  REQUIRE(third.size() == 1);
  CHECK(first[0]["description"] == "Notiz 0");
  CHECK(second[0]["description"] == "Notiz 2");
  CHECK(third[0]["description"] == "Notiz 4");
  CHECK(body(page("4", "2")).empty());
  checkError(page("0", "2"), 400);
  checkError(page("1", "1001"), 400);
}

TEST_CASE_TEMPLATE("open311: jurisdiction_id is checked on every route that takes it", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const auto n = f.reportWithPhone("anna", "schlagloch", bb::test::kMarktplatz);
  const std::string key = f.key("kfa", {"tiefbau-kernstadt"});
  bb::web::Open311Options options;
  options.jurisdiction_id = "ebersberg.de";
  bb::web::Open311Api api{f.service, f.h.clock, options};
  const std::vector<std::pair<std::string, std::string>> wrong = {{"jurisdiction_id", "city.gov"}};
  const std::vector<std::pair<std::string, std::string>> right = {{"jurisdiction_id", "ebersberg.de"}};
  const std::string id = std::to_string(n);
  checkError(api.services(Open311Fixture::get({"json"}, wrong)), 404);
  checkError(api.serviceDefinition(Open311Fixture::get({"schlagloch", "json"}, wrong)), 404);
  checkError(api.requests(Open311Fixture::get({"json"}, wrong)), 404);
  checkError(api.request(Open311Fixture::get({id, "json"}, wrong)), 404);
  checkError(api.updates(Open311Fixture::get({"json"}, wrong)), 404);
  checkError(api.createRequest(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&jurisdiction_id=city.gov&service_code=schlagloch"
                           "&lat=48.0777&long=11.9706")),
             404);
  checkError(api.postUpdate(Open311Fixture::form(
                 {"json"}, "api_key=" + key + "&jurisdiction_id=city.gov&service_request_id=" +
                               id + "&update_id=1&status=IN_PROGRESS"
                               "&updated_datetime=2026-11-18T10:00:00Z")),
             404);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets WHERE status = 'in_bearbeitung'") == 0);
  // The right one, or none, is served.
  CHECK(api.services(Open311Fixture::get({"json"}, right)).status == 200);
  CHECK(api.serviceDefinition(Open311Fixture::get({"schlagloch", "json"}, right)).status == 200);
  CHECK(api.requests(Open311Fixture::get({"json"}, right)).status == 200);
  CHECK(api.request(Open311Fixture::get({id, "json"}, right)).status == 200);
  CHECK(api.updates(Open311Fixture::get({"json"})).status == 200);
}

TEST_CASE_TEMPLATE("open311: POSTed requests outside the city limits are refused, inside get their district", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Open311Fixture f(B::backend);
  const std::string key = f.key("stadt-app", {"*"});
  auto create = [&](const std::string& lat, const std::string& lon) {
    return f.api.createRequest(Open311Fixture::form(
        {"json"}, "api_key=" + key + "&service_code=schlagloch&lat=" + lat + "&long=" + lon));
  };
  checkError(create(std::to_string(bb::test::kMunich.lat), std::to_string(bb::test::kMunich.lon)),
             400);
  CHECK(f.h.scalar("SELECT count(*) FROM tickets") == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue") == 0);
  auto inside = create("48.0777", "11.9706");
  REQUIRE(inside.status == 200);
  const std::string number = body(inside)[0]["service_request_id"];
  auto entries = f.cases.caseEntriesOf(std::stoll(number));
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].department == "tiefbau-kernstadt");  // routed by the district
  CHECK(json::parse((*entries)[0].payload)["service_request"]["district"] == "kernstadt");
}
