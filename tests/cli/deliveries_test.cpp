// `buergerbox deliveries`, `buergerbox apikey list|revoke` and `buergerbox staff reset-password`
// through the real binary, on a database the binary migrated: a SQLite file or a database of
// its own on the run's PostgreSQL server.

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>

#include "bot/cases/case_service.hpp"
#include "bot/staff/password.hpp"
#include "storage/millis.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

//! The binary on `database`, as a city's IT runs it: config/demo.json plus the environment.
Run buergerbox(const bb::test::ServerDatabase& database, const std::string& args,
               const std::string& input = {}) {
  std::map<std::string, std::string> env{
      {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('a')},
      {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('b')}};
  env.merge(database.env());
  const auto run = bb::test::runCli(args, "config/demo.json", env, input);
  return Run{run.code, run.output + run.errors};
}

}  // namespace

TEST_CASE_TEMPLATE("cli: deliveries list shows a dead entry, retry queues it again, discard is audited", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  REQUIRE(buergerbox(database, "migrate").code == 0);
  // Two entries given up by the forwarder, queued two and a half hours ago.
  const std::string queued_at = std::to_string(
      bb::storage::toMillis(std::chrono::system_clock::now() - std::chrono::seconds(9000)));
  database.execute(
      "INSERT INTO case_queue (id, ticket_number, department, event_type, payload, created_at, "
      "state, tries, last_status, last_error) VALUES "
      "(7, 41, 'tiefbau', 'created', '{}', " + queued_at + ", 'dead', 90, 503, 'http 503'), "
      "(8, 42, 'bauhof', 'created', '{}', " + queued_at + ", 'dead', 90, 0, "
      "'transport: timeout')");

  const Run listed = buergerbox(database, "deliveries list");
  CHECK(listed.code == 0);
  CHECK(listed.output.find("b-7\tBack office\t41\ttiefbau\tdead\t90\t") != std::string::npos);
  CHECK(listed.output.find("http 503") != std::string::npos);
  CHECK(listed.output.find("b-8\t") != std::string::npos);
  CHECK(listed.output.find("\t2 Std.\t") != std::string::npos);  // the age
  CHECK(listed.output.find("2 deliveries need attention") != std::string::npos);

  const Run retried = buergerbox(database, "deliveries retry b-7");
  CHECK(retried.code == 0);
  CHECK(database.scalar("SELECT count(*) FROM case_queue WHERE id = 7 AND state = 'pending' "
                        "AND tries = 0") == 1);
  CHECK(database.scalar("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'delivery_retry' AND detail = 'b-7' AND ticket_number = 41") == 1);

  const Run discarded = buergerbox(database, "deliveries discard b-8");
  CHECK(discarded.code == 0);
  CHECK(database.scalar("SELECT state = 'discarded' FROM case_queue WHERE id = 8") == 1);
  CHECK(database.scalar("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'delivery_discard' AND detail = 'b-8' AND ticket_number = 42") ==
        1);

  // Not a failed delivery (any more), or not a reference: refused, nothing changes.
  CHECK(buergerbox(database, "deliveries discard b-7").code == 1);
  CHECK(buergerbox(database, "deliveries retry x-1").code == 2);
  CHECK(database.scalar("SELECT count(*) FROM audit_log") == 2);
  const Run empty = buergerbox(database, "deliveries list");
  CHECK(empty.output.find("0 deliveries need attention") != std::string::npos);
}

TEST_CASE_TEMPLATE("cli: apikey list and revoke, a revoked key is refused at the next request", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  REQUIRE(buergerbox(database, "migrate").code == 0);
  const Run typo = buergerbox(database, "apikey add --name kfa --department tiefbau-typo");
  CHECK(typo.code == 2);
  CHECK(typo.output.find("unknown department 'tiefbau-typo'") != std::string::npos);
  const Run added = buergerbox(database, "apikey add --name kfa --department tiefbau");
  REQUIRE(added.code == 0);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(added.output, m, std::regex("bbk_[0-9a-f]+")), added.output);
  const std::string key = m[0];

  // What the service reads per request: the hashes of the keys not revoked.
  auto known = [&] {
    return database.scalar(bb::test::withLiteral(
               "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND hash = ?",
               bb::CaseService::hashApiKey(key))) == 1;
  };
  CHECK(known());
  CHECK(database.scalar(bb::test::withLiteral("SELECT count(*) FROM api_keys WHERE hash = ?", key)) == 0);

  const Run listed = buergerbox(database, "apikey list");
  CHECK(listed.code == 0);
  CHECK(listed.output.find("kfa\ttiefbau\t") != std::string::npos);
  CHECK(listed.output.find("active") != std::string::npos);
  CHECK(listed.output.find(key) == std::string::npos);  // never shown again

  const Run revoked = buergerbox(database, "apikey revoke --name kfa");
  CHECK(revoked.code == 0);
  CHECK_FALSE(known());  // the running service reads the keys per request
  CHECK(buergerbox(database, "apikey list").output.find("revoked") != std::string::npos);
  CHECK(buergerbox(database, "apikey revoke --name kfa").code == 2);  // no active key of that name
}

TEST_CASE_TEMPLATE("cli: staff reset-password gives a temporary password that must be changed, audited", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  REQUIRE(buergerbox(database, "migrate").code == 0);
  REQUIRE(buergerbox(database, "staff add --login mia --role admin", "das-vergessene-passwort\n")
              .code == 0);
  const std::string of_mia = " FROM staff_users WHERE login = 'mia'";
  CHECK(database.scalar("SELECT must_change_password" + of_mia) == 0);

  const Run reset = buergerbox(database, "staff reset-password --login mia");
  CHECK(reset.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(reset.output, m, std::regex(R"(temporary password: (\S+))")));
  const std::string temporary = m[1];
  CHECK(temporary.size() >= 10);
  const std::string hash = database.text("SELECT password_hash" + of_mia);
  CHECK(bb::auth::verifyPassword(temporary, hash));
  CHECK_FALSE(bb::auth::verifyPassword("das-vergessene-passwort", hash));
  CHECK(database.scalar("SELECT must_change_password" + of_mia) == 1);
  CHECK(database.scalar("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'password_reset'") == 1);
  CHECK(database.scalar("SELECT count(*) FROM audit_log WHERE detail LIKE '%" + temporary +
                        "%'") == 0);  // never written down

  const Run unknown = buergerbox(database, "staff reset-password --login nobody");
  CHECK(unknown.code == 2);
  CHECK(unknown.output.find("no account with that login") != std::string::npos);
}
