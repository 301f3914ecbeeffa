#include "bot/runtime/threads.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bb {

void setThreadName(const std::string& name) {
  // pthread_setname_np fails with ERANGE above 15 characters: cut instead of losing the name.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

namespace {

//! Moves the calling thread's nice value by `delta`; false when refused (it stays as it was).
bool adjustThreadNice(int delta) {
  // setpriority on a thread id changes only that thread (Linux).
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) + delta) == 0;
}

}  // namespace

void lowerThreadPriority(int nice) { (void)adjustThreadNice(nice); }

bool raiseThreadPriority(int steps) { return adjustThreadNice(-steps); }

}  // namespace bb
