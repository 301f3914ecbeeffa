// Two real `buergerbox serve` processes on one PostgreSQL database (storage.backend postgresql),
// sharing one media folder, with all three messenger channels pointed at one FakeApis. Citizens
// write like the platforms do; each message goes to one of the two ports, as a load balancer
// would send it. The instances' conversation leases are short here (3 s) so a takeover fits
// the test; production keeps the default (docs/deploy/ha.md).

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/conversation/codec.hpp"
#include "support/test_storage.hpp"
#include "support/wait_for.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;
using bb::storage::pg::Param;
using bb::test::Citizen;
using bb::test::FakeApis;
using bb::test::Rig;
using bb::test::waitFor;

constexpr int kLeaseMs = 3000;
constexpr int kClaimMs = 35000;  // the shortest allowed: above a send's 30 s timeout

//! Two instances on one fresh database; A starts first and migrates it.
struct Cluster {
  FakeApis& apis;
  std::string url = bb::test::freshPostgres();
  bb::test::TempDir shared;
  Rig a;
  Rig b;
  std::unique_ptr<bb::storage::pg::PgDatabase> db;

  explicit Cluster(FakeApis& fake) : apis(fake), a(fake), b(fake) {
    for (auto [rig, id] : {std::pair<Rig*, const char*>{&a, "a"}, {&b, "b"}}) {
      rig->extra_env = {{"BUERGERBOX_STORAGE_BACKEND", "postgresql"},
                        {"BUERGERBOX_STORAGE_POSTGRESQL_URL", url},
                        {"BUERGERBOX_STORAGE_POSTGRESQL_INSTANCE_ID", id},
                        {"BUERGERBOX_STORAGE_POSTGRESQL_LEASE_MS", std::to_string(kLeaseMs)},
                        {"BUERGERBOX_STORAGE_POSTGRESQL_OUTBOX_CLAIM_MS",
                         std::to_string(kClaimMs)},
                        {"BUERGERBOX_STORAGE_MEDIA_DIR", shared.path() + "/media"}};
    }
  }

  bool start() {
    if (!a.start() || !b.start()) { return false; }
    db = bb::test::openPostgres(url, 1);
    // Both hold their share before the stream begins.
    return waitFor([this] { return liveOwners() == 2; }, 10s);
  }
  std::string logs() {
    return status() + a.server->log() + "\n----- b -----\n" + b.server->log();
  }
  //! What is still waiting, for a failure's message.
  std::string status() {
    if (!db) { return {}; }
    std::string out;
    auto rows = db->withConnection([&](bb::storage::pg::Session& s) {
      auto q = s.run("SELECT 'event ' || id || ' ' || left(pseudonym, 8) || ' shard ' || "
                     "shard_key % 64 || coalesce(' parked ' || park_reason, '') FROM "
                     "inbound_events WHERE processed_at IS NULL UNION ALL "
                     "SELECT 'outbox ' || id || ' ' || channel || ' ' || status || ' tries ' || "
                     "tries FROM outbox WHERE status IN ('queued','sending') UNION ALL "
                     "SELECT 'owner ' || coalesce(owner, '-') || ' ' || count(*) FROM "
                     "partition_leases GROUP BY owner");
      for (int i = 0; i < q.size(); ++i) { out += q.text(i, 0) + "\n"; }
    });
    if (!rows) { out += rows.error().detail + "\n"; }
    return out;
  }

