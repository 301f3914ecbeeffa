// Issue 14, storage faults against the real server: the database locked by another process, the
// disk full (every file write fails), the database read-only. In each case a webhook must answer
// 503 (the platform retries) and never 200 for an event it could not store; when the condition
// clears, the same request is accepted, processed and answered.
//
// How each fault is made (docs/reliability.md):
// - locked: this test holds the SQLite write lock (BEGIN IMMEDIATE) on the server's file;
// - disk full: prlimit(RLIMIT_FSIZE) on the running server, so every write past the limit fails
//   with EFBIG (SQLite: SQLITE_IOERR_WRITE, the same path as ENOSPC/SQLITE_FULL); SIGXFSZ is
//   ignored in the child so the kernel does not kill it;
// - read-only: the test-only `storage.fault_file` switches the writer to PRAGMA query_only, so
//   SQLite itself answers SQLITE_READONLY (root ignores file modes, so chmod cannot do it here).

#include <doctest/doctest.h>

#include <csignal>
#include <sys/resource.h>

#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;
using bb::test::Citizen;
using bb::test::FakeApis;
using bb::test::Rig;

//! Posts the citizen's message `k` (same external id on every call).
int post(Rig& rig, const Citizen& c, int k, const std::string& text) {
  const auto w = Rig::wire(c, k, text);
  return rig.request(w.method, w.path, w.headers, w.body, 15);
}

std::int64_t stored(Rig& rig, const Citizen& c, int k) {
  return rig.scalar("SELECT count(*) FROM inbound_events WHERE external_id = ?",
                    Rig::wire(c, k, "").stored_id);
}

void setFileSizeLimit(pid_t pid, rlim_t soft) {
  rlimit limit{soft, RLIM_INFINITY};
  REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
}

}  // namespace

TEST_CASE("reliability: database locked by another process → 503, then recovery") {
  FakeApis apis;
  Rig rig(apis);
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  Citizen c = bb::test::makeCitizen("telegram", 31);
  CHECK(post(rig, c, 1, "Hallo") == 200);
  REQUIRE(rig.settle(20s));

  {
    SQLite::Database locker(rig.dbPath(), SQLite::OPEN_READWRITE);
    locker.exec("BEGIN IMMEDIATE");  // holds the write lock until the end of this scope
    CHECK(post(rig, c, 2, "ja") == 503);  // after the server's busy timeout (5 s)
    locker.exec("ROLLBACK");
  }
  CHECK(stored(rig, c, 2) == 0);
  CHECK(post(rig, c, 2, "ja") == 200);  // the platform's retry
  REQUIRE(rig.settle(20s));
  CHECK(stored(rig, c, 2) == 1);
  CHECK(apis.deliveriesTo(c.recipient).size() >= 2);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("reliability: disk full (writes fail) → 503, then recovery when space is back") {
  FakeApis apis;
  Rig rig(apis);
  // Ignored signals stay ignored across exec: the server gets EFBIG instead of being killed.
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  const bool started = rig.start();
  std::signal(SIGXFSZ, previous);
  REQUIRE_MESSAGE(started, rig.server->log());
  Citizen c = bb::test::makeCitizen("whatsapp", 32);
  CHECK(post(rig, c, 1, "Hallo") == 200);
  REQUIRE(rig.settle(20s));

  CHECK(rig.getStatus("/readyz") == 200);
  setFileSizeLimit(rig.server->pid(), 1);  // no file may grow past its first byte
  // Readiness commits a probe: a full disk takes the instance out of traffic, liveness stays.
  CHECK(rig.getStatus("/readyz") == 503);
  CHECK(rig.getStatus("/healthz") == 503);
  CHECK(rig.getStatus("/livez") == 200);
  int refused = 0;
  for (int k = 2; k <= 4; ++k) {
    const int status = post(rig, c, k, "Nachricht " + std::to_string(k));
    CHECK(status == 503);
    if (status == 503) { ++refused; }
  }
  setFileSizeLimit(rig.server->pid(), RLIM_INFINITY);
  CHECK(rig.getStatus("/readyz") == 200);
  for (int k = 2; k <= 4; ++k) {
    CHECK(post(rig, c, k, "Nachricht " + std::to_string(k)) == 200);
  }
  REQUIRE_MESSAGE(rig.settle(30s), rig.server->log());
  for (int k = 1; k <= 4; ++k) { CHECK(stored(rig, c, k) == 1); }
  CHECK(refused == 3);
  CHECK(rig.server->log().find("event=storage_commit_failed") != std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE("reliability: read-only database → 503, then recovery") {
  FakeApis apis;
  Rig rig(apis);
  const std::string fault = rig.dir.path() + "/fault";
  rig.extra_env["BUERGERBOX_STORAGE_FAULT_FILE"] = fault;
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  Citizen c = bb::test::makeCitizen("matrix", 33);
  CHECK(post(rig, c, 1, "Hallo") == 200);
  REQUIRE(rig.settle(20s));

  CHECK(rig.getStatus("/readyz") == 200);
  bb::test::writeFile(fault, "readonly\n");
  CHECK(rig.getStatus("/readyz") == 503);
  CHECK(rig.getStatus("/livez") == 200);
  CHECK(post(rig, c, 2, "ja") == 503);
  CHECK(post(rig, c, 2, "ja") == 503);
  std::remove(fault.c_str());
  CHECK(rig.getStatus("/readyz") == 200);
  CHECK(stored(rig, c, 2) == 0);
  CHECK(post(rig, c, 2, "ja") == 200);
  REQUIRE(rig.settle(20s));
  CHECK(stored(rig, c, 2) == 1);
  CHECK(rig.server->log().find("readonly") != std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}
