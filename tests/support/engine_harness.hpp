#pragma once
// An in-process test driver for the engine: real SQLite in a temp folder (or a fresh database on
// the run's PostgreSQL server), a fake clock, the shipped flows config (categories, texts,
// Ebersberg boundary). Feed events, read effects.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/conversation/flow_data.hpp"
#include "storage/database.hpp"
#include "bot/geo/gazetteer.hpp"
#include "storage/sqlite_store.hpp"
#include "bot/participation/participation.hpp"
#include "bot/participation/proposal_store.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "storage/postgresql/pg_conversation_owner.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_notifier.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace bb::test {

class FakeClock final : public Clock {
public:
  FakeClock() : now_(SysTime(std::chrono::seconds(1'795'000'000))) {}
  SysTime now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    std::lock_guard lock(mutex_);
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

private:
  mutable std::mutex mutex_;
  SysTime now_;
};

//! Random bytes from a counter: every call gives other bytes (the call number leads, big-endian),
//! the same run gives the same bytes, and each hex string handed out is kept for assertions.
class FakeRandom final : public Random {
public:
  std::vector<std::uint8_t> bytes(std::size_t n) override {
    std::lock_guard lock(mutex_);
    const std::uint64_t call = ++calls_;
    std::vector<std::uint8_t> out(n, 0xA5);
    for (std::size_t i = 0; i < n && i < 8; ++i) {
      out[i] = static_cast<std::uint8_t>(call >> (8 * (std::min<std::size_t>(n, 8) - 1 - i)));
    }
    std::string hex;
    for (const auto b : out) { hex += fmt::format("{:02x}", b); }
    issued_.push_back(hex);
    return out;
  }
  //! Counts on from `calls`: a second harness on the same database gets other tokens.
  void skip(std::uint64_t calls) {
    std::lock_guard lock(mutex_);
    calls_ += calls;
  }
  //! The hex form of every call's bytes so far, in order.
  std::vector<std::string> issued() const {
    std::lock_guard lock(mutex_);
    return issued_;
  }

private:
  mutable std::mutex mutex_;
  std::uint64_t calls_ = 0;
  std::vector<std::string> issued_;
};

//! Points inside and outside the Ebersberg demo boundary.
inline constexpr GeoPoint kMarktplatz{48.0777, 11.9706};
inline constexpr GeoPoint kMunich{48.1374, 11.5755};

FlowData loadShippedFlowData();

//! One of several instances on one PostgreSQL database: the harness processes only the
//! conversations whose partitions it leases, and hears of the others' events through NOTIFY.
struct Instance {
  std::string id;  //!< empty: the only instance (every conversation is its own)
  std::chrono::milliseconds lease{15000};
};

class EngineHarness {
public:
  explicit EngineHarness(int workers = 2, std::string db_path = {});
  //! On `backend`: every store the engine uses on either (on PostgreSQL `db` stays empty).
  //! A non-empty `postgres_url` names a migrated database another harness uses too: two
  //! instances of the service on one PostgreSQL database.
  explicit EngineHarness(Backend backend, int workers = 2, std::string postgres_url = {},
                         Instance instance = {});
  ~EngineHarness();

  //! Builds one event from `user` on `channel` with a fresh external id.
  InboundEvent event(const std::string& user, InboundKind kind, Channel channel = Channel::WebChat);
  void text(const std::string& user, const std::string& text);
  void choice(const std::string& user, const std::string& choice_id);
  void location(const std::string& user, GeoPoint p);
  void image(const std::string& user, const std::string& ref);
  //! Ingests and waits until processed.
  void send(const InboundEvent& e);

  //! Outbound messages to `user` not read before.
  std::vector<OutboundMessage> replies(const std::string& user, Channel channel = Channel::WebChat);
  std::vector<OutboundMessage> allReplies(const std::string& user, Channel channel = Channel::WebChat);
  //! Concatenated texts of the unread replies.
  std::string replyText(const std::string& user);

  //! Consent accepted, main menu reached.
  void onboard(const std::string& user);
  //! A complete report in `category` at `p` without photo; returns the ticket number.
  std::int64_t report(const std::string& user, const std::string& category, GeoPoint p);

  std::string pseudonym(const std::string& user, Channel channel = Channel::WebChat) const;
  std::string text(const std::string& key) const;  //!< German text of `key`
  //! The first column of the first row of `sql` (a boolean as 0 or 1), on either backend.
  std::int64_t scalar(const std::string& sql);
  //! Runs `sql` (statements without results) on either backend.
  void execute(const std::string& sql);
  //! The first column of the first row of `sql` as text ("" without a row), on either backend.
  std::string textOf(const std::string& sql);

  //! Simulates a crash: workers stop, the database closes without processing what is queued;
  //! an instance's leases are not given back (they run out, as after kill -9).
  void crash();
  //! Opens the same database again and starts a new engine.
  void restart(bool start_engine = true);
  //! The operator raises privacy.notice_version by one and restarts (a new privacy notice).
  void raiseNoticeVersion();

  //! Content ids of the media files the engine removed (EngineOptions::remove_media).
  std::vector<std::string> removedMedia() const {
    std::lock_guard lock(removed_mutex_);
    return removed_media_;
  }

  //! The start of the external ids of the events this harness builds (unique per harness when
  //! two share a database: the channel's ids are unique).
  std::string event_prefix = "ev-";

  //! Changes the engine's options before open() and restart() build it.
  std::function<void(EngineOptions&)> tune_engine;

  //! Also called for each removed file (e.g. MediaStore::remove, to see files really go).
  std::function<void(const std::string& content_id)> remove_media_hook;

  FakeClock clock;
  FakeRandom random;
  FlowData flows;
  //! The engine's encryption keys (hex); change them and restart() to simulate a key change.
  std::string encryption_key_hex = testKey('b');
  std::string previous_keys_hex;
  //! Empty until a test imports a town (an empty gazetteer keeps typed text as it is).
  std::unique_ptr<geo::Gazetteer> gazetteer;
  Backend backend = Backend::Sqlite;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::pg::PgDatabase> pg;
  std::string pg_url;
  std::unique_ptr<Store> store;
  Instance instance;
  std::unique_ptr<storage::pg::PgConversationOwner> owner;  //!< set for an instance
  std::unique_ptr<storage::pg::PgListener> listener;         //!< set for an instance
  std::unique_ptr<SubscriptionStore> subscriptions;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ProposalStore> proposals;
  std::unique_ptr<Participation> participation;
  std::string db_path;

private:
  void open(bool start_engine);
  void openSqlite();
  //! The leases and the listener of an instance, wired to the engine built next.
  void openInstance(EngineOptions& options);
  void closeInstance(bool release);
  mutable std::mutex removed_mutex_;
  std::vector<std::string> removed_media_;
  TempDir dir_;
  int workers_;
  std::atomic<int> next_id_{1};
  std::map<std::string, std::int64_t> read_upto_;
};

}  // namespace bb::test

