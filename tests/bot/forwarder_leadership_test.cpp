// The running forwarder pushes only while its instance leads the cluster-wide jobs: with several
// instances on one database, one pushes, and another takes over when it stops leading.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "bot/cases/forwarder.hpp"
#include "storage/sqlite_case_store.hpp"
#include "support/wait_for.hpp"
#include "support/engine_harness.hpp"

namespace {

using bb::test::waitFor;

class SwitchedLeadership final : public bb::Leadership {
public:
  bool leads() override {
    ++asked;
    return leading.load();
  }
  std::atomic<bool> leading{false};
  std::atomic<int> asked{0};
};

class CountingBackOffice final : public bb::HttpClient {
public:
  bb::HttpReply send(const bb::HttpCall&) override {
    ++pushes;
    bb::HttpReply r;
    r.status = 202;
    return r;
  }
  std::atomic<int> pushes{0};
};

}  // namespace

TEST_CASE("backoffice: the running forwarder pushes only while its instance leads") {
  bb::test::EngineHarness h;
  bb::storage::SqliteCaseStore cases(*h.db);
  h.onboard("anna");
  (void)h.report("anna", "graffiti", bb::test::kMarktplatz);

  bb::ForwarderOptions o;
  o.url = "http://backoffice.invalid/in";
  o.secret = "push-secret-of-the-city";
  o.idle_poll = std::chrono::milliseconds(20);
  SwitchedLeadership leadership;
  CountingBackOffice http;
  bb::CaseForwarder forwarder(cases, http, h.clock, o);
  forwarder.runOnlyWhileLeading(leadership);
  forwarder.start();
  // Another instance leads: this one asks at every pass and pushes nothing.
  REQUIRE(waitFor([&] { return leadership.asked.load() >= 5; }, std::chrono::seconds(10)));
  CHECK(http.pushes.load() == 0);
  // The leader is gone and this instance takes the lead: the entry goes, once.
  leadership.leading = true;
  forwarder.wake();
  CHECK(waitFor([&] { return http.pushes.load() == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  forwarder.stop();
  CHECK(http.pushes.load() == 1);
  auto counts = cases.caseQueueCounts();
  REQUIRE(counts);
  CHECK(counts->pending == 0);
}
