// The harness that runs the real server: it must keep reading the server's stderr, or a server
// that logs more than a pipe holds between two log() calls blocks in its log writes and stops
// answering — which looked like a server bug (the backup-under-load test, 4 Dec 2026).

#include <doctest/doctest.h>

#include <string>

#include "tests/reliability/rig.hpp"

TEST_CASE("server process: a server that logs more than the pipe holds keeps answering") {
  bb::test::FakeApis apis;
  bb::test::Rig rig(apis);
  rig.extra_env["BUERGERBOX_LOG_LEVEL"] = "debug";
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  auto citizen = bb::test::makeCitizen("telegram", 1);
  // At debug level each accepted webhook logs lines of more than 100 bytes (the update, the
  // processed event, the sent reply): 1,000 of them are more than the 64 KiB a Linux pipe
  // buffers. No log() call in between.
  int unanswered = 0;
  for (int k = 0; k < 1000 && unanswered == 0; ++k) {
    if (rig.say(citizen, "Hallo").first != 200) { ++unanswered; }
  }
  CHECK(unanswered == 0);
  CHECK(rig.server->log().size() > 64 * 1024);
  rig.server->stop(SIGTERM);
}
