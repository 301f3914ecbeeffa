#pragma once
// A background task run every interval on its own thread (retention, polling); stop() wakes it
// at once, so shutdown never waits for an interval to pass.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "bot/runtime/leadership.hpp"

namespace bb {

class PeriodicTask {
public:
  //! `run` is called first after `interval` (not at start: startup stays fast), then every
  //! `interval`. Exceptions from `run` are caught and logged; the task keeps running.
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> run);
  //! The same, with the first run after `first` instead (0: right after start, on the task's
  //! own thread, so startup still does not wait for it).
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::chrono::milliseconds first,
               std::function<void()> run);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  //! A cluster-wide job: each run happens only while `leadership` says this instance leads
  //! (otherwise that run is skipped; the next interval asks again). Call before start().
  void runOnlyWhileLeading(Leadership& leadership) { leadership_ = &leadership; }

  void start();
  void stop();

private:
  void loop();
  std::string name_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds first_;
  std::function<void()> run_;
  Leadership* leadership_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bb
