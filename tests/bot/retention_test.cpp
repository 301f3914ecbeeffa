// Retention with the fake clock: closed tickets anonymized after their category's period,
// abandoned drafts and their photos deleted, old and orphaned messages removed.

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/privacy/retention.hpp"
#include "storage/postgresql/pg_retention_store.hpp"
#include "storage/sqlite_retention_store.hpp"
#include "support/engine_harness.hpp"

namespace bb::test {
namespace {

using std::chrono::days;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

void advance(EngineHarness& h, days d) { h.clock.advance(duration_cast<milliseconds>(d)); }

std::unique_ptr<RetentionStore> retentionStoreOf(EngineHarness& h) {
  if (h.pg) { return std::make_unique<storage::pg::PgRetentionStore>(*h.pg); }
  return std::make_unique<storage::SqliteRetentionStore>(*h.db);
}

struct Retention {
  explicit Retention(EngineHarness& h, RetentionPolicy policy = {})
      : store(retentionStoreOf(h)),
        job(*store, std::move(policy), [this](const std::string& id) { removed.push_back(id); }) {}
  std::unique_ptr<RetentionStore> store;
  std::vector<std::string> removed;
  RetentionJob job;
};

void exec(EngineHarness& h, const std::string& sql) { h.execute(sql); }

//! A closed pothole ticket of anna with a photo, a follower, a description and a staff reply.
std::int64_t closedTicketWithPhoto(EngineHarness& h) {
  h.onboard("anna");
  const auto number = h.report("anna", "schlagloch", kMarktplatz);
  const auto id = h.scalar("SELECT id FROM tickets WHERE number = " + std::to_string(number));
  exec(h, "UPDATE tickets SET description = 'Tiefes Loch vor Hausnummer 7' WHERE id = " + std::to_string(id));
  exec(h, "INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, mime_type, "
          "created_at) VALUES (9001, 'x', 'webchat', 'ref', 'ready', 'c0ffee', 'image/jpeg', 0)");
  exec(h, "INSERT INTO ticket_photos (ticket_id, media_id, position) VALUES (" + std::to_string(id) +
              ", 9001, 0)");
  h.onboard("ben");
  h.text("ben", "folgen " + std::to_string(number));  // may or may not follow; the row below does
  exec(h, "INSERT INTO ticket_followers (ticket_id, pseudonym, created_at) VALUES (" +
              std::to_string(id) + ", 'follower-pseudonym', 0) ON CONFLICT DO NOTHING");
  REQUIRE(h.engine->changeTicketStatus(number, "erledigt", "Loch ist verfüllt, Herr Maier", "staff:1"));
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(5)));
  REQUIRE(h.scalar("SELECT closed_at IS NOT NULL FROM tickets WHERE id = " + std::to_string(id)) == 1);
  return number;
}

}  // namespace

TEST_CASE_TEMPLATE("retention: a closed ticket is anonymized after its period, photos and texts deleted", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto number = closedTicketWithPhoto(h);
  const std::string where = " WHERE number = " + std::to_string(number);
  const std::string tid = "(SELECT id FROM tickets" + where + ")";
  REQUIRE(h.scalar("SELECT count(*) FROM ticket_events WHERE body <> '' AND ticket_id = " + tid) > 0);

  Retention r(h);  // default: 180 days after closure
  advance(h, days(179));
  auto early = r.job.run(h.clock.now());
  REQUIRE(early.has_value());
  CHECK(early->tickets_anonymized == 0);
  CHECK(h.scalar("SELECT reporter IS NOT NULL FROM tickets" + where) == 1);

  advance(h, days(2));
  auto due = r.job.run(h.clock.now());
  REQUIRE(due.has_value());
  CHECK(due->tickets_anonymized == 1);
  CHECK(due->photos_deleted == 1);
  CHECK(r.removed == std::vector<std::string>{"c0ffee"});  // the file goes too
  CHECK(h.scalar("SELECT count(*) FROM tickets WHERE reporter IS NULL AND description = '' AND "
                 "extra_answer = '' AND follow_token_hash IS NULL AND anonymized_at IS NOT NULL AND"
                 " number = " + std::to_string(number)) == 1);
  CHECK(h.scalar("SELECT count(*) FROM ticket_photos") == 0);
  CHECK(h.scalar("SELECT count(*) FROM media WHERE id = 9001") == 0);
  CHECK(h.scalar("SELECT count(*) FROM ticket_followers") == 0);
  CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE body <> '' AND ticket_id = " + tid) == 0);
  CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE ticket_id = " + tid) > 0);  // history stays
  CHECK(h.scalar("SELECT lat * 1000 = round(lat * 1000) FROM tickets" + where) == 1);
  CHECK(h.scalar("SELECT status = 'erledigt' FROM tickets" + where) == 1);

  // A second run finds nothing more to do.
  auto again = r.job.run(h.clock.now());
  REQUIRE(again.has_value());
  CHECK(again->tickets_anonymized == 0);
}

