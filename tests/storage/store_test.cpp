// The conversation store on its own, on both backends (the engine tests drive it through whole
// conversations): an event processed before is answered as such and changes nothing, a failed
// step is an error and keeps nothing, delivery receipts only move a message forward, and a
// parked event is held back until it is processed.
#include <doctest/doctest.h>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::test::allBackends;
using bb::test::backendName;
using bb::test::TestStorage;

const bb::SysTime kNow{std::chrono::seconds(1'795'000'000)};

std::int64_t ingestOne(bb::Store& store, const std::string& external_id) {
  bb::NewInboundEvent e;
  e.channel = bb::Channel::WebChat;
  e.external_id = external_id;
  e.pseudonym = "p-anna";
  e.received_at = kNow;
  e.payload = "{}";
  auto ingested = store.ingest({e}, nullptr);
  REQUIRE(ingested.has_value());
  REQUIRE(ingested->size() == 1);
  return (*ingested)[0].id;
}

bb::NewOutbound reply(const std::string& payload, bb::Channel channel = bb::Channel::WebChat) {
  bb::NewOutbound o;
  o.channel = channel;
  o.pseudonym = "p-anna";
  o.address_ct = std::string("sealed\0\xff", 8);  // bytes, not text: a NUL and a high byte
  o.key_id = "k1";
  o.payload = payload;
  return o;
}

//! A receipt for the message the channel knows as `provider_id`, under its own event id.
bb::NewInboundEvent receipt(const std::string& event_id, const std::string& provider_id,
                            const std::string& status, const std::string& code = "") {
  bb::NewInboundEvent e;
  e.channel = bb::Channel::WhatsApp;
  e.external_id = event_id;
  e.received_at = kNow;
  e.delivery = bb::DeliveryStatus{provider_id, status, code, code.empty() ? "" : "Undeliverable"};
  return e;
}

}  // namespace

TEST_CASE("storage: a step of an event processed before changes nothing and answers false") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::Store& store = storage.store();
    const std::int64_t event = ingestOne(store, "web-1");
    // The same event delivered again is stored once.
    bb::NewInboundEvent again_in;
    again_in.external_id = "web-1";
    again_in.pseudonym = "p-anna";
    auto duplicate = store.ingest({again_in}, nullptr);
    REQUIRE(duplicate.has_value());
    CHECK((*duplicate)[0].duplicate);

    bb::StepCommit step;
    step.event_id = event;
    step.pseudonym = "p-anna";
    step.now = kNow;
    step.counters = {"reports"};
    step.conversation = bb::ConversationRecord{"main_menu", "{}"};
    step.outbound = {reply("first")};
    auto first = store.commitStep(step);
    REQUIRE(first.has_value());
    CHECK(*first);

    // The same event again (a re-run after a crash), with other effects: none of them is kept.
    step.conversation = bb::ConversationRecord{"defect_report", "{}"};
    step.outbound = {reply("second")};
    auto again = store.commitStep(step);
    REQUIRE(again.has_value());
    CHECK_FALSE(*again);
    CHECK(store.counter("reports").value() == 1);
    CHECK(store.conversation("p-anna").value()->state == "main_menu");
    CHECK(storage.rowCount("outbox") == 1);
    CHECK(store.pendingEvents(0, 10).value().empty());
    const auto queued = store.outboxFor("p-anna", bb::Channel::WebChat, 0, 10).value();
    REQUIRE(queued.size() == 1);
    CHECK(queued[0].address_ct == reply("").address_ct);
    CHECK(queued[0].payload == "first");
  }
}

TEST_CASE("storage: a step without an inbound event commits every time") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::StepCommit step;
    step.now = kNow;
    step.counters = {"api_reports"};
    CHECK(storage.store().commitStep(step).value());
    CHECK(storage.store().commitStep(step).value());
    CHECK(storage.store().counter("api_reports").value() == 2);
  }
}

TEST_CASE("storage: a step that fails is an error, not 'processed before', and keeps nothing") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::Store& store = storage.store();
    bb::NewTicket ticket;
    ticket.number = 7;
    ticket.category_id = "pothole";
    ticket.department = "bauhof";
    ticket.lat = 48.0777123456789;
    ticket.lon = 11.9706;
    bb::StepCommit api;
    api.now = kNow;
    api.tickets = {ticket};
    REQUIRE(store.commitStep(api).value());
    const auto stored = store.ticketByNumber(7).value();
    REQUIRE(stored.has_value());
    CHECK(*stored->lat == 48.0777123456789);  // exactly, not rounded by a text form
    CHECK(storage.rowCount("case_queue") == 1);

    // A second ticket with the same number breaks the UNIQUE constraint after the event was
    // marked processed and the counter moved: the whole step rolls back, the event stays pending.
    const std::int64_t event = ingestOne(store, "web-2");
    bb::StepCommit step;
    step.event_id = event;
    step.pseudonym = "p-anna";
    step.now = kNow;
    step.counters = {"reports"};
    step.tickets = {ticket};
    auto failed = store.commitStep(step);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == bb::ErrorCode::Conflict);
    CHECK(store.counter("reports").value() == 0);
    CHECK(store.pendingEvents(0, 10).value().size() == 1);
    CHECK(storage.rowCount("case_queue") == 1);
  }
}

