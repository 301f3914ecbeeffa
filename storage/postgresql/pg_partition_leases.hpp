#pragma once
// Which instance processes which conversations when several share one PostgreSQL database. The
// conversations fall into kPartitions partitions (a citizen's shard_key modulo kPartitions); each
// partition is leased to one instance at a time. An instance renews its leases well inside their
// duration, takes free or expired partitions up to its fair share of the live instances, and
// gives back what exceeds that share so that a new instance gets work. Every change of owner
// raises the partition's fencing token: a step commits only inside fence(), which holds while the
// token is still the instance's and its lease has not run out (and keeps a takeover waiting until
// that step's transaction ends). Times come from the database server's clock, so the instances'
// own clocks need not agree.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! Fixed in the schema (migration 3): the unit of moving work between instances.
inline constexpr int kPartitions = 64;

inline int partitionOf(std::int64_t shard_key) {
  const std::int64_t p = shard_key % kPartitions;
  return static_cast<int>(p < 0 ? p + kPartitions : p);
}

struct LeaseOptions {
  std::string instance_id;  //!< unique per running instance (host name and pid, say)
  std::chrono::milliseconds lease{15000};  //!< renewed every lease / 3 by the caller
};

struct OwnedPartition {
  int partition = 0;
  std::int64_t token = 0;
  bool operator==(const OwnedPartition& o) const {
    return partition == o.partition && token == o.token;
  }
};

class PartitionLeases {
public:
  PartitionLeases(PgDatabase& db, LeaseOptions options) : db_(db), options_(std::move(options)) {}

  //! One round, in one transaction: records this instance as live, renews its unexpired leases,
  //! releases those beyond its fair share (ceil(kPartitions / live instances)), takes free or
  //! expired partitions up to it. Returns every partition it holds now, by number.
  Result<std::vector<OwnedPartition>> refresh();
  //! Gives every lease back and leaves the live list (a clean stop): the others take the
  //! partitions at their next refresh instead of after the lease runs out.
  Result<void> releaseAll();
  //! Inside a step's transaction: true while `owned` is still this instance's, unexpired lease.
  //! Locks the lease row (FOR SHARE) until the transaction ends.
  static bool fence(Session& s, const std::string& instance_id, const OwnedPartition& owned);

private:
  PgDatabase& db_;
  LeaseOptions options_;
};

}  // namespace bb::storage::pg