TEST_CASE_TEMPLATE("retention: a photo file shared by two tickets survives the first one's retention", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  closedTicketWithPhoto(h);  // media 9001, file c0ffee
  // The same photo (same content, so the same file) sent again for a second, open report.
  h.onboard("carla");
  const auto open_number = h.report("carla", "schlagloch", kMarktplatz);
  const std::string open_id =
      "(SELECT id FROM tickets WHERE number = " + std::to_string(open_number) + ")";
  exec(h, "INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, mime_type, "
          "created_at) VALUES (9002, 'y', 'webchat', 'ref', 'ready', 'c0ffee', 'image/jpeg', 0)");
  exec(h, "INSERT INTO ticket_photos (ticket_id, media_id, position) VALUES (" + open_id +
              ", 9002, 0)");

  Retention r(h);
  advance(h, days(181));
  auto due = r.job.run(h.clock.now());
  REQUIRE(due.has_value());
  CHECK(due->tickets_anonymized == 1);
  CHECK(due->photos_deleted == 1);
  CHECK(h.scalar("SELECT count(*) FROM media WHERE id = 9001") == 0);
  CHECK(r.removed.empty());  // the open ticket still shows the file
  CHECK(h.scalar("SELECT count(*) FROM ticket_photos WHERE media_id = 9002") == 1);

  // Once the second ticket is closed and due too, the file goes.
  REQUIRE(h.engine->changeTicketStatus(open_number, "erledigt", "", "staff:1"));
  REQUIRE(h.engine->waitIdle(std::chrono::seconds(5)));
  advance(h, days(181));
  auto later = r.job.run(h.clock.now());
  REQUIRE(later.has_value());
  CHECK(later->tickets_anonymized == 1);
  CHECK(r.removed == std::vector<std::string>{"c0ffee"});
}

TEST_CASE_TEMPLATE("retention: a category's own retention_days wins over the default", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto number = closedTicketWithPhoto(h);
  RetentionPolicy policy;
  policy.closed_by_category["schlagloch"] = days(30);
  Retention r(h, policy);
  advance(h, days(29));
  CHECK(r.job.run(h.clock.now())->tickets_anonymized == 0);
  advance(h, days(2));
  CHECK(r.job.run(h.clock.now())->tickets_anonymized == 1);
  CHECK(h.scalar("SELECT reporter IS NULL FROM tickets WHERE number = " + std::to_string(number)) == 1);
}

TEST_CASE_TEMPLATE("retention: open tickets are never touched, however old", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("anna");
  const auto number = h.report("anna", "schlagloch", kMarktplatz);
  Retention r(h);
  advance(h, days(3000));
  CHECK(r.job.run(h.clock.now())->tickets_anonymized == 0);
  CHECK(h.scalar("SELECT reporter IS NOT NULL FROM tickets WHERE number = " + std::to_string(number)) == 1);
}

TEST_CASE_TEMPLATE("retention: abandoned drafts are deleted with their photos, consent and language stay", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("ben");
  h.choice("ben", "report");
  h.choice("ben", "cat:schlagloch");
  const std::string ben = h.pseudonym("ben");
  REQUIRE(h.scalar("SELECT state NOT IN ('menu', 'new') FROM conversations WHERE pseudonym = '" + ben + "'") == 1);
  REQUIRE(h.scalar("SELECT data LIKE '%schlagloch%' FROM conversations WHERE pseudonym = '" + ben + "'") == 1);
  // A photo received for the draft (cleaned, not on any ticket).
  exec(h, "INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, mime_type, "
          "created_at) VALUES (77, '" + ben + "', 'webchat', 'ref', 'ready', 'draftphoto', 'image/jpeg', " +
              std::to_string(std::chrono::duration_cast<milliseconds>(h.clock.now().time_since_epoch()).count()) + ")");
  // carl only said hello: no consent yet.
  h.text("carl", "Hallo");
  const std::string carl = h.pseudonym("carl");

  Retention r(h);
  advance(h, days(6));
  auto early = r.job.run(h.clock.now());
  REQUIRE(early.has_value());
  CHECK(early->drafts_deleted == 0);
  CHECK(early->photos_deleted == 0);

  advance(h, days(2));
  auto due = r.job.run(h.clock.now());
  REQUIRE(due.has_value());
  CHECK(due->drafts_deleted >= 1);
  CHECK(h.scalar("SELECT state = 'menu' FROM conversations WHERE pseudonym = '" + ben + "'") == 1);
  CHECK(h.scalar("SELECT data LIKE '%schlagloch%' FROM conversations WHERE pseudonym = '" + ben + "'") == 0);
  CHECK(h.scalar("SELECT count(*) FROM media WHERE id = 77") == 0);
  CHECK(r.removed == std::vector<std::string>{"draftphoto"});
  // carl is never moved past the privacy notice: after a day without an answer he is forgotten.
  CHECK(h.scalar("SELECT count(*) FROM conversations WHERE pseudonym = '" + carl +
                 "' AND state <> 'new'") == 0);
  CHECK(h.scalar("SELECT count(*) FROM citizens WHERE pseudonym = '" + carl + "'") == 0);

  // ben writes again: the main menu, not the privacy notice.
  h.replies("ben");
  h.text("ben", "menu");
  bool offered_report = false;
  for (const auto& m : h.replies("ben")) {
    for (const auto& c : m.choices) { offered_report = offered_report || c.id == "report"; }
  }
  CHECK(offered_report);
}

