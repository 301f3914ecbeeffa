#pragma once
// Leadership of the cluster-wide jobs on PostgreSQL: the instance that holds a session-level
// advisory lock leads. The lock lives on a connection of its own and goes with that session:
// when the instance stops, when it dies (the kernel closes its socket and the server ends the
// session at once) or when the server loses it (TCP keepalives; docs/architecture.md). Another
// instance takes the lead at its next ask.

#include <cstdint>
#include <mutex>

#include "bot/runtime/leadership.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! The advisory lock key of the cluster-wide jobs (distinct from the migration's).
inline constexpr std::int64_t kClusterJobsLock = 6362811447290917;

class PgLeadership final : public Leadership {
public:
  explicit PgLeadership(PgOptions options, std::int64_t lock_key = kClusterJobsLock)
      : options_(std::move(options)), lock_key_(lock_key) {}
  ~PgLeadership() override;
  PgLeadership(const PgLeadership&) = delete;
  PgLeadership& operator=(const PgLeadership&) = delete;

  //! Holding the lock: checks the session still answers (false once it is gone: another
  //! instance may lead by now). Not holding it: tries to take it, connecting first if needed.
  //! False when the database cannot be reached.
  bool leads() override;

private:
  void drop();

  PgOptions options_;
  std::int64_t lock_key_;
  std::mutex mutex_;
  pg_conn* conn_ = nullptr;
  bool holding_ = false;
};

}  // namespace bb::storage::pg
