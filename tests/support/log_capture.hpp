#pragma once
// A log sink for tests: keeps every line written while it lives.

#include <mutex>
#include <string>
#include <string_view>

#include "bot/log.hpp"

namespace bb::test {

//! Keeps every log line while it lives (one at a time).
class LogCapture {
public:
  LogCapture() {
    lines().clear();
    log::setSink(&LogCapture::keep);
  }
  ~LogCapture() { log::setSink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    std::lock_guard lock(mutex());
    return lines();
  }

private:
  static void keep(std::string_view line) {
    std::lock_guard lock(mutex());
    lines().append(line).push_back('\n');
  }
  static std::string& lines() {
    static std::string kept;
    return kept;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
};

}  // namespace bb::test