TEST_CASE_TEMPLATE("retention: final messages go after message_days, those of non-citizens at once", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("anna");
  h.text("dora", "Hallo");
  h.choice("dora", "decline");  // declined: no citizen row stays, only her outbox rows
  const std::string dora = h.pseudonym("dora");
  REQUIRE(h.scalar("SELECT count(*) FROM citizens WHERE pseudonym = '" + dora + "'") == 0);
  REQUIRE(h.scalar("SELECT count(*) FROM outbox WHERE pseudonym = '" + dora + "'") > 0);
  exec(h, "UPDATE outbox SET status = 'sent', channel = 'telegram'");  // delivered by now
  const auto anna_rows = h.scalar("SELECT count(*) FROM outbox WHERE pseudonym = '" + h.pseudonym("anna") + "'");
  REQUIRE(anna_rows > 0);

  Retention r(h);
  auto first = r.job.run(h.clock.now());
  REQUIRE(first.has_value());
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE pseudonym = '" + dora + "'") == 0);
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE pseudonym = '" + h.pseudonym("anna") + "'") == anna_rows);

  advance(h, days(31));
  auto later = r.job.run(h.clock.now());
  REQUIRE(later.has_value());
  CHECK(later->messages_deleted == anna_rows);
  CHECK(later->events_deleted > 0);
  CHECK(h.scalar("SELECT count(*) FROM outbox") == 0);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NOT NULL") == 0);
}

}  // namespace bb::test

namespace bb::test {

TEST_CASE_TEMPLATE("retention: who never answers the notice is forgotten after 24 hours, with uploads", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.text("nina", "Hallo");  // gets the notice and never answers it
  h.image("nina", "sha256:" + std::string(64, 'e'));
  h.onboard("otto");  // accepted: stays
  const std::string nina = h.pseudonym("nina");
  REQUIRE(h.scalar("SELECT count(*) FROM citizens WHERE pseudonym = '" + nina + "'") == 1);
  REQUIRE(h.scalar("SELECT count(*) FROM media WHERE pseudonym = '" + nina + "'") == 1);

  Retention r(h);
  h.clock.advance(std::chrono::hours(23));
  auto early = r.job.run(h.clock.now());
  REQUIRE(early.has_value());
  CHECK(early->unanswered_forgotten == 0);
  CHECK(h.scalar("SELECT count(*) FROM citizens") == 2);

  h.clock.advance(std::chrono::hours(2));
  auto due = r.job.run(h.clock.now());
  REQUIRE(due.has_value());
  CHECK(due->unanswered_forgotten == 1);
  CHECK(h.scalar("SELECT count(*) FROM citizens WHERE pseudonym = '" + nina + "'") == 0);
  CHECK(h.scalar("SELECT count(*) FROM conversations WHERE pseudonym = '" + nina + "'") == 0);
  CHECK(h.scalar("SELECT count(*) FROM media WHERE pseudonym = '" + nina + "'") == 0);
  CHECK(r.removed == std::vector<std::string>{std::string(64, 'e')});
  CHECK(h.scalar("SELECT count(*) FROM citizens WHERE pseudonym = '" + h.pseudonym("otto") +
                 "'") == 1);
  // Writing again starts with the notice, as for anyone new.
  h.replies("nina");
  h.text("nina", "Hallo");
  CHECK(h.replyText("nina").find(h.text("privacy.notice").substr(0, 20)) != std::string::npos);
}

TEST_CASE_TEMPLATE("retention: an export link is deleted once it expired, an unexpired one stays", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  h.onboard("anna");
  h.text("anna", "meine daten");
  REQUIRE(h.scalar("SELECT count(*) FROM data_exports") == 1);
  Retention r(h);
  h.clock.advance(std::chrono::hours(23));
  auto early = r.job.run(h.clock.now());
  REQUIRE(early.has_value());
  CHECK(early->export_links_deleted == 0);
  CHECK(h.scalar("SELECT count(*) FROM data_exports") == 1);
  h.clock.advance(std::chrono::hours(1));
  auto due = r.job.run(h.clock.now());
  REQUIRE(due.has_value());
  CHECK(due->export_links_deleted == 1);
  CHECK(h.scalar("SELECT count(*) FROM data_exports") == 0);
}

}  // namespace bb::test
