// The citizen's data export ("meine daten"): the file holds every kind of row stored about the
// citizen and validates against docs/api/citizen-export.schema.json; nothing of anybody else;
// every table that links a row to a person is read; links are single-use and expire.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <set>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_copy.hpp"
#include "storage/postgresql/pg_data_export.hpp"
#include "storage/postgresql/pg_migrations.hpp"
#include "storage/sqlite_data_export.hpp"
#include "support/openapi_validator.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::storage::Database;
using nlohmann::json;

const bb::SysTime kNow{std::chrono::seconds(1'795'000'000)};

std::unique_ptr<Database> openMigrated(const bb::test::TempDir& dir) {
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = Database::open(o);
  REQUIRE(db.has_value());
  bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
  REQUIRE((*db)->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  REQUIRE(version.has_value());
  return std::move(*db);
}

//! One citizen `p` with a row of every kind the export covers; `tag` marks their texts.
void seedCitizen(SQLite::Database& db, const std::string& p, const std::string& tag, int base) {
  const std::string b = std::to_string(base);
  const std::string q = "'" + p + "'";
  const std::string t = "'" + tag + "'";
  for (const std::string& sql : {
           "INSERT INTO citizens (pseudonym, channel, address_ct, key_id, consent_version, "
           "consent_at, created_at, last_inbound_at) VALUES (" + q + ", 'whatsapp', x'00', 'k', 2, "
           "1795000000000, 1795000000000, 1795000000000)",
           "INSERT INTO conversations VALUES (" + q + ", 'menu', '{\"draft\":{\"text\":" +
               "\"" + tag + "-draft\"}}', 1795000000000)",
           "INSERT INTO tickets (id, number, kind, category_id, department, status, lat, lon, "
           "address_text, description, extra_answer, channel, reporter, created_at, updated_at) "
           "VALUES (" + b + ", " + b + ", 'defect', 'pothole', 'tiefbau', 'eingegangen', 48.0777, "
           "11.9706, " + "'" + tag + "-street 1', " + "'" + tag + "-description', " + "'" + tag +
               "-extra', 'whatsapp', " + q + ", 1795000000000, 1795000000000)",
           "INSERT INTO ticket_public (ticket_id, public_description) VALUES (" + b + ", 'public')",
           "INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, mime_type, "
           "created_at) VALUES (" + b + ", " + q + ", 'whatsapp', 'ref', 'ready', '" +
               std::string(64, tag[0]) + "', 'image/jpeg', 1795000000000)",
           "INSERT INTO ticket_photos VALUES (" + b + ", " + b + ", 0)",
           "INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) VALUES (" + b +
               ", 'citizen_message', 'citizen', '" + tag + "-citizen-message', 1795000000000)",
           "INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) VALUES (" + b +
               ", 'staff_reply', 'staff:anna.admin', '" + tag + "-staff-reply', 1795000000000)",
           "INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) VALUES (" + b +
               ", 'internal_note', 'staff:anna.admin', '" + tag + "-internal', 1795000000000)",
           "INSERT INTO ticket_followers VALUES (" + b + ", " + q + ", 1795000000000)",
           "INSERT INTO case_queue (ticket_number, department, event_type, payload, created_at) "
           "VALUES (" + b + ", 'tiefbau', 'created', '{}', 1795000000000)",
           "INSERT INTO audit_log (at, actor, action, ticket_number, detail) VALUES "
           "(1795000000000, 'staff:anna.admin', 'status', " + b + ", '')",
           "INSERT INTO inbound_events (channel, external_id, pseudonym, shard_key, received_at, "
           "payload) VALUES ('whatsapp', 'h" + b + "', " + q + ", 1, 1795000000000, "
           "'{\"text\":\"" + tag + "-inbound\"}')",
           "INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, ticket_id, "
           "provider_message_id, created_at, updated_at) VALUES ('whatsapp', " + q + ", x'00', 'k', "
           "'{\"text\":\"" + tag + "-outbound\"}', " + b + ", 'provider-hash', 1795000000000, "
           "1795000000000)",
           "INSERT INTO sub_subscriptions VALUES (" + q + ", 'rat', 1795000000000, NULL)",
           "INSERT INTO consents (pseudonym, purpose, notice_version, granted_at) VALUES (" + q +
               ", 'broadcast:rat', 2, 1795000000000)",
           std::string("INSERT OR IGNORE INTO campaigns (id, title, collecting_from, supporting_from, ")+
           "review_from, decision_from, implementation_from, closed_from) VALUES "
           "(1, 'Haushalt', 0, 0, 0, 0, 0, 0)",
           "INSERT INTO proposals (id, campaign_id, title, description, lat, lon, address_text, "
           "photo_media_id, author, created_at, updated_at) VALUES (" + b + ", 1, '" + tag +
               "-proposal', 'd', 48.1, 11.9, '" + tag + "-proposal-address', " + b + ", " + q +
               ", 1795000000000, 1795000000000)",
           "INSERT INTO proposal_supports VALUES (" + b + ", " + q + ", 1795000000000)",
           "INSERT INTO proposal_comments (proposal_id, body, author, created_at) VALUES (" + b +
               ", '" + tag + "-comment', " + q + ", 1795000000000)",
           "INSERT INTO proposal_notices VALUES (" + b + ", 'published', " + q + ", 1795000000000)",
           "INSERT INTO data_exports VALUES ('" + tag + "-link', " + q + ", 1795000000000, "
           "1795086400000)",
           "INSERT INTO reply_windows VALUES (" + q + ", " + b + ", 1795000000000, NULL)",
       }) {
    db.exec(sql);
  }
  (void)t;
}

//! The same rows on PostgreSQL: a migrated database of the test's server with `sqlite` copied in.
std::unique_ptr<bb::storage::pg::PgDatabase> copiedToPostgres(Database& sqlite) {
  auto pg = bb::test::openPostgres(bb::test::migratedPostgres());
  bb::Result<bb::storage::pg::CopyReport> copied = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(sqlite.exclusive(
      [&](SQLite::Database& raw) { copied = bb::storage::pg::copySqliteToPostgres(raw, *pg); }));
  REQUIRE_MESSAGE(copied.has_value(), (copied ? "" : copied.error().detail));
  return pg;
}

//! Both citizens, each writing into the other's ticket (both follow it): anna's own message is
//! hers, bert's message in anna's thread is not.
void seedTwo(SQLite::Database& raw) {
  seedCitizen(raw, "p-anna", "anna", 11);
  seedCitizen(raw, "p-bert", "bert", 22);
  raw.exec("INSERT INTO ticket_events (ticket_id, kind, actor, author, body, media_id, "
           "created_at) VALUES (22, 'citizen_message', 'citizen', 'p-anna', "
           "'anna-on-followed', 11, 1795000000000)");
  raw.exec("INSERT INTO ticket_events (ticket_id, kind, actor, author, body, created_at) "
           "VALUES (11, 'citizen_message', 'citizen', 'p-bert', 'bert-on-anna', 1795000000000)");
}

json exportOf(bb::DataExportStore& exporter, const std::string& p) {
  auto doc = exporter.exportDocument(p, kNow);
  REQUIRE(doc.has_value());
  json parsed = json::parse(*doc, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

}  // namespace

TEST_CASE("data export: a citizen with every kind of row gets every kind, valid against the schema") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  REQUIRE(db->write(seedTwo));
  bb::storage::SqliteDataExport exporter(*db);
  const json doc = exportOf(exporter, "p-anna");

  const json schema = bb::tests::openapi::loadJsonFile(
      std::string(BB_SOURCE_DIR) + "/docs/api/citizen-export.schema.json");
  REQUIRE_FALSE(schema.is_discarded());
  const auto errors = bb::tests::openapi::validate(schema, doc, "#");
  for (const auto& e : errors) { INFO(e); }
  CHECK(errors.empty());
  // The schema is strict enough to notice a missing field or an unknown one.
  json missing = doc;
  missing["tickets"][0].erase("lat");
  CHECK_FALSE(bb::tests::openapi::validate(schema, missing, "#").empty());
  json extra = doc;
  extra["media"][0]["source_ref"] = "ref";
  CHECK_FALSE(bb::tests::openapi::validate(schema, extra, "#").empty());

  // Every section the schema requires holds the citizen's row.
  for (const auto& key : schema.at("required")) {
    const std::string k = key.get<std::string>();
    INFO(k);
    REQUIRE(doc.contains(k));
    if (doc.at(k).is_array()) { CHECK(doc.at(k).size() >= 1); }
    CHECK_FALSE(doc.at(k).is_null());
  }
  const std::string text = doc.dump();
  for (const char* expected :
       {"anna-street 1", "anna-description", "anna-extra", "anna-citizen-message",
        "anna-staff-reply", "anna-inbound", "anna-outbound", "anna-draft", "anna-proposal",
        "anna-proposal-address", "anna-comment", "broadcast:rat", "anna-on-followed"}) {
    INFO(expected);
    CHECK(text.find(expected) != std::string::npos);
  }
  CHECK(doc["thread_messages"][0]["ticket_number"] == 22);
  CHECK(doc["thread_messages"][0]["media_id"] == 11);
  CHECK(doc["reply_windows"][0]["ticket_number"] == 11);
  CHECK(doc["tickets"][0]["lat"] == 48.0777);
  CHECK(doc["ticket_photos"][0]["content_id"] == std::string(64, 'a'));
  CHECK(doc["citizen"]["consent_at"] == "2026-11-18T11:06:40Z");
  // Staff appear by role, internal notes stay out, hashes and sealed addresses are not given.
  CHECK(text.find("anna.admin") == std::string::npos);
  CHECK(text.find("anna-internal") == std::string::npos);
  CHECK(text.find("provider-hash") == std::string::npos);
  CHECK(text.find("anna-link") == std::string::npos);
  // Nothing of anybody else.
  CHECK(text.find("bert") == std::string::npos);
}

TEST_CASE("data export: every table that links a row to a person is read by the export") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  auto tables = db->read([](SQLite::Database& raw) {
    std::set<std::string> linked;
    SQLite::Statement q(raw, "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c "
                             "WHERE m.type = 'table' AND c.name IN ('pseudonym', 'reporter', "
                             "'author')");
    while (q.executeStep()) { linked.insert(q.getColumn(0).getString()); }
    return linked;
  });
  REQUIRE(tables.has_value());
  CHECK(tables->size() >= 10);
  const auto& read = bb::storage::SqliteDataExport::tablesRead();
  for (const auto& table : *tables) {
    INFO(table);
    CHECK(std::find(read.begin(), read.end(), table) != read.end());
  }
}

TEST_CASE("data export: a link is used once and only until it expires, on both backends") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  REQUIRE(db->write([](SQLite::Database& raw) {
    raw.exec("INSERT INTO data_exports VALUES ('h1', 'p-anna', 1795000000000, 1795086400000)");
    raw.exec("INSERT INTO data_exports VALUES ('h2', 'p-anna', 1795000000000, 1795086400000)");
  }));
  auto postgres = copiedToPostgres(*db);
  bb::storage::SqliteDataExport on_sqlite(*db);
  bb::storage::pg::PgDataExport on_postgres(*postgres);
  for (bb::DataExportStore* exporter : {static_cast<bb::DataExportStore*>(&on_sqlite),
                                        static_cast<bb::DataExportStore*>(&on_postgres)}) {
    INFO((exporter == &on_sqlite ? "sqlite" : "postgresql"));
    auto link = exporter->exportLink("h1", kNow);
    REQUIRE(link.has_value());
    REQUIRE(link->has_value());
    CHECK((*link)->pseudonym == "p-anna");
    CHECK((*link)->expires_at == kNow + std::chrono::hours(24));
    CHECK(*exporter->useExportLink("h1", kNow));
    CHECK_FALSE(*exporter->useExportLink("h1", kNow));
    CHECK_FALSE(exporter->exportLink("h1", kNow)->has_value());
    CHECK_FALSE(exporter->exportLink("unknown", kNow)->has_value());
    const bb::SysTime later = kNow + std::chrono::hours(24);
    CHECK_FALSE(exporter->exportLink("h2", later)->has_value());
    CHECK_FALSE(*exporter->useExportLink("h2", later));
  }
}

TEST_CASE("data export: PostgreSQL gives the same document as SQLite for the same rows") {
  bb::test::TempDir dir;
  auto db = openMigrated(dir);
  REQUIRE(db->write(seedTwo));
  auto postgres = copiedToPostgres(*db);
  bb::storage::SqliteDataExport on_sqlite(*db);
  bb::storage::pg::PgDataExport on_postgres(*postgres);
  for (const std::string p : {"p-anna", "p-bert", "p-nobody"}) {
    INFO(p);
    auto from_sqlite = on_sqlite.exportDocument(p, kNow);
    auto from_postgres = on_postgres.exportDocument(p, kNow);
    REQUIRE(from_sqlite.has_value());
    REQUIRE_MESSAGE(from_postgres.has_value(), (from_postgres ? "" : from_postgres.error().detail));
    CHECK(*from_postgres == *from_sqlite);
  }
  // Not two empty documents: anna's holds her rows, with staff by role only.
  const json doc = exportOf(on_postgres, "p-anna");
  CHECK(doc["tickets"].size() == 1);
  CHECK(doc["tickets"][0]["lat"] == 48.0777);
  CHECK(doc["conversation"]["data"]["draft"]["text"] == "anna-draft");
  CHECK(doc["audit"][0]["actor"] == "staff");
  CHECK(doc["thread_messages"][0]["body"] == "anna-on-followed");
  CHECK(doc.dump().find("anna.admin") == std::string::npos);
}