  std::int64_t scalar(const std::string& sql, const std::vector<Param>& params = {}) {
    auto n = db->withConnection(
        [&](bb::storage::pg::Session& s) { return s.exec(sql, params).int64(0, 0); });
    REQUIRE_MESSAGE(n.has_value(), (n ? "" : n.error().detail));
    return *n;
  }
  std::int64_t liveOwners() {
    return scalar("SELECT count(DISTINCT owner) FROM partition_leases WHERE owner IS NOT NULL "
                  "AND expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
  }
  std::int64_t partitionsOf(const std::string& owner) {
    return scalar("SELECT count(*) FROM partition_leases WHERE owner = $1 "
                  "AND expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
                  {owner});
  }
  //! Every stored event processed and every reply sent.
  bool settle(std::chrono::seconds timeout) {
    return waitFor(
        [this] {
          return scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0 &&
                 scalar("SELECT count(*) FROM outbox WHERE status IN ('queued','sending') "
                        "AND channel <> 'webchat'") == 0;
        },
        timeout, std::chrono::milliseconds(50));
  }
  //! The texts queued for `pseudonym`, in the order they were committed.
  std::vector<std::string> queuedTexts(const std::string& pseudonym) {
    auto rows = db->withConnection([&](bb::storage::pg::Session& s) {
      auto q = s.run("SELECT payload FROM outbox WHERE pseudonym = $1 ORDER BY id", pseudonym);
      std::vector<std::string> out;
      for (int i = 0; i < q.size(); ++i) {
        auto m = bb::decodeOutbound(q.text(i, 0));
        out.push_back(m ? m->text : "(undecodable)");
      }
      return out;
    });
    REQUIRE(rows.has_value());
    return *rows;
  }
};

//! Sends message `k` of a citizen to `rig`, repeating it (same id) until one of the two answers
//! 200; a port that does not answer sends the repeat to the other one, as a load balancer does.
bool deliver(Rig& first, Rig& second, Citizen& c, const std::string& text,
             std::atomic<int>& unexpected) {
  const Rig::Wire w = Rig::wire(c, c.next++, text);
  Rig* target = &first;
  for (int attempt = 0; attempt < 400; ++attempt) {
    const int status = target->request(w.method, w.path, w.headers, w.body, 5);
    if (status == 200) { return true; }
    if (status != 0 && status != 503) {
      ++unexpected;
      return false;
    }
    if (status == 0) { target = target == &first ? &second : &first; }
    std::this_thread::sleep_for(30ms);
  }
  return false;
}

const std::vector<std::string> kScript = {"Hallo", "ja", "briefkasten", "Brief", "ja"};

std::string prefix(const std::string& text) {
  return text.substr(0, std::min<std::size_t>(text.size(), 24));
}

const char* channelOf(int i) {
  return i % 3 == 0 ? "whatsapp" : i % 3 == 1 ? "telegram" : "matrix";
}

//! The replies a citizen got on the wire, compared with what was queued for them: the same
//! messages in the same order (channels append their choices to a text).
void checkRepliesInOrder(Cluster& cluster, Rig& rig, const Citizen& c,
                         std::vector<std::string>& first_dialogue) {
  CAPTURE(c.channel);
  CAPTURE(c.index);
  const auto queued = cluster.queuedTexts(rig.pseudonym(c));
  const auto wire = cluster.apis.deliveriesTo(c.recipient);
  std::string both;
  for (const auto& d : wire) { both += "wire: " + prefix(d.text) + "\n"; }
  for (const auto& q : queued) { both += "queued: " + prefix(q) + "\n"; }
  CAPTURE(both);
  REQUIRE(wire.size() == queued.size());
  std::vector<std::string> dialogue;
  for (std::size_t i = 0; i < queued.size(); ++i) {
    CHECK_MESSAGE(wire[i].text.rfind(prefix(queued[i]), 0) == 0, "#" << i << ": " << wire[i].text);
    dialogue.push_back(prefix(queued[i]).substr(0, 12));
  }
  // Every citizen wrote the same script: a message processed out of its order would give
  // this conversation another dialogue than the others.
  if (first_dialogue.empty()) { first_dialogue = dialogue; }
  CHECK(dialogue == first_dialogue);
}

}  // namespace

TEST_CASE("reliability: two real servers on PostgreSQL take an interleaved stream for 100 "
          "conversations through alternating ports, each in its order, no ticket twice") {
  FakeApis apis;
  Cluster cluster(apis);
  REQUIRE_MESSAGE(cluster.start(), cluster.logs());
  CHECK(cluster.partitionsOf("a") > 0);
  CHECK(cluster.partitionsOf("b") > 0);

  std::vector<Citizen> citizens;
  for (int i = 0; i < 100; ++i) {
    citizens.push_back(bb::test::makeCitizen(channelOf(i), i + 1));
  }
  std::atomic<int> unexpected{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 10; ++t) {
    senders.emplace_back([&, t] {
      // Step by step across this sender's ten conversations: their messages interleave, and
      // each conversation's next message goes to the other port than its last one.
      for (std::size_t step = 0; step < kScript.size(); ++step) {
        for (int i = t; i < 100; i += 10) {
          Citizen& c = citizens[static_cast<std::size_t>(i)];
          Rig& first = (i + static_cast<int>(step)) % 2 == 0 ? cluster.a : cluster.b;
          Rig& second = &first == &cluster.a ? cluster.b : cluster.a;
          const std::string text =
              kScript[step] == "Brief" ? "Brief " + std::to_string(c.index) : kScript[step];
          if (!deliver(first, second, c, text, unexpected)) { ++failed; }
        }
      }
    });
  }
  for (auto& s : senders) { s.join(); }
  REQUIRE_MESSAGE(cluster.settle(60s), cluster.logs());
  CHECK(unexpected.load() == 0);
  CHECK(failed.load() == 0);

  CHECK(cluster.scalar("SELECT count(*) FROM tickets") == 100);
  CHECK(cluster.scalar("SELECT count(*) FROM (SELECT reporter FROM tickets GROUP BY reporter "
                       "HAVING count(*) > 1) twice") == 0);
  CHECK(cluster.scalar("SELECT count(*) FROM conversations WHERE state = 'menu'") == 100);
  std::vector<std::string> first_dialogue;
  for (const auto& c : citizens) { checkRepliesInOrder(cluster, cluster.a, c, first_dialogue); }
  CHECK(first_dialogue.size() >= kScript.size());
  CHECK(cluster.a.server->stop(SIGTERM) == 0);
  CHECK(cluster.b.server->stop(SIGTERM) == 0);
}

