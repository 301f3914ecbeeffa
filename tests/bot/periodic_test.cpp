// A periodic task (bot/runtime/periodic.hpp) and the cluster-wide jobs: a task bound to a
// Leadership runs only while this instance leads.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bot/runtime/periodic.hpp"

#include "support/wait_for.hpp"

namespace {

using bb::test::waitFor;

//! Leadership as another instance would hand it over: a switch the test flips.
class SwitchedLeadership final : public bb::Leadership {
public:
  bool leads() override {
    ++asked;
    return leading.load();
  }
  std::atomic<bool> leading{false};
  std::atomic<int> asked{0};
};

}  // namespace

TEST_CASE("periodic task: runs every interval, from the first delay on") {
  std::atomic<int> runs{0};
  bb::PeriodicTask task("test", std::chrono::milliseconds(10), std::chrono::milliseconds(0),
                        [&] { ++runs; });
  task.start();
  CHECK(waitFor([&] { return runs.load() >= 3; }, std::chrono::seconds(5)));
  task.stop();
  const int after_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(runs.load() == after_stop);
}

TEST_CASE("periodic task: a cluster-wide job runs only while this instance leads") {
  std::atomic<int> runs{0};
  SwitchedLeadership leadership;
  bb::PeriodicTask task("test", std::chrono::milliseconds(10), std::chrono::milliseconds(0),
                        [&] { ++runs; });
  task.runOnlyWhileLeading(leadership);
  task.start();
  // Another instance leads: the task keeps asking and never runs.
  REQUIRE(waitFor([&] { return leadership.asked.load() >= 5; }, std::chrono::seconds(5)));
  CHECK(runs.load() == 0);
  // The lead passes to this instance: the runs begin.
  leadership.leading = true;
  CHECK(waitFor([&] { return runs.load() >= 3; }, std::chrono::seconds(5)));
  // And stop again when it is lost.
  leadership.leading = false;
  const int asked = leadership.asked.load();
  REQUIRE(waitFor([&] { return leadership.asked.load() >= asked + 3; }, std::chrono::seconds(5)));
  const int runs_then = runs.load();
  REQUIRE(waitFor([&] { return leadership.asked.load() >= asked + 6; }, std::chrono::seconds(5)));
  CHECK(runs.load() == runs_then);
  task.stop();
}
