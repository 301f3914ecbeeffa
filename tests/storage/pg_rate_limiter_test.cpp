// A channel's send rate shared by the instances of one PostgreSQL database
// (storage/postgresql/pg_rate_limiter.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "storage/postgresql/pg_database.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/postgresql/pg_rate_limiter.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::pg::PgDatabase;
using bb::storage::pg::SharedRateLimiter;

std::unique_ptr<PgDatabase> openDb(const std::string& url) { return bb::test::openPostgres(url, 1); }

//! The most slots in any one-second window [t, t + 1 s).
std::size_t busiestSecond(std::vector<std::int64_t> slots) {
  std::sort(slots.begin(), slots.end());
  std::size_t most = 0;
  for (std::size_t i = 0, j = 0; i < slots.size(); ++i) {
    while (slots[i] - slots[j] >= 1'000'000) { ++j; }
    most = std::max(most, i - j + 1);
  }
  return most;
}

}  // namespace

TEST_CASE("shared rate: slots are 1/rate apart and reach at most a second ahead") {
  auto db = openDb(bb::test::migratedPostgres());
  SharedRateLimiter limiter(*db);
  auto first = limiter.reserve("whatsapp", 50, 10);
  REQUIRE(first.has_value());
  REQUIRE(first->slots_us.size() == 10);
  CHECK(first->slots_us.front() >= first->now_us);
  for (std::size_t i = 1; i < first->slots_us.size(); ++i) {
    CHECK(first->slots_us[i] - first->slots_us[i - 1] == 20'000);
  }
  auto more = limiter.reserve("whatsapp", 50, 100);
  REQUIRE(more.has_value());
  CHECK(more->slots_us.front() == first->slots_us.back() + 20'000);
  CHECK(more->slots_us.back() <= more->now_us + 1'000'000);
  CHECK(more->slots_us.size() < 100);  // the rest lies beyond the horizon
  auto none = limiter.reserve("whatsapp", 50, 5);
  REQUIRE(none.has_value());
  // At most the slots the clock moved on since the last reservation.
  CHECK(static_cast<std::int64_t>(none->slots_us.size()) <=
        1 + (none->now_us - more->now_us) / 20'000);
  // Another channel has its own rate.
  auto telegram = limiter.reserve("telegram", 30, 5);
  REQUIRE(telegram.has_value());
  CHECK(telegram->slots_us.size() == 5);
  CHECK_FALSE(limiter.reserve("matrix", 0.5, 1).has_value());
}

TEST_CASE("shared rate: two instances sending at once stay within the rate in every second") {
  const std::string url = bb::test::migratedPostgres();
  constexpr double kRate = 50;
  std::mutex mutex;
  std::vector<std::int64_t> all;
  std::vector<std::thread> instances;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  for (int i = 0; i < 2; ++i) {
    instances.emplace_back([&] {
      auto db = openDb(url);
      SharedRateLimiter limiter(*db, std::chrono::milliseconds(200));
      while (std::chrono::steady_clock::now() < end) {
        auto slots = limiter.reserve("whatsapp", kRate, 4);
        if (!slots || slots->slots_us.empty()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        std::lock_guard lock(mutex);
        all.insert(all.end(), slots->slots_us.begin(), slots->slots_us.end());
      }
    });
  }
  for (auto& t : instances) { t.join(); }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) { REQUIRE(all[i] - all[i - 1] >= 20'000); }
  CHECK(busiestSecond(all) <= static_cast<std::size_t>(kRate));
  // And the rate is used, not starved: about 2.5 s worth (plus the horizon) went out.
  CHECK(all.size() >= 60);
  CHECK(all.size() <= 140);
}
