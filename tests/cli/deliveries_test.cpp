// `buergerbox deliveries`, `buergerbox apikey list|revoke` and `buergerbox staff reset-password`
// through the real binary, on a database the binary created.

#include <doctest/doctest.h>

#include <cstdio>
#include <regex>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/cases/case_service.hpp"
#include "bot/security/crypto.hpp"
#include "bot/staff/password.hpp"
#include "storage/open.hpp"
#include "storage/sqlite_case_store.hpp"
#include "support/server_process.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

Run buergerbox(const std::string& db_path, const std::string& args) {
  const std::string command = std::string("cd '") + BB_SOURCE_DIR + "' && env" +
                              " BUERGERBOX_STORAGE_PATH='" + db_path + "'" +
                              " BUERGERBOX_PRIVACY_PSEUDONYM_KEY=" + bb::test::testKey('a') +
                              " BUERGERBOX_PRIVACY_ENCRYPTION_KEY=" + bb::test::testKey('b') +
                              " '" + BB_BINARY + "' " + args + " --config config/demo.json 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) { run.output += buf; }
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::int64_t scalar(const std::string& db_path, const std::string& sql) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

void exec(const std::string& db_path, const std::string& sql) {
  SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
  db.exec(sql);
}

}  // namespace

TEST_CASE("cli: deliveries list shows a dead entry, retry queues it again, discard is audited") {
  bb::test::TempDir dir;
  const std::string db_path = dir.path() + "/db.sqlite";
  REQUIRE(buergerbox(db_path, "migrate").code == 0);
  // Two entries given up by the forwarder, queued two and a half hours ago.
  exec(db_path,
       "INSERT INTO case_queue (id, ticket_number, department, event_type, payload, created_at, "
       "state, tries, last_status, last_error) VALUES "
       "(7, 41, 'tiefbau', 'created', '{}', (strftime('%s','now') - 9000) * 1000, 'dead', 90, "
       "503, 'http 503'), "
       "(8, 42, 'bauhof', 'created', '{}', (strftime('%s','now') - 9000) * 1000, 'dead', 90, "
       "0, 'transport: timeout')");

  const Run listed = buergerbox(db_path, "deliveries list");
  CHECK(listed.code == 0);
  CHECK(listed.output.find("b-7\tBack office\t41\ttiefbau\tdead\t90\t") != std::string::npos);
  CHECK(listed.output.find("http 503") != std::string::npos);
  CHECK(listed.output.find("b-8\t") != std::string::npos);
  CHECK(listed.output.find("\t2 Std.\t") != std::string::npos);  // the age
  CHECK(listed.output.find("2 deliveries need attention") != std::string::npos);

  const Run retried = buergerbox(db_path, "deliveries retry b-7");
  CHECK(retried.code == 0);
  CHECK(scalar(db_path, "SELECT count(*) FROM case_queue WHERE id = 7 AND state = 'pending' "
                        "AND tries = 0") == 1);
  CHECK(scalar(db_path, "SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'delivery_retry' AND detail = 'b-7' AND ticket_number = 41") == 1);

  const Run discarded = buergerbox(db_path, "deliveries discard b-8");
  CHECK(discarded.code == 0);
  CHECK(scalar(db_path, "SELECT state = 'discarded' FROM case_queue WHERE id = 8") == 1);
  CHECK(scalar(db_path, "SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'delivery_discard' AND detail = 'b-8' AND ticket_number = 42") ==
        1);

  // Not a failed delivery (any more), or not a reference: refused, nothing changes.
  CHECK(buergerbox(db_path, "deliveries discard b-7").code == 1);
  CHECK(buergerbox(db_path, "deliveries retry x-1").code == 2);
  CHECK(scalar(db_path, "SELECT count(*) FROM audit_log") == 2);
  const Run empty = buergerbox(db_path, "deliveries list");
  CHECK(empty.output.find("0 deliveries need attention") != std::string::npos);
}

TEST_CASE("cli: apikey list and revoke, a revoked key is refused at the next request") {
  bb::test::TempDir dir;
  const std::string db_path = dir.path() + "/db.sqlite";
  REQUIRE(buergerbox(db_path, "migrate").code == 0);
  const Run typo = buergerbox(db_path, "apikey add --name kfa --department tiefbau-typo");
  CHECK(typo.code == 2);
  CHECK(typo.output.find("unknown department 'tiefbau-typo'") != std::string::npos);
  const Run added = buergerbox(db_path, "apikey add --name kfa --department tiefbau");
  REQUIRE(added.code == 0);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(added.output, m, std::regex("bbk_[0-9a-f]+")), added.output);
  const std::string key = m[0];

  bb::config::StorageConfig storage;
  storage.path = db_path;
  auto db = bb::storage::openDatabase(storage);
  REQUIRE(db);
  bb::storage::SqliteCaseStore cases(**db);
  auto known = [&] {
    auto keys = cases.activeApiKeys();
    REQUIRE(keys);
    for (const auto& k : *keys) {
      if (bb::crypto::constantTimeEquals(k.hash, bb::CaseService::hashApiKey(key))) { return true; }
    }
    return false;
  };
  CHECK(known());

  const Run listed = buergerbox(db_path, "apikey list");
  CHECK(listed.code == 0);
  CHECK(listed.output.find("kfa\ttiefbau\t") != std::string::npos);
  CHECK(listed.output.find("active") != std::string::npos);
  CHECK(listed.output.find(key) == std::string::npos);  // never shown again

  const Run revoked = buergerbox(db_path, "apikey revoke --name kfa");
  CHECK(revoked.code == 0);
  CHECK_FALSE(known());  // the running service reads the keys per request
  CHECK(buergerbox(db_path, "apikey list").output.find("revoked") != std::string::npos);
  CHECK(buergerbox(db_path, "apikey revoke --name kfa").code == 2);  // no active key of that name
  (*db)->close();
}

TEST_CASE("cli: staff reset-password gives a temporary password that must be changed, audited") {
  bb::test::TempDir dir;
  const std::string db_path = dir.path() + "/db.sqlite";
  REQUIRE(buergerbox(db_path, "migrate").code == 0);
  bb::test::writeFile(dir.path() + "/password", "das-vergessene-passwort\n");
  REQUIRE(buergerbox(db_path, "staff add --login mia --role admin <'" + dir.path() + "/password'")
              .code == 0);
  const std::string of_mia = " FROM staff_users WHERE login = 'mia'";
  CHECK(scalar(db_path, "SELECT must_change_password" + of_mia) == 0);

  const Run reset = buergerbox(db_path, "staff reset-password --login mia");
  CHECK(reset.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(reset.output, m, std::regex(R"(temporary password: (\S+))")));
  const std::string temporary = m[1];
  CHECK(temporary.size() >= 10);
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  const std::string hash = db.execAndGet("SELECT password_hash" + of_mia).getString();
  CHECK(bb::auth::verifyPassword(temporary, hash));
  CHECK_FALSE(bb::auth::verifyPassword("das-vergessene-passwort", hash));
  CHECK(scalar(db_path, "SELECT must_change_password" + of_mia) == 1);
  CHECK(scalar(db_path, "SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
                        "action = 'password_reset'") == 1);
  CHECK(scalar(db_path, "SELECT count(*) FROM audit_log WHERE detail LIKE '%" + temporary +
                        "%'") == 0);  // never written down

  const Run unknown = buergerbox(db_path, "staff reset-password --login nobody");
  CHECK(unknown.code == 2);
  CHECK(unknown.output.find("no account with that login") != std::string::npos);
}
