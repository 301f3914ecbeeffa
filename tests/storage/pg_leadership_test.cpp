// Leadership of the cluster-wide jobs on PostgreSQL (storage/postgresql/pg_leadership.hpp):
// instances of one database, each with its own PgLeadership, against a real server.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_leadership.hpp"
#include "support/temp_postgres.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::pg::PgLeadership;
using bb::storage::pg::PgOptions;

PgOptions freshDatabase() {
  PgOptions options;
  options.url = bb::test::freshPostgres();
  return options;
}

//! The ended session's backend releases its lock a moment after the call that ended it returns.
bool leadsWithin(PgLeadership& leadership) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!leadership.leads()) {
    if (std::chrono::steady_clock::now() > deadline) { return false; }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int leaders(std::vector<std::unique_ptr<PgLeadership>>& instances) {
  int n = 0;
  for (auto& i : instances) { n += i && i->leads() ? 1 : 0; }
  return n;
}

//! Ends the session that holds the lock in database `url`, as the server does when the leader's
//! machine is gone (other test processes may hold the same lock in their own databases).
std::int64_t endLeaderSession(const std::string& url) {
  const std::string name = url.substr(url.rfind("dbname=") + 7);
  auto admin = bb::storage::pg::PgDatabase::open(
      PgOptions{bb::test::TempPostgres::shared().url("postgres"), "", 1, 5000, 5});
  REQUIRE(admin.has_value());
  auto ended = (*admin)->withConnection([&](bb::storage::pg::Session& s) {
    return s.run("SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                 "WHERE locktype = 'advisory' AND granted AND objid = $1 AND database = "
                 "(SELECT oid FROM pg_database WHERE datname = $2)",
                 bb::storage::pg::kClusterJobsLock & 0xffffffff, name)
        .int64(0, 0);
  });
  REQUIRE(ended.has_value());
  return *ended;
}

}  // namespace

TEST_CASE("postgresql leadership: of three instances exactly one leads, and keeps leading") {
  const PgOptions options = freshDatabase();
  std::vector<std::unique_ptr<PgLeadership>> instances;
  for (int i = 0; i < 3; ++i) { instances.push_back(std::make_unique<PgLeadership>(options)); }
  for (int round = 0; round < 5; ++round) { CHECK(leaders(instances) == 1); }
  CHECK(instances[0]->leads());  // the first to ask took it
  CHECK_FALSE(instances[1]->leads());
}

TEST_CASE("postgresql leadership: when the leader stops, the next instance to ask leads") {
  const PgOptions options = freshDatabase();
  std::vector<std::unique_ptr<PgLeadership>> instances;
  for (int i = 0; i < 3; ++i) { instances.push_back(std::make_unique<PgLeadership>(options)); }
  REQUIRE(instances[0]->leads());
  CHECK_FALSE(instances[1]->leads());
  instances[0].reset();  // the leader shuts down
  CHECK(leadsWithin(*instances[1]));
  CHECK_FALSE(instances[2]->leads());
  CHECK(leaders(instances) == 1);
}

TEST_CASE("postgresql leadership: a leader whose session the server ended stops leading") {
  const PgOptions options = freshDatabase();
  std::vector<std::unique_ptr<PgLeadership>> instances;
  for (int i = 0; i < 2; ++i) { instances.push_back(std::make_unique<PgLeadership>(options)); }
  REQUIRE(instances[0]->leads());
  REQUIRE(endLeaderSession(options.url) == 1);
  // The old leader finds its session gone before it runs another job...
  CHECK_FALSE(instances[0]->leads());
  // ...the other instance takes the lead, and the old one does not get it back.
  CHECK(leadsWithin(*instances[1]));
  CHECK_FALSE(instances[0]->leads());
  CHECK(leaders(instances) == 1);
}

TEST_CASE("postgresql leadership: without a reachable database nobody leads") {
  PgOptions options;
  options.url = "host=127.0.0.1 port=1 user=bb dbname=x";
  options.connect_timeout_s = 2;
  PgLeadership leadership(options);
  CHECK_FALSE(leadership.leads());
}
