// Several instances on one PostgreSQL database process the conversations by partition
// (bot/conversation/ownership.hpp, storage/postgresql/pg_conversation_owner.hpp): any instance
// stores any message, the one holding the conversation's lease processes it, in order; when an
// instance dies its conversations move to the other once its leases run out, and a step it had
// begun commits nothing.
#include <doctest/doctest.h>

#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "storage/postgresql/pg_partition_leases.hpp"
#include "support/wait_for.hpp"
#include "support/engine_harness.hpp"

using bb::test::Backend;
using bb::test::EngineHarness;
using bb::test::Instance;
using namespace std::chrono_literals;

namespace {

using bb::test::waitFor;

constexpr auto kLease = 1500ms;  // renewed every 500 ms
constexpr int kScriptSteps = 5;

//! Step `step` of a citizen's conversation: greeting, consent, a letter to the city, sent.
bb::InboundEvent scripted(EngineHarness& h, const std::string& user, int step) {
  switch (step) {
    case 0: {
      auto e = h.event(user, bb::InboundKind::Text);
      e.text = "Hallo";
      return e;
    }
    case 1:
    case 2:
    case 4: {
      auto e = h.event(user, bb::InboundKind::Choice);
      e.choice_id = step == 1 ? "accept" : step == 2 ? "letter" : "send";
      return e;
    }
    default: {
      auto e = h.event(user, bb::InboundKind::Text);
      e.text = "Bitte mehr Bänke im Park, schreibt " + user;
      return e;
    }
  }
}

//! The replies to `user` as a comparable line each: text and choices, with the citizen's name,
//! ticket numbers and link tokens taken out.
std::vector<std::string> shapeOf(EngineHarness& h, const std::string& user) {
  std::vector<std::string> out;
  static const std::regex varying("[0-9a-f]{16,}|[0-9]+");
  for (const auto& m : h.allReplies(user)) {
    std::string line = m.text;
    for (std::size_t at = line.find(user); at != std::string::npos; at = line.find(user)) {
      line.replace(at, user.size(), "<user>");
    }
    for (const auto& c : m.choices) { line += " [" + c.id + "]"; }
    out.push_back(std::regex_replace(line, varying, "#"));
  }
  return out;
}

//! What one instance alone answers to the first `steps` steps of the script.
std::vector<std::string> referenceShape(int steps = kScriptSteps) {
  EngineHarness alone(Backend::Sqlite);
  for (int step = 0; step < steps; ++step) { alone.send(scripted(alone, "ref", step)); }
  auto shape = shapeOf(alone, "ref");
  for (auto& line : shape) {
    for (std::size_t at = line.find("ref"); at != std::string::npos; at = line.find("ref")) {
      line.replace(at, 3, "<user>");
    }
  }
  return shape;
}

//! Two instances on one fresh database, the partitions split between them.
struct TwoInstances {
  TwoInstances()
      : a(Backend::Postgresql, 2, {}, Instance{"instance-a", kLease}),
        b(std::make_unique<EngineHarness>(Backend::Postgresql, 2, a.pg_url,
                                          Instance{"instance-b", kLease})) {
    b->event_prefix = "ev-b-";
    b->random.skip(1'000'000);
    // Instance a held everything alone; at its next renewal it gives back what exceeds half.
    REQUIRE(waitFor([&] { return a.owner->partitions().size() == 32 &&
                                 b->owner->partitions().size() == 32; },
                    5s));
  }
  EngineHarness a;
  std::unique_ptr<EngineHarness> b;
};

std::string user(int i) { return "buerger" + std::to_string(i); }

//! How many of the first `conversations` citizens got exactly the replies of `reference`.
int answeredInOrder(EngineHarness& h, int conversations, const std::vector<std::string>& reference) {
  int in_order = 0;
  for (int i = 0; i < conversations; ++i) {
    if (shapeOf(h, user(i)) == reference) { ++in_order; }
  }
  return in_order;
}

}  // namespace

