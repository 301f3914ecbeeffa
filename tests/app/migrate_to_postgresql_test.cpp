// `buergerbox migrate-to-postgresql`: an installation the engine filled through real
// conversations moves into a new PostgreSQL database of the test's own server; a second run into
// the same database, and a password inside the URL, are refused with the reason.

#include <doctest/doctest.h>

#include <iostream>
#include <sstream>

#include "app/commands/commands.hpp"
#include "support/engine_harness.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace {

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

//! Runs the command in this process with stdout and stderr captured.
Run migrateToPostgresql(const bb::app::Args& args) {
  std::ostringstream out;
  std::ostringstream err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Run run;
  run.code = bb::app::runMigrateToPostgresql(args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace

TEST_CASE("migrate-to-postgresql: the SQLite installation arrives whole, a second run is refused") {
  bb::test::TempDir dir;
  std::string db_path;
  {
    bb::test::EngineHarness h(2, dir.path() + "/buergerbox.db");
    h.onboard("anna");
    (void)h.report("anna", "schlagloch", bb::test::kMarktplatz);
    h.onboard("bernd");
    (void)h.report("bernd", "strassenbeleuchtung", bb::test::kMarktplatz);
    h.text("bernd", "Danke, Straße 🚲");
    db_path = h.db_path;
  }  // the service stopped
  const std::string config = dir.path() + "/buergerbox.json";
  bb::test::writeFile(config, R"({"demo": true, "storage": {"media_dir": ")" + dir.path() +
                                  R"(/media"}})");
  const std::string url = bb::test::freshPostgres();
  const bb::app::Args args{"migrate-to-postgresql", "--from", db_path, "--to", url,
                           "--config", config};

  const Run first = migrateToPostgresql(args);
  INFO(first.err);
  REQUIRE(first.code == 0);
  CHECK(first.out.find("copied ") != std::string::npos);
  CHECK(first.out.find("DIFFERS") == std::string::npos);
  CHECK(first.out.find("\ntickets ") != std::string::npos);
  auto postgres = bb::test::openPostgres(url);
  auto count = [&postgres](const std::string& table) {
    auto n = postgres->withConnection([&table](bb::storage::pg::Session& s) {
      return s.exec("SELECT count(*) FROM " + table).int64(0, 0);
    });
    REQUIRE(n.has_value());
    return *n;
  };
  CHECK(count("tickets") == 2);
  CHECK(count("citizens") == 2);
  CHECK(count("bb_schema_version") == 1);

  // Into a database that has rows: nothing is written, the reason is named.
  const Run second = migrateToPostgresql(args);
  CHECK(second.code == 1);
  CHECK(second.err.find("not empty") != std::string::npos);
  CHECK(second.err.find("nothing was committed") != std::string::npos);
  CHECK(count("tickets") == 2);
}

TEST_CASE("migrate-to-postgresql: a password in the URL or no target at all is refused") {
  bb::test::TempDir dir;
  const std::string config = dir.path() + "/buergerbox.json";
  bb::test::writeFile(config, R"({"demo": true, "storage": {"path": ")" + dir.path() +
                                  R"(/bb.db", "media_dir": ")" + dir.path() + R"(/media"}})");
  const Run with_password = migrateToPostgresql(
      {"migrate-to-postgresql", "--to", "postgresql://bb:Geheim-42@127.0.0.1/bb", "--config", config});
  CHECK(with_password.code == 1);
  CHECK(with_password.err.find("BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD") != std::string::npos);
  CHECK(with_password.err.find("Geheim") == std::string::npos);
  const Run no_target = migrateToPostgresql({"migrate-to-postgresql", "--config", config});
  CHECK(no_target.code == bb::app::kBadUsage);
  CHECK(no_target.err.find("--to URL") != std::string::npos);
}
