#include "storage/postgresql/pg_conversation_owner.hpp"

#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb::storage::pg {

PgConversationOwner::PgConversationOwner(PgDatabase& db, LeaseOptions options,
                                         std::function<void()> on_gain)
    : leases_(db, options), options_(std::move(options)), on_gain_(std::move(on_gain)) {}

PgConversationOwner::~PgConversationOwner() { stop(false); }

Result<void> PgConversationOwner::start() {
  auto first = refresh();
  thread_ = std::thread([this] { loop(); });
  return first;
}

void PgConversationOwner::stop(bool release) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) { return; }
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
  {
    std::lock_guard lock(mutex_);
    owned_.clear();
  }
  if (release) {
    if (auto r = leases_.releaseAll(); !r) {
      log::warn("partition_release_failed", {{"code", toString(r.error().code)}});
    }
  }
}

Result<void> PgConversationOwner::refresh() {
  const auto sent_at = std::chrono::steady_clock::now();
  auto held = leases_.refresh();
  if (!held) { return fail(held.error().code, held.error().detail); }
  bool gained = false;
  {
    std::lock_guard lock(mutex_);
    // While the leases had run out here (a late renewal), this instance skipped the events it
    // stored for its conversations: answer as for conversations taken over, so they are read.
    gained = std::chrono::steady_clock::now() >= valid_until_;
    std::map<int, std::int64_t> now_owned;
    for (const auto& p : *held) {
      const auto before = owned_.find(p.partition);
      gained = gained || before == owned_.end() || before->second != p.token;
      now_owned.emplace(p.partition, p.token);
    }
    owned_ = std::move(now_owned);
    if (gained) { ++generation_; }
    valid_until_ = sent_at + options_.lease;
  }
  if (gained && on_gain_) { on_gain_(); }
  return {};
}

void PgConversationOwner::loop() {
  setThreadName("bb-leases");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.lease / 3, [this] { return stopping_; });
    if (stopping_) { break; }
    lock.unlock();
    if (auto r = refresh(); !r) {
      // The leases held run out here before they do on the server; then nothing is processed
      // until the database answers again.
      log::warn("partition_refresh_failed", {{"code", toString(r.error().code)}});
    }
    lock.lock();
  }
}

std::optional<StepFence> PgConversationOwner::fenceFor(std::int64_t shard_key) const {
  const int partition = partitionOf(shard_key);
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() >= valid_until_) { return std::nullopt; }
  const auto it = owned_.find(partition);
  if (it == owned_.end()) { return std::nullopt; }
  return StepFence{options_.instance_id, partition, it->second};
}

std::uint64_t PgConversationOwner::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::vector<int> PgConversationOwner::partitions() const {
  std::lock_guard lock(mutex_);
  std::vector<int> out;
  for (const auto& [partition, token] : owned_) { out.push_back(partition); }
  return out;
}

}  // namespace bb::storage::pg
