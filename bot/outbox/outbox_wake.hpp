#pragma once
// Wakes a channel's outbox worker when a commit queued messages for it, so a reply leaves at
// once instead of at the worker's next poll (webhook → reply p99). The composition
// root registers each started worker; the engine calls notify() after a commit with replies.

#include <functional>
#include <map>
#include <mutex>

#include "bot/types.hpp"

namespace bb::outbox {

class WakeBoard {
public:
  void add(Channel channel, std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wakers_[channel] = std::move(wake);
  }
  void notify(Channel channel) const {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      auto it = wakers_.find(channel);
      if (it == wakers_.end()) { return; }
      wake = it->second;
    }
    wake();
  }

private:
  mutable std::mutex mutex_;
  std::map<Channel, std::function<void()>> wakers_;
};

}  // namespace bb::outbox
