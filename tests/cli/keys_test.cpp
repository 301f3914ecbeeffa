// `buergerbox keys rotate` through the real binary: the procedure of docs/privacy.md.

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/security/crypto.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

//! `storage` names the database: BUERGERBOX_STORAGE_PATH=... or the PostgreSQL settings.
Run keysRotate(const std::string& storage, char current, const std::string& previous) {
  const std::string command = std::string("cd '") + BB_SOURCE_DIR + "' && env " + storage +
                              " BUERGERBOX_PRIVACY_PSEUDONYM_KEY=" + bb::test::testKey('a') +
                              " BUERGERBOX_PRIVACY_ENCRYPTION_KEY=" + bb::test::testKey(current) +
                              " BUERGERBOX_PRIVACY_PREVIOUS_ENCRYPTION_KEYS=" + previous + " '" +
                              BB_BINARY + "' keys rotate --config config/demo.json 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) { run.output += buf; }
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bb::crypto::Key key(char fill) { return *bb::crypto::keyFromHex(bb::test::testKey(fill)); }

}  // namespace

TEST_CASE("cli: keys rotate re-encrypts under the new key, without the old key it changes nothing") {
  bb::test::TempDir dir;
  const std::string db_path = dir.path() + "/db.sqlite";
  // Create the schema with the binary, then one citizen sealed under the old key 'b'.
  const std::string on_file = "BUERGERBOX_STORAGE_PATH='" + db_path + "'";
  REQUIRE(keysRotate(on_file, 'b', "").code == 0);
  {
    SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
    const auto sealed = bb::crypto::seal(key('b'), "+4915112345678");
    SQLite::Statement q(db, "INSERT INTO citizens (pseudonym, channel, address_ct, key_id, "
                            "created_at) VALUES ('p1', 'whatsapp', ?1, ?2, 0)");
    q.bind(1, sealed.ciphertext.data(), static_cast<int>(sealed.ciphertext.size()));
    q.bind(2, sealed.key_id);
    q.exec();
  }

  // The new key without the old one: refused, nothing changed.
  const Run refused = keysRotate(on_file, 'c', "");
  CHECK(refused.code == 1);
  CHECK(refused.output.find("privacy.previous_encryption_keys") != std::string::npos);
  CHECK(refused.output.find("+4915112345678") == std::string::npos);

  const Run ok = keysRotate(on_file, 'c', bb::test::testKey('b'));
  CHECK(ok.code == 0);
  CHECK(ok.output.find("re-encrypted 1 citizen addresses") != std::string::npos);

  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT address_ct, key_id FROM citizens WHERE pseudonym = 'p1'");
  REQUIRE(q.executeStep());
  const auto blob = q.getColumn(0);
  const std::string ct(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()));
  CHECK(q.getColumn(1).getString() == bb::crypto::keyId(key('c')));
  auto opened = bb::crypto::open(key('c'), ct);
  REQUIRE(opened.has_value());
  CHECK(*opened == "+4915112345678");
}

TEST_CASE("cli: keys rotate on PostgreSQL re-encrypts under the new key, without the old key it "
          "changes nothing") {
  const std::string url = bb::test::migratedPostgres();
  auto pg = bb::test::openPostgres(url, 1);
  const auto sealed = bb::crypto::seal(key('b'), "+4915112345678");
  REQUIRE(pg->withConnection([&](bb::storage::pg::Session& s) {
    s.run("INSERT INTO citizens (pseudonym, channel, address_ct, key_id, created_at) "
          "VALUES ('p1', 'whatsapp', $1, $2, 0)",
          bb::storage::pg::Bytes{sealed.ciphertext}, sealed.key_id);
  }));
  const std::string on_postgres = "BUERGERBOX_STORAGE_BACKEND=postgresql "
                                  "BUERGERBOX_STORAGE_POSTGRESQL_URL='" + url + "'";
  auto stored = [&] {
    auto row = pg->withConnection([](bb::storage::pg::Session& s) {
      auto q = s.run("SELECT address_ct, key_id FROM citizens WHERE pseudonym = 'p1'");
      REQUIRE(q.size() == 1);
      return std::pair{q.bytes(0, 0), q.text(0, 1)};
    });
    REQUIRE(row.has_value());
    return *row;
  };

  const Run refused = keysRotate(on_postgres, 'c', "");
  CHECK(refused.code == 1);
  CHECK(refused.output.find("privacy.previous_encryption_keys") != std::string::npos);
  CHECK(refused.output.find("+4915112345678") == std::string::npos);
  CHECK(stored().second == sealed.key_id);

  const Run ok = keysRotate(on_postgres, 'c', bb::test::testKey('b'));
  INFO(ok.output);
  CHECK(ok.code == 0);
  CHECK(ok.output.find("re-encrypted 1 citizen addresses") != std::string::npos);
  const auto [ct, key_id] = stored();
  CHECK(key_id == bb::crypto::keyId(key('c')));
  auto opened = bb::crypto::open(key('c'), ct);
  REQUIRE(opened.has_value());
  CHECK(*opened == "+4915112345678");
}