TEST_CASE("storage: delivery receipts move a message forward only, failed is final") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::Store& store = storage.store();
    bb::StepCommit step;
    step.now = kNow;
    step.outbound = {reply("Hallo", bb::Channel::WhatsApp)};
    REQUIRE(store.commitStep(step).value());
    const auto id = store.outboxFor("p-anna", bb::Channel::WhatsApp, 0, 10).value().at(0).id;
    REQUIRE(store.markOutbox(id, "sent", "wamid.hash", "", 1, kNow, kNow));
    const auto status = [&] {
      return store.outboxFor("p-anna", bb::Channel::WhatsApp, 0, 10).value().at(0).status;
    };
    // A sent row keeps no sealed address.
    CHECK(store.outboxFor("p-anna", bb::Channel::WhatsApp, 0, 10).value().at(0).address_ct.empty());

    REQUIRE(store.ingest({receipt("r1", "wamid.hash", "read")}, nullptr));
    CHECK(status() == "read");
    REQUIRE(store.ingest({receipt("r2", "wamid.hash", "delivered")}, nullptr));  // late
    CHECK(status() == "read");
    auto repeated = store.ingest({receipt("r1", "wamid.hash", "failed", "131026")}, nullptr);
    REQUIRE(repeated.has_value());
    CHECK((*repeated)[0].duplicate);
    CHECK_FALSE((*repeated)[0].needs_processing);
    CHECK(status() == "read");
    REQUIRE(store.ingest({receipt("r3", "wamid.hash", "failed", "131026")}, nullptr));
    CHECK(status() == "failed");
    REQUIRE(store.ingest({receipt("r4", "wamid.hash", "read")}, nullptr));
    CHECK(status() == "failed");
    CHECK(store.pendingEvents(0, 10).value().empty());  // receipts are stored processed
  }
}

TEST_CASE("storage: a parked event is held back, and its citizen listed, until processed") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::Store& store = storage.store();
    const auto first = ingestOne(store, "web-1");
    const auto second = ingestOne(store, "web-2");
    REQUIRE(store.parkEvent(first, "commit_failed", 3, kNow).value());
    CHECK(store.pendingEvents(0, 10).value().size() == 1);
    const auto parked = store.parkedCitizens().value();
    REQUIRE(parked.size() == 1);
    CHECK(parked[0].pseudonym == "p-anna");
    CHECK(parked[0].last_event_id == first);
    CHECK(parked[0].events == 1);
    bb::StepCommit step;
    step.event_id = first;
    step.pseudonym = "p-anna";
    step.now = kNow;
    REQUIRE(store.commitStep(step).value());
    // Processed: parking it again changes nothing.
    CHECK_FALSE(store.parkEvent(first, "commit_failed", 4, kNow).value());
    CHECK(store.pendingEventsOf("p-anna", second).value().size() == 1);
  }
}

TEST_CASE("storage: on PostgreSQL, thousands of recipients in one transaction take at most 1,024 locks") {
  // A status change notifies every follower of a ticket in one transaction; a lock per follower
  // would run PostgreSQL's shared lock table out ("out of shared memory") for a popular ticket.
  auto db = bb::test::openPostgres(bb::test::migratedPostgres());
  std::vector<std::string> followers;
  for (int i = 0; i < 5000; ++i) { followers.push_back("citizen-" + std::to_string(i)); }
  auto held = db->transaction([&followers](bb::storage::pg::Session& s) {
    bb::storage::pg::lockRecipients(s, followers);
    return s.run("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                 "pid = pg_backend_pid()")
        .int64(0, 0);
  });
  REQUIRE(held.has_value());
  CHECK(*held <= bb::storage::pg::kRecipientLockSlots);
  CHECK(*held > bb::storage::pg::kRecipientLockSlots * 9 / 10);  // spread over the slots
  // Every instance and build computes a citizen's slot alike: 32-bit FNV-1a of "a" is
  // 0xe40c292c, and 0xe40c292c mod 1024 = 300.
  CHECK(bb::storage::pg::recipientLockSlot("a") == 300);
}
