// The stores on PostgreSQL: several instances on one database (storage/stores.hpp). Each
// instance leases its share of the conversations, draws its sends from the channel rates all
// instances share, and runs the cluster-wide jobs only while it holds their advisory lock.

#include <unistd.h>

#include <array>

#include "bot/log.hpp"
#include "storage/postgresql/pg_broadcast_store.hpp"
#include "storage/postgresql/pg_case_store.hpp"
#include "storage/postgresql/pg_channel_state.hpp"
#include "storage/postgresql/pg_conversation_owner.hpp"
#include "storage/postgresql/pg_data_export.hpp"
#include "storage/postgresql/pg_gazetteer.hpp"
#include "storage/postgresql/pg_inbox_store.hpp"
#include "storage/postgresql/pg_leadership.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/postgresql/pg_notifier.hpp"
#include "storage/postgresql/pg_proposal_store.hpp"
#include "storage/postgresql/pg_retention_store.hpp"
#include "storage/postgresql/pg_send_rate.hpp"
#include "storage/postgresql/pg_store.hpp"
#include "storage/postgresql/pg_subscription_store.hpp"
#include "storage/stores.hpp"

namespace bb::storage {
namespace {

//! storage.postgresql.instance_id, else "<host name>-<process id>": unique per running process,
//! so a restarted instance waits for its predecessor's leases like any other instance.
std::string instanceId(const config::PostgresqlConfig& c) {
  if (!c.instance_id.empty()) { return c.instance_id; }
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) { host[0] = '\0'; }
  return std::string(host.data()) + "-" + std::to_string(getpid());
}

class PgStores final : public Stores {
public:
  PgStores(std::unique_ptr<pg::PgDatabase> db, const config::Config& config, const Clock& clock)
      : db_(std::move(db)),
        options_(pg::optionsFrom(config.storage.postgresql)),
        instance_id_(instanceId(config.storage.postgresql)),
        leadership_(options_),
        shared_rate_(*db_) {
    const double grid_m = config.open311.public_grid_m;
    auto store = std::make_unique<pg::PgStore>(*db_);
    store->setPublicGridMeters(grid_m);
    store->notifyIngestAs(instance_id_);
    conversations_ = std::move(store);
    proposals_ = std::make_unique<pg::PgProposalStore>(*db_);
    subscriptions_ = std::make_unique<pg::PgSubscriptionStore>(*db_);
    gazetteer_ = std::make_unique<pg::PgGazetteer>(*db_, clock);
    matrix_transactions_ = std::make_unique<pg::PgMatrixTransactionLog>(*db_, clock);
    telegram_offsets_ = std::make_unique<pg::PgTelegramOffsetStore>(*db_);
    inbox_ = std::make_unique<pg::PgInboxStore>(*db_, grid_m);
    cases_ = std::make_unique<pg::PgCaseStore>(*db_, grid_m);
    broadcasts_ = std::make_unique<pg::PgBroadcastStore>(*db_);
    retention_ = std::make_unique<pg::PgRetentionStore>(*db_);
    data_export_ = std::make_unique<pg::PgDataExport>(*db_);
    owner_ = std::make_unique<pg::PgConversationOwner>(
        *db_,
        pg::LeaseOptions{instance_id_,
                         std::chrono::milliseconds(config.storage.postgresql.lease_ms)},
        [this] { recheck(); });
  }
  ~PgStores() override {
    stopInstance();
    releaseStores();
  }

  const char* backend() const override { return "postgresql"; }
  Leadership& leadership() override { return leadership_; }
  ConversationOwnership* ownership() override { return owner_.get(); }
  outbox::SharedSendRate* sharedRate() override { return &shared_rate_; }

  Result<void> startInstance(std::function<void()> recheck) override {
    {
      std::lock_guard lock(mutex_);
      recheck_ = std::move(recheck);
    }
    // First the leases (the engine starts with its share), then the others' news.
    if (auto started = owner_->start(); !started) { return started; }
    listener_ = std::make_unique<pg::PgListener>(
        options_, pg::kEventsTopic,
        [this](const std::string& from) {
          if (from != instance_id_) { this->recheck(); }
        },
        [this] { this->recheck(); });
    if (!listener_->start()) { log::warn("postgresql_listen_pending"); }
    log::info("instance_started", {{"instance", instance_id_}});
    return {};
  }

  void stopInstance() override {
    if (listener_) { listener_->stop(); }
    owner_->stop(true);
    std::lock_guard lock(mutex_);
    recheck_ = nullptr;
  }

  Result<void> probeWrite() override {
    return db_->transaction([](pg::Session& s) {
      s.run("INSERT INTO meta (key, value) VALUES ('ready_probe', now()::text) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    });
  }

  std::vector<StorageGauge> gauges() override {
    pg::PgConversationOwner* owner = owner_.get();
    return {{"buergerbox_storage_partitions_held",
             "Conversation partitions this instance leases (PostgreSQL).",
             [owner] { return static_cast<double>(owner->partitions().size()); }}};
  }

  void close() override { stopInstance(); }

private:
  void recheck() {
    std::function<void()> fn;
    {
      std::lock_guard lock(mutex_);
      fn = recheck_;
    }
    if (fn) { fn(); }
  }

  std::unique_ptr<pg::PgDatabase> db_;
  pg::PgOptions options_;
  std::string instance_id_;
  pg::PgLeadership leadership_;
  pg::PgSharedSendRate shared_rate_;
  std::unique_ptr<pg::PgConversationOwner> owner_;
  std::unique_ptr<pg::PgListener> listener_;
  std::mutex mutex_;
  std::function<void()> recheck_;
};

}  // namespace

Result<std::unique_ptr<Stores>> openPostgresqlStores(const config::Config& config,
                                                     const Clock& clock) {
  auto db = pg::PgDatabase::open(pg::optionsFrom(config.storage.postgresql));
  if (!db) { return fail(db.error().code, "storage.postgresql: " + db.error().detail); }
  if (auto migrated = pg::migrate(**db); !migrated) {
    return fail(migrated.error().code, "storage.postgresql: schema: " + migrated.error().detail);
  }
  return std::unique_ptr<Stores>(std::make_unique<PgStores>(std::move(*db), config, clock));
}

}  // namespace bb::storage
