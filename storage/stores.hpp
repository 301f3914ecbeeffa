#pragma once
// Every store `serve` and the subcommands use, on the backend `storage.backend` names: SQLite
// (one instance; the default) or PostgreSQL (several instances on one database). The
// composition root reaches each store through its port and never names a backend's classes;
// what differs between one instance and several (who leads the cluster-wide jobs, which
// conversations this instance processes, the channel rates all instances share) comes from
// here as well.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/cases/case_store.hpp"
#include "bot/channels/matrix_transactions.hpp"
#include "bot/channels/telegram_offset.hpp"
#include "bot/conversation/ownership.hpp"
#include "bot/conversation/store.hpp"
#include "bot/geo/gazetteer.hpp"
#include "bot/outbox/send_rate.hpp"
#include "bot/participation/proposal_store.hpp"
#include "bot/privacy/data_export.hpp"
#include "bot/privacy/retention.hpp"
#include "bot/result.hpp"
#include "bot/runtime/leadership.hpp"
#include "bot/staff/inbox_store.hpp"
#include "bot/subscriptions/broadcast.hpp"
#include "bot/subscriptions/subscriptions.hpp"
#include "config/config.hpp"

namespace bb::storage {

//! A number the backend reports for /metrics (the SQLite writer's queue, say).
struct StorageGauge {
  std::string name;
  std::string help;
  std::function<double()> value;
};

class Stores {
public:
  virtual ~Stores() = default;

  virtual const char* backend() const = 0;  //!< "sqlite" or "postgresql"

  Store& conversations() { return *conversations_; }
  ProposalStore& proposals() { return *proposals_; }
  SubscriptionStore& subscriptions() { return *subscriptions_; }
  geo::Gazetteer& gazetteer() { return *gazetteer_; }
  MatrixTransactionLog& matrixTransactions() { return *matrix_transactions_; }
  TelegramOffsetStore& telegramOffsets() { return *telegram_offsets_; }
  InboxStore& inbox() { return *inbox_; }
  CaseStore& cases() { return *cases_; }
  BroadcastStore& broadcasts() { return *broadcasts_; }
  RetentionStore& retention() { return *retention_; }
  DataExportStore& dataExport() { return *data_export_; }

  //! Who runs the cluster-wide jobs: SQLite always leads (one instance); on PostgreSQL one
  //! instance at a time, by an advisory lock.
  virtual Leadership& leadership() = 0;
  //! Which conversations this instance processes (EngineOptions::ownership); null: all of them.
  virtual ConversationOwnership* ownership() { return nullptr; }
  //! The channel rates every instance draws from (OutboxOptions::shared_rate); null: this
  //! instance's own limiter holds the rate.
  virtual outbox::SharedSendRate* sharedRate() { return nullptr; }
  //! Starts what ties this instance to the others, once the engine is built: `recheck` runs
  //! when another instance stored events for conversations this one processes, or when this one
  //! took conversations over (Engine::recheckPending). Nothing to do for SQLite.
  virtual Result<void> startInstance(std::function<void()> recheck) {
    (void)recheck;
    return {};
  }
  //! Stops what startInstance started and gives this instance's conversations back.
  virtual void stopInstance() {}
  //! Commits a small write, as a webhook's would be: can this instance store one now?
  virtual Result<void> probeWrite() = 0;
  virtual std::vector<StorageGauge> gauges() = 0;
  //! Ends every connection, after every pending write committed.
  virtual void close() = 0;

protected:
  //! Destroys the stores while the connections they use are still there (a backend's
  //! destructor calls this first).
  void releaseStores() {
    data_export_.reset();
    retention_.reset();
    broadcasts_.reset();
    cases_.reset();
    inbox_.reset();
    telegram_offsets_.reset();
    matrix_transactions_.reset();
    gazetteer_.reset();
    subscriptions_.reset();
    proposals_.reset();
    conversations_.reset();
  }

  std::unique_ptr<Store> conversations_;
  std::unique_ptr<ProposalStore> proposals_;
  std::unique_ptr<SubscriptionStore> subscriptions_;
  std::unique_ptr<geo::Gazetteer> gazetteer_;
  std::unique_ptr<MatrixTransactionLog> matrix_transactions_;
  std::unique_ptr<TelegramOffsetStore> telegram_offsets_;
  std::unique_ptr<InboxStore> inbox_;
  std::unique_ptr<CaseStore> cases_;
  std::unique_ptr<BroadcastStore> broadcasts_;
  std::unique_ptr<RetentionStore> retention_;
  std::unique_ptr<DataExportStore> data_export_;
};

//! Opens (and migrates) the configured backend and builds every store on it. `pseudonym_key`
//! (raw bytes) lets a SQLite migration rewrite stored provider ids as keyed hashes.
Result<std::unique_ptr<Stores>> openStores(const config::Config& config, const Clock& clock,
                                           const std::string& pseudonym_key = {});

//! The same for SQLite only (storage/open_stores.cpp) and PostgreSQL only
//! (storage/postgresql/pg_stores.cpp).
Result<std::unique_ptr<Stores>> openSqliteStores(const config::Config& config, const Clock& clock,
                                                 const std::string& pseudonym_key);
Result<std::unique_ptr<Stores>> openPostgresqlStores(const config::Config& config,
                                                     const Clock& clock);

}  // namespace bb::storage
