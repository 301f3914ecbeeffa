// The channel ports: the Matrix transactions processed and the Telegram poller's offset
// (storage/sqlite_channel_state.hpp, storage/postgresql/pg_channel_state.hpp), durable across a
// reopen of the database, on every backend.
#include <doctest/doctest.h>

#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

using bb::test::allBackends;
using bb::test::backendName;
using bb::test::TestStorage;

TEST_CASE("storage: a Matrix transaction is seen once recorded, also after a reopen") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::test::FakeClock clock;
    auto& log = storage.matrixTransactions(clock);
    CHECK_FALSE(log.seen("txn-1").value());
    REQUIRE(log.record("txn-1"));
    REQUIRE(log.record("txn-1"));  // recorded again (a repeat): no error
    CHECK(log.seen("txn-1").value());
    CHECK_FALSE(log.seen("txn-2").value());
    storage.reopen();
    auto& reopened = storage.matrixTransactions(clock);
    CHECK(reopened.seen("txn-1").value());
    CHECK_FALSE(reopened.seen("txn-2").value());
  }
}

TEST_CASE("storage: a Matrix transaction record is forgotten 30 days later") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    bb::test::FakeClock clock;
    auto& log = storage.matrixTransactions(clock);
    REQUIRE(log.record("old"));
    clock.advance(std::chrono::hours(24 * 30) - std::chrono::minutes(1));
    REQUIRE(log.record("recent"));
    CHECK(log.seen("old").value());
    clock.advance(std::chrono::minutes(2));
    REQUIRE(log.record("newest"));
    CHECK_FALSE(log.seen("old").value());
    CHECK(log.seen("recent").value());
    CHECK(log.seen("newest").value());
  }
}

TEST_CASE("storage: the Telegram offset is 0 until saved and survives a reopen") {
  for (auto backend : allBackends()) {
    INFO("backend: " << backendName(backend));
    TestStorage storage(backend);
    auto& offsets = storage.telegramOffsets();
    CHECK(offsets.load().value() == 0);
    REQUIRE(offsets.save(102));
    REQUIRE(offsets.save(103));
    CHECK(offsets.load().value() == 103);
    storage.reopen();
    CHECK(storage.telegramOffsets().load().value() == 103);
  }
}