TEST_CASE("instances: two instances split the partitions, and a clean stop hands them over at once") {
  TwoInstances two;
  std::set<int> both;
  for (int p : two.a.owner->partitions()) { both.insert(p); }
  for (int p : two.b->owner->partitions()) { both.insert(p); }
  CHECK(both.size() == static_cast<std::size_t>(bb::storage::pg::kPartitions));  // disjoint
  two.b.reset();  // a clean stop gives its leases back
  CHECK(waitFor([&] { return two.a.owner->partitions().size() == 64; }, 2s));
}

TEST_CASE("instances: an interleaved stream through two instances keeps each conversation's order, "
          "no ticket twice") {
  const auto reference = referenceShape();
  REQUIRE(reference.size() >= 4);
  TwoInstances two;
  EngineHarness& a = two.a;
  EngineHarness& b = *two.b;
  constexpr int kConversations = 100;
  // Message k of conversation i arrives at instance a or b in turn, as through a load balancer
  // that alternates; the conversations interleave.
  for (int step = 0; step < kScriptSteps; ++step) {
    for (int i = 0; i < kConversations; ++i) {
      EngineHarness& via = (i + step) % 2 == 0 ? a : b;
      REQUIRE(via.engine->ingest({scripted(via, user(i), step)}).has_value());
    }
  }
  REQUIRE(a.engine->waitIdle(60s));
  REQUIRE(b.engine->waitIdle(60s));
  // Both worked: each processed the conversations of its own partitions.
  CHECK(a.engine->processedCount() > 0);
  CHECK(b.engine->processedCount() > 0);
  CHECK(a.engine->processedCount() + b.engine->processedCount() ==
        static_cast<std::uint64_t>(kConversations * kScriptSteps));
  CHECK(a.scalar("SELECT count(*) FROM tickets WHERE kind = 'letter'") == kConversations);
  CHECK(a.scalar("SELECT count(DISTINCT number) FROM tickets") == kConversations);
  CHECK(a.scalar("SELECT count(DISTINCT reporter) FROM tickets") == kConversations);
  CHECK(answeredInOrder(a, kConversations, reference) == kConversations);
}

TEST_CASE("instances: when one instance dies, the other takes its conversations over within the "
          "lease, nothing lost, nothing twice") {
  const auto reference = referenceShape();
  TwoInstances two;
  EngineHarness& a = two.a;
  EngineHarness& b = *two.b;
  constexpr int kConversations = 40;
  // Half way, instance a stops for good: nothing more is processed there, its leases are not
  // given back (as after kill -9), and what it stored waits in the database.
  for (int step = 0; step < kScriptSteps; ++step) {
    for (int i = 0; i < kConversations; ++i) {
      EngineHarness& via = (i + step) % 2 == 0 ? a : b;
      if (step == 2 && i == kConversations / 2 && &via == &a) { a.crash(); }
      EngineHarness& to = a.engine ? via : b;
      REQUIRE(to.engine->ingest({scripted(to, user(i), step)}).has_value());
    }
  }
  const auto died = std::chrono::steady_clock::now();
  REQUIRE(b.engine->waitIdle(30s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - died);
  MESSAGE("all processed " << took.count() << " ms after the last message");
  // Taken over once the leases ran out: at most a lease and a renewal interval, plus the work
  // (about half a second here; more beside other tests).
  CHECK(took < kLease + kLease / 3 + 5s);
  CHECK(b.owner->partitions().size() == 64);
  CHECK(b.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
  CHECK(b.scalar("SELECT count(*) FROM tickets WHERE kind = 'letter'") == kConversations);
  CHECK(b.scalar("SELECT count(DISTINCT reporter) FROM tickets") == kConversations);
  CHECK(answeredInOrder(b, kConversations, reference) == kConversations);
}

TEST_CASE("instances: a step under a lease that passed to another instance commits nothing") {
  EngineHarness h(Backend::Postgresql, 1);
  h.restart(false);  // events are stored, not processed
  auto e = h.event("anna", bb::InboundKind::Text);
  e.text = "Hallo";
  REQUIRE(h.engine->ingest({e}).has_value());
  const auto event_id = h.scalar("SELECT id FROM inbound_events");
  const auto shard_key = h.scalar("SELECT shard_key FROM inbound_events");
  const int partition = bb::storage::pg::partitionOf(shard_key);
  bb::storage::pg::PartitionLeases first(*h.pg, {"first", 30s});
  REQUIRE(first.refresh().has_value());
  const auto old_token = h.scalar("SELECT token FROM partition_leases WHERE partition = " +
                                  std::to_string(partition));
  // The first instance's lease runs out; the second takes the partition with a new token.
  h.execute("UPDATE partition_leases SET expires_at = 0 WHERE owner = 'first'");
  bb::storage::pg::PartitionLeases second(*h.pg, {"second", 30s});
  REQUIRE(second.refresh().has_value());
  bb::StepCommit late;
  late.event_id = event_id;
  late.pseudonym = h.pseudonym("anna");
  late.now = h.clock.now();
  late.counters = {"late_step"};
  late.fence = bb::StepFence{"first", partition, old_token};
  auto refused = h.store->commitStep(late);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::Conflict);
  CHECK(refused.error().detail == bb::kPartitionMoved);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 1);
  CHECK(h.scalar("SELECT count(*) FROM counters") == 0);
  // The same step under the new holder's lease goes through.
  late.fence = bb::StepFence{"second", partition, old_token + 1};
  auto taken = h.store->commitStep(late);
  REQUIRE(taken.has_value());
  CHECK(*taken);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
}

