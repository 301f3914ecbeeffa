#include "bot/runtime/periodic.hpp"

#include <exception>

#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval,
                           std::function<void()> run)
    : PeriodicTask(std::move(name), interval, interval, std::move(run)) {}

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval,
                           std::chrono::milliseconds first, std::function<void()> run)
    : name_(std::move(name)), interval_(interval), first_(first), run_(std::move(run)) {}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || interval_.count() <= 0) { return; }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

void PeriodicTask::loop() {
  setThreadName("bb-" + name_);
  std::unique_lock lock(mutex_);
  for (auto wait = first_;; wait = interval_) {
    if (wake_.wait_for(lock, wait, [this] { return stopping_; })) { return; }
    lock.unlock();
    try {
      if (leadership_ == nullptr || leadership_->leads()) {
        run_();
      } else {
        log::debug("periodic_task_skipped", {{"task", name_}, {"reason", "another_instance_leads"}});
      }
    } catch (const std::exception& e) {
      log::error("periodic_task_failed", {{"task", name_}, {"detail", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace bb
