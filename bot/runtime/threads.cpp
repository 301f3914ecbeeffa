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

void lowerThreadPriority(int nice) {
  // setpriority on a thread id changes only that thread (Linux); failure leaves it as it was.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) + nice);
}

bool raiseThreadPriority(int steps) {
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) - steps) == 0;
}

}  // namespace bb
