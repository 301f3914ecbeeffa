// Parking: an event whose commit keeps failing is set aside instead of retried forever, so the
// worker goes on with the other conversations of its shard. The citizen's later events are
// parked behind it (their order holds). Staff see the citizen's first parked event on the
// delivery page (`buergerbox deliveries`), retry or discard it; the worker notices in the
// database that the citizen has nothing parked any more and queues their events again.

#include <algorithm>
#include <set>
#include <thread>

#include "bot/conversation/engine.hpp"
#include "bot/conversation/ownership.hpp"
#include "bot/log.hpp"
#include "bot/runtime/metrics.hpp"

namespace bb {
namespace {

constexpr const char* kParkedTotal = "buergerbox_engine_commits_parked_total";

bool partitionMoved(const Error& e) {
  return e.code == ErrorCode::Conflict && e.detail == kPartitionMoved;
}

}  // namespace

bool Engine::pause(std::chrono::milliseconds wait) const {
  // In short slices, so that stop() is not held up by a long backoff.
  const auto until = std::chrono::steady_clock::now() + wait;
  while (!stopping_.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) { return true; }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

std::optional<bool> Engine::commitOrPark(const PendingEvent& pending, StepCommit& commit) {
  const std::string event_id = std::to_string(pending.id);
  std::chrono::milliseconds wait = options_.commit_retry_base;
  // Failures counted against this event: the first one, and later ones only when the store took
  // a write to the event's own row just before (the probe). When the store refuses every write
  // (disk full, read-only), nothing counts, so the event is never parked for a fault that is not
  // its own, and it goes through as soon as the store recovers, without staff.
  int failures = 0;
  bool store_took_probe = true;
  // Another instance holds the conversation now and processes the event from the database.
  const auto moved_away = [&] {
    steps_moved_.fetch_add(1);
    log::info("engine_conversation_moved", {{"event", event_id}});
    return std::nullopt;
  };
  for (int tries = 1;; ++tries) {
    if (options_.ownership != nullptr) {
      commit.fence = options_.ownership->fenceFor(pending.shard_key);
      if (!commit.fence) { return moved_away(); }
    }
    auto r = store_.commitStep(commit);
    if (r) { return *r; }
    if (partitionMoved(r.error())) { return moved_away(); }
    // Storage trouble (disk full, locked, a constraint this step breaks): keep the event and
    // retry; the order holds because this worker handles nothing else meanwhile.
    const std::string code = toString(r.error().code);
    if (store_took_probe) { ++failures; }
    // The detail names what failed (a constraint, SQLSTATE), never a value.
    log::warn("engine_commit_failed", {{"event", event_id},
                                       {"code", code},
                                       {"detail", r.error().detail},
                                       {"tries", std::to_string(tries)},
                                       {"counted", std::to_string(failures)}});
    if (failures >= options_.commit_max_tries) {
      auto parked = park(pending, "commit_failed:" + code, failures);
      if (parked && !*parked) { return false; }  // processed meanwhile
      if (parked) {
        commits_parked_.fetch_add(1);
        if (Metrics* m = metrics_.load()) { m->increment(kParkedTotal); }
        log::error("engine_event_parked", {{"event", event_id}, {"code", code},
                                           {"tries", std::to_string(failures)}});
        return std::nullopt;
      }
      failures = 0;  // parking is a write too and failed: the store is at fault, count anew
    }
    if (!pause(wait)) { return std::nullopt; }
    wait = std::min(wait * 2, options_.commit_retry_max);
    store_took_probe = static_cast<bool>(store_.probeEventWrite(pending.id));
  }
}

Result<std::int64_t> Engine::reserveTicketNumber(const PendingEvent& pending) {
  // Counted like a commit's failures (see commitOrPark): a store that takes no writes at all is
  // waited for, only a fault the store shows for this step alone ends in parking.
  std::chrono::milliseconds wait = options_.commit_retry_base;
  int failures = 0;
  bool store_took_probe = true;
  for (int tries = 1;; ++tries) {
    auto number = store_.reserveTicketNumber();
    if (number) { return number; }
    if (store_took_probe) { ++failures; }
    log::warn("engine_ticket_number_failed", {{"event", std::to_string(pending.id)},
                                              {"code", toString(number.error().code)},
                                              {"detail", number.error().detail},
                                              {"tries", std::to_string(tries)},
                                              {"counted", std::to_string(failures)}});
    if (failures >= options_.commit_max_tries) { return number; }
    if (!pause(wait)) { return number; }  // stopping: the event stays stored unprocessed
    wait = std::min(wait * 2, options_.commit_retry_max);
    store_took_probe = static_cast<bool>(store_.probeEventWrite(pending.id));
  }
}

void Engine::parkUnfinished(const PendingEvent& pending, const Error& why) {
  if (stopping_.load()) { return; }  // processed at the next start
  const std::string reason = std::string("ticket_number:") + toString(why.code);
  std::chrono::milliseconds wait = options_.commit_retry_base;
  for (;;) {
    auto parked = park(pending, reason, options_.commit_max_tries);
    if (parked && *parked) {
      commits_parked_.fetch_add(1);
      if (Metrics* m = metrics_.load()) { m->increment(kParkedTotal); }
      log::error("engine_event_parked", {{"event", std::to_string(pending.id)},
                                         {"code", toString(why.code)},
                                         {"tries", std::to_string(options_.commit_max_tries)}});
    }
    if (parked) { return; }
    // The store took no write: nothing is lost (the event is stored), keep trying to set it
    // aside so that the worker can go on with the others.
    log::warn("engine_park_failed",
              {{"event", std::to_string(pending.id)}, {"code", toString(parked.error().code)}});
    if (!pause(wait)) { return; }
    wait = std::min(wait * 2, options_.commit_retry_max);
  }
}

Result<bool> Engine::park(const PendingEvent& pending, const std::string& reason, int tries) {
  auto parked = store_.parkEvent(pending.id, reason, tries, clock_.now());
  if (parked && *parked) {
    // Only this shard's worker runs events of this citizen, so only it touches the map.
    Shard& shard = *shards_[shardOf(pending.shard_key)];
    auto& last = shard.parked[pending.pseudonym];
    last = std::max(last, pending.id);
  }
  return parked;
}

void Engine::parkBehind(std::size_t index, const PendingEvent& pending) {
  Shard& shard = *shards_[index];
  // Staff may have retried the citizen since the last look: then this event is queued again
  // with the others, in order.
  shard.next_parked_check = {};
  resumeRetried(index);
  if (!shard.parked.contains(pending.pseudonym)) { return; }
  const std::string reason = "behind_parked";
  std::chrono::milliseconds wait = options_.commit_retry_base;
  for (;;) {
    auto parked = park(pending, reason, 0);
    if (parked) { return; }
    log::warn("engine_park_failed",
              {{"event", std::to_string(pending.id)}, {"code", toString(parked.error().code)}});
    if (!pause(wait)) { return; }
    wait = std::min(wait * 2, options_.commit_retry_max);
  }
}

void Engine::resumeRetried(std::size_t index) {
  Shard& shard = *shards_[index];
  const auto now = std::chrono::steady_clock::now();
  if (shard.parked.empty() || now < shard.next_parked_check) { return; }
  shard.next_parked_check = now + options_.parked_check;
  auto still = store_.parkedCitizens();
  if (!still) { return; }  // the next look tries again
  std::set<std::string> parked_now;
  for (const auto& c : *still) { parked_now.insert(c.pseudonym); }
  for (auto it = shard.parked.begin(); it != shard.parked.end();) {
    if (parked_now.contains(it->first) || !requeue(index, it->first, it->second)) {
      ++it;
    } else {
      it = shard.parked.erase(it);
    }
  }
}

bool Engine::requeue(std::size_t index, const std::string& pseudonym, std::int64_t last_parked) {
  Shard& shard = *shards_[index];
  std::int64_t up_to = 0;
  {
    std::lock_guard lock(shard.mutex);
    up_to = std::max(shard.last_pushed, last_parked);
  }
  // Everything of the citizen not yet processed up to the last event this worker saw (queued
  // ones too, which follow the parked ones); later events arrive through the queue as usual.
  auto events = store_.pendingEventsOf(pseudonym, up_to);
  if (!events) { return false; }
  std::lock_guard lock(shard.mutex);
  std::erase_if(shard.queue, [&](const PendingEvent& e) {
    return e.pseudonym == pseudonym && e.id <= up_to;
  });
  shard.queue.insert(shard.queue.begin(), events->begin(), events->end());
  // Events parked in an earlier run may lie above last_pushed; without an overflow every event
  // committed so far is queued, so the mark may move past them (a rescan would queue them twice).
  if (!shard.overflow) { shard.last_pushed = std::max(shard.last_pushed, up_to); }
  log::info("engine_parked_resumed", {{"events", std::to_string(events->size())}});
  return true;
}

bool Engine::reloadParked(std::size_t index) {
  auto parked = store_.parkedCitizens();
  if (!parked) {
    log::warn("engine_parked_unreadable", {{"code", toString(parked.error().code)}});
    return false;
  }
  Shard& shard = *shards_[index];
  for (const auto& c : *parked) {
    if (shardOf(c.shard_key) != index) { continue; }
    auto& last = shard.parked[c.pseudonym];
    last = std::max(last, c.last_event_id);
  }
  return true;
}

Result<void> Engine::loadParked() {
  auto parked = store_.parkedCitizens();
  if (!parked) { return fail(parked.error().code, parked.error().detail); }
  for (auto& s : shards_) { s->parked.clear(); }
  for (const auto& c : *parked) {
    shards_[shardOf(c.shard_key)]->parked[c.pseudonym] = c.last_event_id;
  }
  return {};
}

std::uint64_t Engine::commitsParked() const { return commits_parked_.load(); }

std::int64_t Engine::parkedEvents() {
  auto parked = store_.parkedCitizens();
  if (!parked) { return -1; }
  std::int64_t n = 0;
  for (const auto& c : *parked) { n += c.events; }
  return n;
}

void registerEngineMetrics(Metrics& metrics, Engine& engine) {
  metrics.gauge("buergerbox_engine_queue_depth", "Events queued for processing in memory.",
                [&engine] { return static_cast<double>(engine.queueDepth()); });
  metrics.gauge("buergerbox_engine_processed", "Events processed since start.",
                [&engine] { return static_cast<double>(engine.processedCount()); });
  metrics.gauge("buergerbox_engine_parked_events",
                "Received events set aside because their commit kept failing (and the same "
                "citizen's later events); staff retry them on the delivery page. -1: unknown.",
                [&engine] { return static_cast<double>(engine.parkedEvents()); });
  metrics.gauge("buergerbox_engine_steps_moved",
                "Steps since start whose commit was refused because another instance had taken "
                "the conversation over meanwhile; that instance processes the event.",
                [&engine] { return static_cast<double>(engine.stepsMoved()); });
  metrics.increment(kParkedTotal, {}, 0);  // shown from the start, 0 until a commit is parked
  engine.setMetrics(&metrics);
}

}  // namespace bb
