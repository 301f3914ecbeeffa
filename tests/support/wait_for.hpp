#pragma once
// Waiting in a test for what another thread or process brings about: asks again and again until
// it holds or the deadline passes (never a fixed sleep that is too short on a loaded machine).

#include <chrono>
#include <functional>
#include <thread>

namespace bb::test {

//! True once `done` holds; false when `timeout` passed first. Asks every `interval`.
inline bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) { return false; }
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace bb::test
