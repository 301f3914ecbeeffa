// `keys rotate`: every sealed reply address (citizens, queued messages, pending events) is
// re-encrypted under the new key and stays readable once the old key is gone.

#include <doctest/doctest.h>

#include <set>

#include "bot/security/crypto.hpp"
#include "storage/key_rotation.hpp"
#include "storage/postgresql/pg_key_rotation.hpp"
#include "support/engine_harness.hpp"

namespace bb::test {
namespace {

crypto::Key key(char fill) { return *crypto::keyFromHex(testKey(fill)); }

InboundEvent telegramText(EngineHarness& h, const std::string& user, const std::string& text) {
  auto e = h.event(user, InboundKind::Text, Channel::Telegram);
  e.text = text;
  return e;
}

//! Rotates with the harness engine's keys (current + previous).
//! On the harness's backend: the SQLite job or the PostgreSQL transaction.
Result<storage::RotationReport> rotate(EngineHarness& h) {
  const crypto::Key current = *crypto::keyFromHex(h.encryption_key_hex);
  const storage::OpenSealed open = [&h](const std::string& ct, const std::string& id) {
    return h.engine->openAddress(ct, id);
  };
  const storage::SealCurrent seal = [current](const std::string& plain) {
    return crypto::seal(current, plain);
  };
  if (h.pg) { return storage::pg::reencryptAddresses(*h.pg, crypto::keyId(current), open, seal); }
  return storage::reencryptAddresses(*h.db, crypto::keyId(current), open, seal);
}

std::int64_t countNotUnder(EngineHarness& h, const crypto::Key& k) {
  const std::string id = crypto::keyId(k);
  return h.scalar("SELECT count(*) FROM citizens WHERE key_id <> '" + id + "'") +
         h.scalar("SELECT count(*) FROM outbox WHERE length(address_ct) > 0 AND key_id <> '" + id + "'") +
         h.scalar(std::string("SELECT count(*) FROM inbound_events WHERE payload IS NOT NULL AND ") +
                  (h.pg ? "payload::json->>'key_id'" : "json_extract(payload, '$.key_id')") +
                  " <> '" + id + "'");
}

//! Two citizens with queued messages, and a third whose first event is stored but not processed.
void seedUnderOldKey(EngineHarness& h) {
  for (const std::string user : {"anna", "ben"}) {
    h.send(telegramText(h, user, "Hallo"));
    h.send(telegramText(h, user, "Einverstanden"));
  }
  h.restart(/*start_engine=*/false);
  REQUIRE(h.engine->ingest({telegramText(h, "carl", "Hallo")}));
}

}  // namespace

TEST_CASE_TEMPLATE("keys rotate: every reply address is re-encrypted and readable with only the new key", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  seedUnderOldKey(h);
  REQUIRE(h.scalar("SELECT count(*) FROM outbox WHERE status = 'queued'") >= 4);
  REQUIRE(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 1);
  REQUIRE(countNotUnder(h, key('b')) == 0);

  // New key 'c' in use, old key 'b' only for reading.
  h.encryption_key_hex = testKey('c');
  h.previous_keys_hex = testKey('b');
  h.restart(false);
  auto report = rotate(h);
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().detail));
  CHECK(report->citizens == 2);  // carl is not a citizen row until his event is processed
  CHECK(report->outbox == h.scalar("SELECT count(*) FROM outbox WHERE length(address_ct) > 0"));
  CHECK(report->inbound_events == 1);
  CHECK(countNotUnder(h, key('c')) == 0);

  // Rotating again changes nothing.
  auto again = rotate(h);
  REQUIRE(again.has_value());
  CHECK(again->total() == 0);
  CHECK(again->already_current == report->total());

  // The old key is gone: every address still opens, and carl's pending event is answered.
  h.previous_keys_hex.clear();
  h.restart(true);
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(10)));
  auto rows = h.store->dueOutbox(Channel::Telegram, h.clock.now() + std::chrono::hours(24), 1000);
  REQUIRE(rows.has_value());
  std::set<std::string> opened;
  for (const auto& row : *rows) {
    auto address = h.engine->openAddress(row.address_ct, row.key_id);
    REQUIRE_MESSAGE(address.has_value(), "outbox row " << row.id);
    opened.insert(*address);
  }
  CHECK(opened == std::set<std::string>{"chat-anna", "chat-ben", "chat-carl"});
}

TEST_CASE_TEMPLATE("keys rotate: without the old key nothing is changed and the error says what to set", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  seedUnderOldKey(h);
  const auto before = h.scalar("SELECT count(*) FROM citizens WHERE key_id = '" +
                               crypto::keyId(key('b')) + "'");
  REQUIRE(before == 2);

  h.encryption_key_hex = testKey('c');  // previous_encryption_keys forgotten
  h.restart(false);
  auto report = rotate(h);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().detail.find("privacy.previous_encryption_keys") != std::string::npos);
  CHECK(report.error().detail.find(crypto::keyId(key('b'))) != std::string::npos);
  CHECK(countNotUnder(h, key('b')) == 0);  // still all under the old key: rolled back
}

TEST_CASE("keys: the engine opens addresses under the current and previous keys only") {
  auto keys = engineKeys(testKey('a'), testKey('c'), testKey('b') + " , " + testKey('d'));
  REQUIRE(keys.has_value());
  CHECK(keys->keyFor(crypto::keyId(key('c'))) == &keys->encryption_key);
  CHECK(keys->keyFor(crypto::keyId(key('b'))) != nullptr);
  CHECK(keys->keyFor(crypto::keyId(key('d'))) != nullptr);
  CHECK(keys->keyFor(crypto::keyId(key('e'))) == nullptr);
  CHECK_FALSE(engineKeys(testKey('a'), testKey('c'), "abc").has_value());
}

}  // namespace bb::test
