// `buergerbox backup` while the server takes webhooks from three channels, then `restore` into a
// fresh path: the restored database holds every event the server had acknowledged when the
// backup began, and passes SQLite's integrity check.

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;

//! Runs the binary with the rig's environment plus `extra`; returns the exit code.
int runCommand(const bb::test::Rig& rig, const std::string& args,
               const std::map<std::string, std::string>& extra, std::string* output) {
  auto env = rig.env();
  for (const auto& [k, v] : extra) { env[k] = v; }
  std::string command = std::string("cd '") + BB_SOURCE_DIR + "' && env";
  for (const auto& [k, v] : env) { command += " '" + k + "=" + v + "'"; }
  command += std::string(" '") + BB_BINARY + "' " + args + " --config config/demo.json 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) { return -1; }
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) { *output += buf; }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("backup: a backup taken under webhook load restores every acknowledged event") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  std::vector<bb::test::Citizen> citizens;
  int index = 0;
  for (const char* ch : {"whatsapp", "telegram", "matrix"}) {
    for (int i = 0; i < 2; ++i) { citizens.push_back(bb::test::makeCitizen(ch, ++index)); }
  }
  std::mutex mutex;
  std::vector<std::string> acked;  // "channel|external_id", in the order the server answered 200
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::vector<std::string> failures;  // the statuses of the refused webhooks (0: no answer)
  std::vector<std::thread> threads;
  for (auto& c : citizens) {
    threads.emplace_back([&, &c = c] {
      const char* texts[] = {"Hallo", "ja", "briefkasten", "Ein Brief", "ja"};
      for (int k = 0; !stop.load(); ++k) {
        const auto [status, id] = rig.say(c, texts[k % 5]);
        if (status != 200) {
          ++failed;
          std::lock_guard lock(mutex);
          failures.push_back(std::to_string(status));
          continue;
        }
        std::lock_guard lock(mutex);
        acked.push_back(c.channel + "|" + id);
      }
    });
  }
  auto ackedCount = [&] {
    std::lock_guard lock(mutex);
    return acked.size();
  };
  for (int i = 0; i < 300 && ackedCount() < 60; ++i) { std::this_thread::sleep_for(50ms); }
  std::vector<std::string> before;
  {
    std::lock_guard lock(mutex);
    before = acked;
  }
  const std::string backup = rig.dir.path() + "/backup.sqlite";
  std::string out;
  const int backup_code = runCommand(rig, "backup --to '" + backup + "'", {}, &out);
  const std::size_t during = ackedCount();
  std::this_thread::sleep_for(300ms);
  stop.store(true);
  for (auto& t : threads) { t.join(); }
  INFO(out);
  REQUIRE(backup_code == 0);
  CHECK_MESSAGE(failed.load() == 0, [&] {
    std::string all;
    for (const auto& f : failures) { all += f + " "; }
    return all + "\nserver log:\n" + rig.server->log();
  }());
  REQUIRE(before.size() >= 60);
  CHECK(ackedCount() > before.size());  // the server kept taking webhooks around the backup
  MESSAGE("acked before the backup: " << before.size() << ", when it ended: " << during);

  const std::string restored = rig.dir.path() + "/restored/db.sqlite";
  std::string restore_out;
  const int restore_code = runCommand(rig, "restore --from '" + backup + "'",
                                      {{"BUERGERBOX_STORAGE_PATH", restored}}, &restore_out);
  INFO(restore_out);
  REQUIRE(restore_code == 0);
  SQLite::Database db(restored, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  int missing = 0;
  for (const auto& id : before) {
    const auto bar = id.find('|');
    SQLite::Statement q(db, "SELECT count(*) FROM inbound_events WHERE channel = ? AND external_id = ?");
    q.bind(1, id.substr(0, bar));
    // The server keeps the id only as its keyed hash.
    q.bind(2, bb::test::Rig::storedId(id.substr(0, bar), id.substr(bar + 1)));
    q.executeStep();
    if (q.getColumn(0).getInt() != 1) { ++missing; }
  }
  CHECK(missing == 0);
  rig.server->stop(SIGTERM);
}

TEST_CASE("backup: restore refuses a file that is no SQLite database and leaves the data alone") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  bb::test::writeFile(rig.dir.path() + "/not-a-backup", "these are not the pages you want\n");
  bb::test::writeFile(rig.dbPath(), "");
  std::string out;
  const int code = runCommand(rig, "restore --from '" + rig.dir.path() + "/not-a-backup'", {}, &out);
  INFO(out);
  CHECK(code == 1);
  CHECK(out.find("restore failed") != std::string::npos);
}
