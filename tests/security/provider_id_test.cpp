// Channel-native ids are stored only as keyed hashes: the hash function, the realistic wamid
// the scans use, and the migration that rewrites rows stored before.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/security/crypto.hpp"
#include "bot/security/provider_id.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "support/privacy_checks.hpp"
#include "support/server_process.hpp"

namespace {

const std::string kKey(32, '\x11');

std::unique_ptr<bb::storage::Database> openIn(const bb::test::TempDir& dir) {
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = bb::storage::Database::open(o);
  REQUIRE(db.has_value());
  return std::move(*db);
}

bb::Result<int> migrateTo(bb::storage::Database& db, std::size_t version, const std::string& key) {
  const auto& all = bb::storage::migrations();
  const std::vector<std::string> steps(all.begin(),
                                       all.begin() + static_cast<std::ptrdiff_t>(version));
  bb::Result<int> r = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db.exclusive([&](SQLite::Database& raw) { r = bb::storage::migrate(raw, steps, key); }));
  return r;
}

}  // namespace

TEST_CASE("privacy: a realistic wamid carries the number, as WhatsApp's do") {
  // The example from Meta's documentation starts like this; the number is readable in base64.
  const std::string inbound = bb::test::realisticWamid("16503879439", 0x4A6599);
  CHECK(inbound.rfind("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQT", 0) == 0);
  const std::string outbound = bb::test::realisticWamid("16503879439", 7, true);
  CHECK(outbound.rfind("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI", 0) == 0);
  CHECK(inbound != bb::test::realisticWamid("16503879439", 0x4A659A));
  // The scan's needles find the number inside the id at whatever byte offset it sits.
  for (const std::string number : {"16503879439", "4917612345678"}) {
    const std::string id = bb::test::realisticWamid(number, 1);
    CHECK_FALSE(bb::test::leaksInText(id, bb::test::rawAndBase64(number)).empty());
    CHECK_FALSE(bb::test::leaksInText("x" + bb::test::base64("ab" + number + "c"),
                                      bb::test::rawAndBase64(number))
                    .empty());
  }
  CHECK(bb::test::leaksInText("wamid.AAAA", bb::test::rawAndBase64("16503879439")).empty());
  CHECK(bb::test::base64("Man") == "TWFu");
  CHECK(bb::test::base64("Ma") == "TWE=");
}

TEST_CASE("privacy: the log scan skips each line's clock and nothing else") {
  const std::string log =
      "ts=2026-12-05T13:06:48.077Z level=info event=started\n"
      "ts=2026-12-05T13:06:11.970Z level=debug event=geo lat=48.0777\n"
      "no timestamp 11.970\n"
      "ts=2026-12-05T13:06:12.000Z level=info event=last";
  const std::string text = bb::test::logWithoutTimestamps(log);
  CHECK(text ==
        "level=info event=started\nlevel=debug event=geo lat=48.0777\nno timestamp 11.970\n"
        "level=info event=last");
  // What a line says is still scanned; only the clock is not.
  CHECK(bb::test::leaksInText(text, {"48.077", "11.970"}) ==
        std::vector<std::string>{"48.077", "11.970"});
  CHECK(bb::test::leaksInText(bb::test::logWithoutTimestamps(log.substr(0, 52)), {"48.077"})
            .empty());
}

TEST_CASE("privacy: provider ids are keyed hashes, distinct per channel and from pseudonyms") {
  const std::string wamid = bb::test::realisticWamid("4917612345678", 1);
  const std::string h = bb::crypto::providerIdHash(kKey, "whatsapp", wamid);
  CHECK(h.size() == 64);
  CHECK(h == bb::crypto::providerIdHash(kKey, "whatsapp", wamid));
  CHECK(h != bb::crypto::providerIdHash(std::string(32, '\x12'), "whatsapp", wamid));
  CHECK(h != bb::crypto::providerIdHash(kKey, "telegram", wamid));
  CHECK(h != bb::crypto::toHex(bb::crypto::hmacSha256(kKey, "whatsapp:" + wamid)));
  CHECK(bb::crypto::providerIdHash(kKey, "whatsapp", "").empty());
  CHECK(bb::test::leaksInText(h, bb::test::identifierNeedles({wamid, "4917612345678"})).empty());
}

TEST_CASE("privacy: the migration rewrites stored provider ids as keyed hashes") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  // The schema just before the migration that hashes the ids (later migrations may follow it).
  const auto& steps = bb::storage::migrations();
  std::size_t before = 0;
  while (before < steps.size() && steps[before].find("bb_provider_id(") == std::string::npos) {
    ++before;
  }
  REQUIRE(before < steps.size());
  REQUIRE(migrateTo(*db, before, kKey).has_value());
  const std::string number = "4917612345678";
  const std::string in_id = bb::test::realisticWamid(number, 1);
  const std::string out_id = bb::test::realisticWamid(number, 2, true);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) {
    SQLite::Statement e(raw,
                        "INSERT INTO inbound_events (channel, external_id, pseudonym, shard_key, "
                        "received_at, payload) VALUES (?, ?, 'p', 0, 0, ?)");
    for (const auto& [channel, id] : std::vector<std::pair<std::string, std::string>>{
             {"whatsapp", in_id}, {"whatsapp", out_id + ":delivered"}, {"telegram", "tg:77"},
             {"matrix", "$event:example.org"}, {"webchat", "web:abc"}, {"whatsapp", "media-rejected:4"}}) {
      e.bind(1, channel);
      e.bind(2, id);
      e.bind(3, "{\"external_id\":\"" + id + "\",\"kind\":\"text\"}");
      e.exec();
      e.reset();
    }
    raw.exec("INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, status, "
             "provider_message_id, created_at, updated_at) VALUES ('whatsapp', 'p', x'00', 'k', "
             "'{}', 'sent', '" + out_id + "', 0, 0), ('webchat', 'p', x'00', 'k', '{}', 'sent', "
             "NULL, 0, 0)");
  }));
  // Without the key the rewrite refuses and the old schema stays.
  CHECK_FALSE(migrateTo(*db, before + 1, "").has_value());
  REQUIRE(migrateTo(*db, before + 1, kKey).has_value());
  std::vector<std::string> ids;
  std::string payloads;
  std::string provider;
  REQUIRE(db->exclusive([&](SQLite::Database& raw) {
    SQLite::Statement q(raw, "SELECT external_id, payload FROM inbound_events ORDER BY id");
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
      payloads += q.getColumn(1).getString();
    }
    provider = raw.execAndGet("SELECT provider_message_id FROM outbox WHERE channel = 'whatsapp'")
                   .getString();
  }));
  REQUIRE(ids.size() == 6);
  CHECK(ids[0] == bb::crypto::providerIdHash(kKey, "whatsapp", in_id));
  CHECK(ids[1] == bb::crypto::providerIdHash(kKey, "whatsapp", out_id + ":delivered"));
  CHECK(ids[2] == bb::crypto::providerIdHash(kKey, "telegram", "tg:77"));
  CHECK(ids[3] == bb::crypto::providerIdHash(kKey, "matrix", "$event:example.org"));
  CHECK(ids[4] == "web:abc");
  CHECK(ids[5] == "media-rejected:4");
  CHECK(provider == bb::crypto::providerIdHash(kKey, "whatsapp", out_id));
  CHECK(payloads.find("external_id") == std::string::npos);
  const auto needles = bb::test::identifierNeedles({number, in_id, out_id, "$event:example.org"});
  std::string all;
  for (const auto& id : ids) { all += id + "\n"; }
  CHECK(bb::test::leaksInText(all + payloads + provider, needles) == std::vector<std::string>{});
}