TEST_CASE("instances: an engine whose lease was taken meanwhile leaves the event to the new holder, "
          "unparked") {
  // A long lease: the instance believes in its leases until the next renewal, 10 s away.
  EngineHarness h(Backend::Postgresql, 1, {}, Instance{"instance-a", 30s});
  h.onboard("anna");
  const auto processed = h.engine->processedCount();
  // Another instance took every partition over (as after a pause longer than the lease).
  h.execute("UPDATE partition_leases SET owner = 'instance-b', token = token + 1, "
            "expires_at = expires_at + 60000");
  auto e = h.event("anna", bb::InboundKind::Text);
  e.text = "hilfe";
  REQUIRE(h.engine->ingest({e}).has_value());
  const std::string pending = "SELECT count(*) FROM inbound_events WHERE processed_at IS NULL "
                              "AND parked_at IS NULL";
  // The step ran and its commit was refused: the event stays for the holder, not parked.
  REQUIRE(waitFor([&] { return h.engine->stepsMoved() == 1; }, 5s));
  CHECK(h.scalar(pending) == 1);
  CHECK(h.engine->processedCount() == processed);
  CHECK(h.engine->commitsParked() == 0);
  CHECK(h.replies("anna").empty());
}

TEST_CASE("instances: a message stored at the conversation's instance waits for the citizen's "
          "earlier one stored at the other, even before that one's notice arrives") {
  const auto reference = referenceShape(2);
  TwoInstances two;
  EngineHarness& a = two.a;
  EngineHarness& b = *two.b;
  // Instance a no longer hears b's notices: only the database tells it of b's events.
  a.listener->stop();
  // The citizen's first message reaches b, though a holds the conversation.
  std::string citizen;
  for (int i = 0; citizen.empty(); ++i) {
    REQUIRE(i < 64);
    REQUIRE(b.engine->ingest({scripted(b, user(i), 0)}).has_value());
    const auto key = a.scalar("SELECT shard_key FROM inbound_events ORDER BY id DESC LIMIT 1");
    if (a.owner->fenceFor(key)) { citizen = user(i); }
  }
  // Their answer reaches a, which has not queued the first message.
  REQUIRE(a.engine->ingest({scripted(a, citizen, 1)}).has_value());
  REQUIRE(waitFor([&] { return a.allReplies(citizen).size() >= reference.size(); }, 10s));
  CHECK(shapeOf(a, citizen) == reference);
  CHECK(a.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
}
