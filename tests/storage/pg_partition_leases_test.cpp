// Partition leases (storage/postgresql/pg_partition_leases.hpp): instances of one PostgreSQL
// database share the conversations' partitions, each held by one instance at a time, and the
// partitions of an instance that stops renewing move to the others with a new fencing token.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/postgresql/pg_partition_leases.hpp"
#include "support/test_storage.hpp"

namespace {

using namespace std::chrono_literals;
using bb::storage::pg::kPartitions;
using bb::storage::pg::LeaseOptions;
using bb::storage::pg::OwnedPartition;
using bb::storage::pg::PartitionLeases;
using bb::storage::pg::PgDatabase;
using bb::storage::pg::Session;

//! One instance: its own connection pool, as a separate process would have.
struct Instance {
  Instance(const std::string& url, const std::string& instance_id, std::chrono::milliseconds lease)
      : id(instance_id) {
    db = bb::test::openPostgres(url, 1);
    leases = std::make_unique<PartitionLeases>(*db, LeaseOptions{id, lease});
  }
  std::vector<OwnedPartition> refresh() {
    auto held = leases->refresh();
    REQUIRE_MESSAGE(held.has_value(), (held ? "" : held.error().detail));
    return *held;
  }
  bool fence(const OwnedPartition& p) {
    auto ok = db->transaction([&](Session& s) { return PartitionLeases::fence(s, id, p); });
    REQUIRE(ok.has_value());
    return *ok;
  }
  std::string id;
  std::unique_ptr<PgDatabase> db;
  std::unique_ptr<PartitionLeases> leases;
};

std::set<int> numbers(const std::vector<OwnedPartition>& held) {
  std::set<int> out;
  for (const auto& p : held) { out.insert(p.partition); }
  return out;
}

}  // namespace

TEST_CASE("partition leases: a lone instance holds every partition, and a citizen has one") {
  Instance a(bb::test::migratedPostgres(), "a", 10s);
  auto held = a.refresh();
  CHECK(held.size() == static_cast<std::size_t>(kPartitions));
  CHECK(numbers(held).size() == static_cast<std::size_t>(kPartitions));
  for (const auto& p : held) { CHECK(p.token >= 1); }
  CHECK(a.refresh() == held);  // a renewal keeps the tokens
  CHECK(bb::storage::pg::partitionOf(130) == 2);
  CHECK(bb::storage::pg::partitionOf(-1) == kPartitions - 1);
}

TEST_CASE("partition leases: a second instance gets half, and the halves do not overlap") {
  const std::string url = bb::test::migratedPostgres();
  Instance a(url, "a", 10s);
  Instance b(url, "b", 10s);
  REQUIRE(a.refresh().size() == static_cast<std::size_t>(kPartitions));
  CHECK(b.refresh().empty());  // every partition is leased; b is now known as live
  const auto a_held = a.refresh();  // a gives back what exceeds its share
  const auto b_held = b.refresh();
  CHECK(a_held.size() == static_cast<std::size_t>(kPartitions / 2));
  CHECK(b_held.size() == static_cast<std::size_t>(kPartitions / 2));
  std::set<int> all = numbers(a_held);
  for (int p : numbers(b_held)) { CHECK(all.insert(p).second); }
  CHECK(all.size() == static_cast<std::size_t>(kPartitions));
  // The partitions b took changed owner: their tokens moved on, so a's old ones no longer fence.
  for (const auto& p : b_held) {
    CHECK(b.fence(p));
    CHECK_FALSE(a.fence(OwnedPartition{p.partition, p.token - 1}));
  }
}

TEST_CASE("partition leases: an instance that stops renewing loses its partitions to the others") {
  const std::string url = bb::test::migratedPostgres();
  // Long enough for the rounds and fences below on a slow machine, short enough to wait out.
  Instance a(url, "a", 2s);
  Instance b(url, "b", 2s);
  a.refresh();
  b.refresh();
  const auto a_held = a.refresh();
  b.refresh();
  REQUIRE(a_held.size() == static_cast<std::size_t>(kPartitions / 2));
  for (const auto& p : a_held) { CHECK(a.fence(p)); }
  // a is killed: it renews nothing. Before its leases run out, b cannot take them.
  CHECK(b.refresh().size() == static_cast<std::size_t>(kPartitions / 2));
  std::this_thread::sleep_for(2200ms);
  // Its leases ran out: a's steps no longer fence, even before anyone took the partitions...
  for (const auto& p : a_held) { CHECK_FALSE(a.fence(p)); }
  // ...and b, now the only live instance, takes everything, each taken one with a new token.
  const auto b_all = b.refresh();
  CHECK(b_all.size() == static_cast<std::size_t>(kPartitions));
  std::map<int, std::int64_t> old_tokens;
  for (const auto& p : a_held) { old_tokens[p.partition] = p.token; }
  for (const auto& p : b_all) {
    if (old_tokens.count(p.partition) != 0) { CHECK(p.token > old_tokens[p.partition]); }
  }
}

TEST_CASE("partition leases: a clean stop hands the partitions over at once") {
  const std::string url = bb::test::migratedPostgres();
  Instance a(url, "a", 10s);
  Instance b(url, "b", 10s);
  a.refresh();
  b.refresh();
  a.refresh();
  REQUIRE(b.refresh().size() == static_cast<std::size_t>(kPartitions / 2));
  REQUIRE(a.leases->releaseAll());
  CHECK(b.refresh().size() == static_cast<std::size_t>(kPartitions));
}

TEST_CASE("partition leases: four instances refreshing at once never hold a partition twice") {
  const std::string url = bb::test::migratedPostgres();
  std::vector<std::unique_ptr<Instance>> instances;
  for (int i = 0; i < 4; ++i) {
    instances.push_back(std::make_unique<Instance>(url, "i" + std::to_string(i), 10s));
  }
  std::vector<std::vector<OwnedPartition>> last(4);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      // Taking, then giving everything back: free partitions that all four race to take.
      auto& leases = *instances[static_cast<std::size_t>(i)]->leases;
      for (int round = 0; round < 20; ++round) {
        auto held = leases.refresh();
        if (!held) { ++failures; }
        if (round % 2 == 0 && !leases.releaseAll()) { ++failures; }
        if (held) { last[static_cast<std::size_t>(i)] = *held; }
      }
    });
  }
  for (auto& t : threads) { t.join(); }
  CHECK(failures.load() == 0);
  // What each instance was last told it holds is what the table says (leases last 10 s and only
  // an owner gives one back): no two were told the same partition.
  std::set<int> told;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    for (const auto& p : last[i]) {
      CHECK(told.insert(p.partition).second);
      auto owner = instances[i]->db->withConnection([&](Session& s) {
        return s.run("SELECT owner FROM partition_leases WHERE partition = $1", p.partition)
            .text(0, 0);
      });
      REQUIRE(owner.has_value());
      CHECK(*owner == instances[i]->id);
    }
  }
  // One more round each, one after the other, settles the shares; none overlaps.
  std::set<int> all;
  for (auto& instance : instances) { instance->refresh(); }
  for (auto& instance : instances) {
    const auto held = instance->refresh();
    CHECK(held.size() == static_cast<std::size_t>(kPartitions / 4));
    for (int p : numbers(held)) { CHECK(all.insert(p).second); }
  }
  CHECK(all.size() == static_cast<std::size_t>(kPartitions));
}
