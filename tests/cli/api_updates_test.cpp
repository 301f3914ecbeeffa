// The idempotent update POST of /api/v1 through the real server: a citizen reports through the
// web chat, the back office posts the same update (same update_id) twice, as it does when the
// answer to its first POST got lost. The citizen is told once. On a SQLite file and on a
// database of its own on the run's PostgreSQL server.

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/server_database.hpp"
#include "support/server_process.hpp"

using json = nlohmann::json;

namespace {

//! Waits until `sql` answers at least `want` (the engine works asynchronously).
std::int64_t waitFor(bb::test::ServerDatabase& database, const std::string& sql,
                     std::int64_t want) {
  std::int64_t got = 0;
  for (int i = 0; i < 200; ++i) {
    got = database.scalar(sql);
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

TEST_CASE_TEMPLATE("api v1: the same update_id posted twice to the real server notifies the citizen once", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  std::map<std::string, std::string> env{{"BUERGERBOX_SERVER_PORT", "0"},
                                         {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}};
  env.merge(database.env());
  bb::test::ServerProcess server;
  REQUIRE(server.start("config/demo.json", env));
  httplib::Client client("127.0.0.1", server.port());
  Visitor anna(client);
  anna.send({{"text", "Hallo"}});
  anna.send({{"choice", "accept"}});
  anna.send({{"choice", "letter"}});
  anna.send({{"text", "Bitte mehr Fahrradständer am Bahnhof."}});
  anna.send({{"choice", "send"}});
  REQUIRE(waitFor(database, "SELECT count(*) FROM tickets", 1) == 1);
  const std::int64_t number = database.scalar("SELECT number FROM tickets");
  const std::int64_t ticket_id = database.scalar("SELECT id FROM tickets");

  const auto key_run = bb::test::runCli("apikey add --name kfa --department '*'",
                                        "config/demo.json", database.env());
  REQUIRE_MESSAGE(key_run.code == 0, key_run.errors);
  const std::string added = key_run.output;
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(added, m, std::regex("bbk_[0-9a-f]+")), added);
  const std::string key = m[0];

  const std::string outbox_of_ticket =
      "SELECT count(*) FROM outbox WHERE ticket_id = " + std::to_string(ticket_id);
  const std::int64_t before = database.scalar(outbox_of_ticket);
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

  CHECK(database.scalar(outbox_of_ticket) == before + 1);  // one notice to anna
  CHECK(database.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'status_changed' AND "
                        "ticket_id = " + std::to_string(ticket_id)) == 1);
  CHECK(database.scalar("SELECT count(*) FROM case_queue WHERE event_type = 'status_changed'") ==
        1);
  CHECK(database.scalar("SELECT count(*) FROM ticket_events WHERE kind = 'public_note'") == 0);

  // A new update id is a new update: anna hears about it.
  auto next = client.Post(path, auth,
                          json{{"update_id", "KFA-2026-77/2"}, {"note", "Standort steht fest."}}.dump(),
                          "application/json");
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(json::parse(next->body)["applied"] == true);
  CHECK(database.scalar(outbox_of_ticket) == before + 2);

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
