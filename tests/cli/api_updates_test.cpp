// The idempotent update POST of /api/v1 through the real server: a citizen reports through the
// web chat, the back office posts the same update (same update_id) twice, as it does when the
// answer to its first POST got lost. The citizen is told once.

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/server_process.hpp"

using json = nlohmann::json;

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) { out += buf; }
  pclose(pipe);
  return out;
}

std::int64_t scalar(const std::string& db_path, const std::string& sql) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  return db.execAndGet(sql).getInt64();
}

//! Waits until `sql` answers at least `want` (the engine works asynchronously).
std::int64_t waitFor(const std::string& db_path, const std::string& sql, std::int64_t want) {
  std::int64_t got = 0;
  for (int i = 0; i < 200; ++i) {
    got = scalar(db_path, sql);
    if (got >= want) { return got; }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return got;
}

//! A web chat visitor: the session cookie and CSRF token of GET /chat.
struct Visitor {
  httplib::Client& client;
  std::string cookie;
  std::string csrf;

  explicit Visitor(httplib::Client& c) : client(c) {
    auto page = client.Get("/chat");
    REQUIRE(page);
    REQUIRE(page->status == 200);
    const std::string set = page->get_header_value("Set-Cookie");
    cookie = set.substr(0, set.find(';'));
    std::smatch m;
    REQUIRE(std::regex_search(page->body, m, std::regex(R"re(name="csrf-token" content="([0-9a-f]+)")re")));
    csrf = m[1];
  }
  void send(const json& body) {
    auto r = client.Post("/chat/api/send", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}},
                         body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status < 300);
  }
};

}  // namespace

TEST_CASE("api v1: the same update_id posted twice to the real server notifies the citizen once") {
  bb::test::TempDir dir;
  const std::string db_path = dir.path() + "/db.sqlite";
  bb::test::ServerProcess server;
  REQUIRE(server.start("config/demo.json", {{"BUERGERBOX_SERVER_PORT", "0"},
                                            {"BUERGERBOX_STORAGE_PATH", db_path},
                                            {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}}));
  httplib::Client client("127.0.0.1", server.port());
  Visitor anna(client);
  anna.send({{"text", "Hallo"}});
  anna.send({{"choice", "accept"}});
  anna.send({{"choice", "letter"}});
  anna.send({{"text", "Bitte mehr Fahrradständer am Bahnhof."}});
  anna.send({{"choice", "send"}});
  REQUIRE(waitFor(db_path, "SELECT count(*) FROM tickets", 1) == 1);
  const std::int64_t number = scalar(db_path, "SELECT number FROM tickets");
  const std::int64_t ticket_id = scalar(db_path, "SELECT id FROM tickets");

  const std::string added = run(std::string("cd '") + BB_SOURCE_DIR + "' && env" +
                                " BUERGERBOX_STORAGE_PATH='" + db_path + "' '" + BB_BINARY +
                                "' apikey add --name kfa --department '*' --config "
                                "config/demo.json 2>&1");
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(added, m, std::regex("bbk_[0-9a-f]+")), added);
  const std::string key = m[0];

  const std::string outbox_of_ticket =
      "SELECT count(*) FROM outbox WHERE ticket_id = " + std::to_string(ticket_id);
  const std::int64_t before = scalar(db_path, outbox_of_ticket);
  const json update = {{"update_id", "KFA-2026-77/1"},
                       {"status", "in_bearbeitung"},
                       {"note", "Wir prüfen zwei Standorte."}};
  const std::string path = "/api/v1/tickets/" + std::to_string(number) + "/updates";
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  auto first = client.Post(path, auth, update.dump(), "application/json");
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(json::parse(first->body)["applied"] == true);
  // The back office never saw that answer and sends the same update again.
  auto second = client.Post(path, auth, update.dump(), "application/json");
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(json::parse(second->body)["applied"] == false);
  // The same id with a note only (status unchanged) is still the same update: nothing again.
  auto third = client.Post(path, auth, json{{"update_id", "KFA-2026-77/1"}, {"note", "x"}}.dump(),
                           "application/json");
  REQUIRE(third);
  CHECK(json::parse(third->body)["applied"] == false);

  CHECK(scalar(db_path, outbox_of_ticket) == before + 1);  // one notice to anna
  CHECK(scalar(db_path, "SELECT count(*) FROM ticket_events WHERE kind = 'status_changed' AND "
                        "ticket_id = " + std::to_string(ticket_id)) == 1);
  CHECK(scalar(db_path, "SELECT count(*) FROM case_queue WHERE event_type = 'status_changed'") ==
        1);
  CHECK(scalar(db_path, "SELECT count(*) FROM ticket_events WHERE kind = 'public_note'") == 0);

  // A new update id is a new update: anna hears about it.
  auto next = client.Post(path, auth,
                          json{{"update_id", "KFA-2026-77/2"}, {"note", "Standort steht fest."}}.dump(),
                          "application/json");
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(json::parse(next->body)["applied"] == true);
  CHECK(scalar(db_path, outbox_of_ticket) == before + 2);

  // The ticket and the change feed over the same server.
  auto ticket = client.Get("/api/v1/tickets/" + std::to_string(number), auth);
  REQUIRE(ticket);
  CHECK(ticket->status == 200);
  CHECK(json::parse(ticket->body)["report"]["description"] == "Bitte mehr Fahrradständer am Bahnhof.");
  auto changes = client.Get("/api/v1/changes?after=0", auth);
  REQUIRE(changes);
  CHECK(changes->status == 200);
  CHECK(json::parse(changes->body)["changes"].size() == 3);  // created, status_changed, note
  CHECK(server.stop(SIGTERM) == 0);
}
