#include "storage/postgresql/pg_partition_leases.hpp"

#include <algorithm>

namespace bb::storage::pg {

namespace {

//! Milliseconds since the epoch on the database server's clock.
constexpr const char* kNow = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

std::vector<OwnedPartition> owned(const Rows& rows) {
  std::vector<OwnedPartition> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(OwnedPartition{static_cast<int>(rows.int64(i, 0)), rows.int64(i, 1)});
  }
  return out;
}

}  // namespace

Result<std::vector<OwnedPartition>> PartitionLeases::refresh() {
  const std::int64_t lease = options_.lease.count();
  const std::string& me = options_.instance_id;
  return db_.transaction([&](Session& s) {
    s.run(std::string("INSERT INTO instances (id, seen_at) VALUES ($1, ") + kNow +
              ") ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
          me);
    // An instance gone for a day is forgotten (its id names a host and a process).
    s.run(std::string("DELETE FROM instances WHERE seen_at < ") + kNow + " - 86400000");
    const std::int64_t live =
        s.run(std::string("SELECT count(*) FROM instances WHERE seen_at > ") + kNow + " - $1",
              lease)
            .int64(0, 0);
    const std::int64_t share = (kPartitions + std::max<std::int64_t>(live, 1) - 1) /
                               std::max<std::int64_t>(live, 1);
    std::vector<OwnedPartition> held = owned(s.run(
        std::string("UPDATE partition_leases SET expires_at = ") + kNow +
            " + $2 WHERE owner = $1 AND expires_at > " + kNow + " RETURNING partition, token",
        me, lease));
    std::sort(held.begin(), held.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    if (static_cast<std::int64_t>(held.size()) > share) {
      // The highest numbers go back; whoever takes them raises their token.
      const auto keep = static_cast<std::size_t>(share);
      for (std::size_t i = keep; i < held.size(); ++i) {
        s.run("UPDATE partition_leases SET owner = NULL, expires_at = 0 "
              "WHERE partition = $1 AND owner = $2",
              held[i].partition, me);
      }
      held.resize(keep);
    } else if (static_cast<std::int64_t>(held.size()) < share) {
      // Free or expired partitions, skipping rows another instance is taking right now.
      auto taken = owned(s.run(
          std::string("UPDATE partition_leases SET owner = $1, token = token + 1, expires_at = ") +
              kNow + " + $2 WHERE partition IN (SELECT partition FROM partition_leases "
              "WHERE owner IS NULL OR expires_at <= " + kNow +
              " ORDER BY partition LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING partition, token",
          me, lease, share - static_cast<std::int64_t>(held.size())));
      held.insert(held.end(), taken.begin(), taken.end());
      std::sort(held.begin(), held.end(),
                [](const auto& a, const auto& b) { return a.partition < b.partition; });
    }
    return held;
  });
}

Result<void> PartitionLeases::releaseAll() {
  return db_.transaction([&](Session& s) {
    s.run("UPDATE partition_leases SET owner = NULL, expires_at = 0 WHERE owner = $1",
          options_.instance_id);
    s.run("DELETE FROM instances WHERE id = $1", options_.instance_id);
  });
}

bool PartitionLeases::fence(Session& s, const std::string& instance_id,
                            const OwnedPartition& owned_partition) {
  return !s.run(std::string("SELECT 1 FROM partition_leases WHERE partition = $1 AND owner = $2 "
                            "AND token = $3 AND expires_at > ") +
                    kNow + " FOR SHARE",
                owned_partition.partition, instance_id, owned_partition.token)
              .empty();
}

}  // namespace bb::storage::pg