TEST_CASE("reliability: kill -9 of one of two servers on PostgreSQL under load loses no "
          "acknowledged event, makes no ticket twice, the other takes its conversations over") {
  FakeApis apis;
  Cluster cluster(apis);
  REQUIRE_MESSAGE(cluster.start(), cluster.logs());

  std::vector<Citizen> citizens;
  for (int i = 0; i < 30; ++i) {
    citizens.push_back(bb::test::makeCitizen(channelOf(i), i + 1));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::mutex mutex;
  std::vector<std::string> acked;
  std::map<int, int> rounds;
  std::vector<std::thread> senders;
  for (auto& citizen : citizens) {
    senders.emplace_back([&, c = &citizen] {
      Rig& first = c->index % 2 == 0 ? cluster.a : cluster.b;
      Rig& second = &first == &cluster.a ? cluster.b : cluster.a;
      auto say = [&](const std::string& text) {
        const Rig::Wire w = Rig::wire(*c, c->next, text);
        if (!deliver(first, second, *c, text, unexpected)) { return false; }
        std::lock_guard lock(mutex);
        acked.push_back(c->channel + "|" + w.stored_id);
        return true;
      };
      if (!say("Hallo") || !say("ja")) { return; }
      for (int round = 1; !stop.load(); ++round) {
        if (!say("briefkasten") || !say("Brief " + std::to_string(c->index) + "-" +
                                        std::to_string(round)) ||
            !say("ja")) {
          return;
        }
        std::lock_guard lock(mutex);
        rounds[c->index] = round;
      }
    });
  }
  std::this_thread::sleep_for(2s);
  REQUIRE(cluster.partitionsOf("a") > 0);
  cluster.a.server->stop(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  // The survivor takes every partition once A's leases ran out.
  REQUIRE_MESSAGE(waitFor([&] { return cluster.partitionsOf("b") == 64; }, 30s, 20ms),
                  cluster.logs());
  const auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  std::this_thread::sleep_for(1s);  // load goes on against the survivor alone
  stop.store(true);
  for (auto& s : senders) { s.join(); }
  REQUIRE_MESSAGE(cluster.settle(90s), cluster.logs());
  const auto settled = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);

  CHECK(unexpected.load() == 0);
  // No acknowledged event lost: each is stored once and processed.
  int missing = 0;
  for (const auto& id : acked) {
    const auto bar = id.find('|');
    if (cluster.scalar("SELECT count(*) FROM inbound_events WHERE channel = $1 AND "
                       "external_id = $2 AND processed_at IS NOT NULL",
                       {id.substr(0, bar), id.substr(bar + 1)}) != 1) {
      ++missing;
    }
  }
  CHECK(missing == 0);
  // No ticket twice: one letter per confirmed round (a round cut by the kill may have one more).
  CHECK(cluster.scalar("SELECT count(*) FROM (SELECT description FROM tickets GROUP BY "
                       "description HAVING count(*) > 1) twice") == 0);
  for (const auto& c : citizens) {
    CAPTURE(c.index);
    const auto letters = cluster.scalar("SELECT count(*) FROM tickets WHERE reporter = $1",
                                        {cluster.a.pseudonym(c)});
    CHECK(letters >= rounds[c.index]);
    CHECK(letters <= rounds[c.index] + 1);
  }
  CHECK(cluster.scalar("SELECT count(*) FROM outbox WHERE status IN ('queued','sending','dead',"
                       "'failed') AND channel <> 'webchat'") == 0);
  // The lease runs out on the server's clock at most kLeaseMs after A's last renewal.
  CHECK(takeover.count() <= kLeaseMs + 2000);
  MESSAGE("kill -9 of one of two instances: acked events=" << acked.size()
          << " lost=" << missing << " partitions taken over after " << takeover.count()
          << " ms (lease " << kLeaseMs << " ms), all settled " << settled.count()
          << " ms after the kill");
  CHECK(cluster.b.server->stop(SIGTERM) == 0);
}
