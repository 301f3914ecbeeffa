#include "bot/thread_name.hpp"

#include <pthread.h>

namespace bb {

void setThreadName(const std::string& name) {
  // pthread_setname_np fails with ERANGE above 15 characters: cut instead of losing the name.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace bb
