// Wake-ups between instances (storage/postgresql/pg_notifier.hpp): what one instance commits
// reaches the listeners of the others; a rollback notifies nobody; a listener that lost its
// connection listens again and says so.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_notifier.hpp"
#include "support/temp_postgres.hpp"
#include "support/test_storage.hpp"

namespace {

using namespace std::chrono_literals;
using bb::storage::pg::PgDatabase;
using bb::storage::pg::PgOptions;
using bb::storage::pg::Session;

PgOptions freshDatabase() {
  PgOptions options;
  options.url = bb::test::freshPostgres();
  options.pool_size = 1;
  return options;
}

//! What a listener heard, for the test thread to wait on.
struct Heard {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> payloads;
  int gaps = 0;
  void add(const std::string& p) {
    std::lock_guard lock(mutex);
    payloads.push_back(p);
    changed.notify_all();
  }
  void gap() {
    std::lock_guard lock(mutex);
    ++gaps;
    changed.notify_all();
  }
  bool waitFor(const std::function<bool()>& done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, done);
  }
};

void commitNotify(PgDatabase& db, const std::string& payload) {
  REQUIRE(db.transaction([&](Session& s) { bb::storage::pg::notify(s, "webchat", payload); }));
}

}  // namespace

TEST_CASE("postgresql notify: a commit on one instance wakes the other, a rollback does not") {
  const PgOptions options = freshDatabase();
  Heard heard;
  bb::storage::pg::PgListener listener(
      options, "webchat", [&](const std::string& p) { heard.add(p); }, [&] { heard.gap(); });
  REQUIRE(listener.start());
  auto other = PgDatabase::open(options);  // instance B
  REQUIRE(other.has_value());
  commitNotify(**other, "pseudonym-1");
  CHECK(heard.waitFor([&] { return heard.payloads.size() == 1; }));
  auto rolled_back = (*other)->transaction([](Session& s) {
    bb::storage::pg::notify(s, "webchat", "pseudonym-2");
    throw std::runtime_error("the reply's commit failed");
  });
  CHECK_FALSE(rolled_back.has_value());
  commitNotify(**other, "pseudonym-3");
  CHECK(heard.waitFor([&] { return heard.payloads.size() >= 2; }));
  listener.stop();
  CHECK(heard.payloads == std::vector<std::string>{"pseudonym-1", "pseudonym-3"});
  CHECK(heard.gaps == 0);
}

TEST_CASE("postgresql notify: a listener whose session ended listens again and reports the gap") {
  const PgOptions options = freshDatabase();
  Heard heard;
  bb::storage::pg::PgListener listener(
      options, "webchat", [&](const std::string& p) { heard.add(p); }, [&] { heard.gap(); });
  REQUIRE(listener.start());
  auto admin = PgDatabase::open(
      PgOptions{bb::test::TempPostgres::shared().url("postgres"), "", 1, 5000, 5});
  REQUIRE(admin.has_value());
  const std::string name = options.url.substr(options.url.rfind("dbname=") + 7);
  auto ended = (*admin)->withConnection([&](Session& s) {
    return s.run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE application_name = 'buergerbox-listen' AND datname = $1",
                 name)
        .int64(0, 0);
  });
  REQUIRE(ended.has_value());
  REQUIRE(*ended == 1);
  CHECK(heard.waitFor([&] { return heard.gaps == 1; }));
  auto other = PgDatabase::open(options);
  REQUIRE(other.has_value());
  commitNotify(**other, "after-the-gap");
  CHECK(heard.waitFor([&] { return heard.payloads.size() == 1; }));
  listener.stop();
  CHECK(heard.payloads == std::vector<std::string>{"after-the-gap"});
}
