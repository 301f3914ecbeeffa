// Thread names and the lower priority of processing threads (bot/runtime/threads.hpp): what `top -H`
// shows an operator, and what lets acknowledgements win the CPU in a peak.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "bot/runtime/threads.hpp"

TEST_CASE("threads: a name is shown for the thread, cut to 15 characters") {
  std::string shown;
  std::thread t([&shown] {
    bb::setThreadName("bb-outbox-whatsapp");
    std::ifstream comm("/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/comm");
    std::getline(comm, shown);
  });
  t.join();
  CHECK(shown == "bb-outbox-whats");
}

TEST_CASE("threads: lowering the priority changes only the calling thread") {
  const auto main_tid = static_cast<id_t>(syscall(SYS_gettid));
  const int main_before = getpriority(PRIO_PROCESS, main_tid);
  int before = 0;
  int after = 0;
  std::thread t([&] {
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    before = getpriority(PRIO_PROCESS, tid);
    bb::lowerThreadPriority(bb::kBackgroundNice);
    after = getpriority(PRIO_PROCESS, tid);
  });
  t.join();
  CHECK(after == std::min(19, before + bb::kBackgroundNice));
  CHECK(getpriority(PRIO_PROCESS, main_tid) == main_before);
}
