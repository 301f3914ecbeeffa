// Expected refusals of the stores are answers (NotFound, Conflict), decided before the
// job changed anything: a staff change of a ticket or account that does not exist, a moderation
// step of a proposal that is not pending, a broadcast not in a state for the change (each on both
// backends).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_broadcast_store.hpp"
#include "storage/postgresql/pg_proposal_store.hpp"
#include "storage/sqlite_broadcast_store.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "storage/sqlite_proposal_store.hpp"
#include "storage/sqlite_store.hpp"
#include "support/engine_harness.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

namespace {

using bb::ErrorCode;
using bb::storage::Database;

const bb::SysTime kNow{std::chrono::seconds(1'795'000'000)};

std::unique_ptr<Database> openMigrated(const bb::test::TempDir& dir) {
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = Database::open(o);
  REQUIRE(db.has_value());
  bb::Result<int> version = bb::fail(ErrorCode::Internal);
  REQUIRE((*db)->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
  REQUIRE(version.has_value());
  return std::move(*db);
}

//! Ticket 7 in department "bauhof".
void addTicket(bb::Store& store) {
  bb::NewTicket t;
  t.number = 7;
  t.category_id = "pothole";
  t.department = "bauhof";
  bb::StepCommit step;
  step.now = kNow;
  step.tickets = {t};
  REQUIRE(store.commitStep(step).value());
}

bb::AuditEntry audit(const std::string& action) {
  bb::AuditEntry a;
  a.at = kNow;
  a.actor = "erika";
  a.action = action;
  a.ticket_number = 7;
  return a;
}

template <class T>
ErrorCode codeOf(const bb::Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace

TEST_CASE_TEMPLATE("storage: a staff change of an unknown ticket or account is NotFound and keeps "
                   "nothing", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TestStorage storage(B::backend);
  addTicket(storage.store());
  bb::InboxStore& inbox = storage.inbox();

  CHECK(codeOf(inbox.addInternalNote(8, "Notiz", audit("note"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.assign(7, 99, audit("assign"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.mergeFollowers(7, 8, audit("merge"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.updateStaff(99, bb::StaffRole::Agent, {}, false, audit("staff"))) ==
        ErrorCode::NotFound);
  CHECK(codeOf(inbox.setPassword(99, "x", false, "", audit("password"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.setDigest(99, "a@b.example", true, audit("digest"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.addStaffReply(8, bb::NewOutbound{}, "Antwort", audit("reply"))) ==
        ErrorCode::NotFound);
  CHECK(codeOf(inbox.addUnsentStaffReply(8, "Antwort", audit("reply"))) == ErrorCode::NotFound);
  CHECK(codeOf(inbox.recategorize(8, "muell", "ordnungsamt", audit("category"))) ==
        ErrorCode::NotFound);
  CHECK(storage.rowCount("ticket_events") == 1);  // the report's own
  CHECK(storage.rowCount("outbox") == 0);
  CHECK(inbox.auditLog(0, 10).value().empty());
  CHECK(inbox.inboxTicket(7).value()->assignee_id == 0);

  REQUIRE(inbox.addInternalNote(7, "Notiz", audit("note")));
  CHECK(inbox.auditLog(0, 10).value().size() == 1);
}

TEST_CASE_TEMPLATE("storage: a public note or reference for an unknown ticket is NotFound", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TestStorage storage(B::backend);
  addTicket(storage.store());
  bb::CaseStore& cases = storage.caseStore();
  bb::PublicNote note;
  note.number = 8;
  note.note = "Wird repariert";
  note.actor = "staff:erika";
  note.now = kNow;
  CHECK(codeOf(cases.addPublicNote(note)) == ErrorCode::NotFound);
  CHECK(codeOf(cases.setExternalRef(8, "REF-1", "staff:erika", kNow)) == ErrorCode::NotFound);
  CHECK(codeOf(cases.setPublicDescription(8, "Loch", "staff:erika", kNow)) ==
        ErrorCode::NotFound);
  CHECK(cases.caseEntriesOf(8).value().empty());
  CHECK(storage.rowCount("ticket_events") == 1);  // the ticket's 'created' only
  CHECK(storage.rowCount("ticket_public") == 0);

  note.number = 7;
  REQUIRE(cases.addPublicNote(note));
  REQUIRE(cases.setExternalRef(7, "REF-1", "staff:erika", kNow));
  CHECK(cases.publicTicket(7).value()->external_ref == "REF-1");
}

TEST_CASE_TEMPLATE("storage: moderating a proposal or comment that is not pending is a Conflict",
                   B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<bb::storage::pg::PgDatabase> pg;
  std::unique_ptr<bb::ProposalStore> proposals;
  if (B::backend == bb::test::Backend::Postgresql) {
    pg = bb::test::openPostgres(bb::test::migratedPostgres());
    proposals = std::make_unique<bb::storage::pg::PgProposalStore>(*pg);
  } else {
    db = openMigrated(dir);
    proposals = std::make_unique<bb::storage::SqliteProposalStore>(*db);
  }
  const bb::NoticeSpec none;
  CHECK(codeOf(proposals->publishProposal(1, {}, kNow, none)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->rejectProposal(1, "doppelt", kNow, none)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->mergeProposal(1, 2, kNow, none)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->publishComment(1, kNow)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->rejectComment(1, "nein", kNow)) == ErrorCode::Conflict);
  bb::Campaign missing;
  missing.id = 5;
  CHECK(codeOf(proposals->updateCampaign(missing)) == ErrorCode::NotFound);

  // A proposal that is there: once published it is no longer pending, an outcome needs that.
  bb::Campaign campaign;
  campaign.title = "Bürgerhaushalt";
  const std::int64_t campaign_id = proposals->createCampaign(campaign).value();
  bb::NewProposal p;
  p.campaign_id = campaign_id;
  p.author = "citizen";
  p.title = "Bank";
  p.description = "am See";
  p.now = kNow;
  REQUIRE(proposals->submit(p, 3).value() == bb::SubmitResult::Stored);
  const std::int64_t id = proposals->pendingProposals(10).value().at(0).id;
  bb::ProposalOutcome outcome{id, "committee", "accepted", "", kNow};
  CHECK(codeOf(proposals->recordOutcome(outcome, kNow, none)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->mergeProposal(id, id, kNow, none)) == ErrorCode::Conflict);
  REQUIRE(proposals->publishProposal(id, {}, kNow, none));
  CHECK(codeOf(proposals->publishProposal(id, {}, kNow, none)) == ErrorCode::Conflict);
  CHECK(codeOf(proposals->rejectProposal(id, "doppelt", kNow, none)) == ErrorCode::Conflict);
  REQUIRE(proposals->recordOutcome(outcome, kNow, none));
  CHECK(proposals->outcomes(id).value().size() == 1);
  CHECK(proposals->pendingProposals(10).value().empty());
  p.campaign_id = campaign_id + 1;
  CHECK(proposals->submit(p, 3).value() == bb::SubmitResult::NoCampaign);
}

TEST_CASE_TEMPLATE("storage: a broadcast change in the wrong state is a Conflict and changes nothing",
                   B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<bb::storage::pg::PgDatabase> pg;
  std::unique_ptr<bb::BroadcastStore> store;
  if (B::backend == bb::test::Backend::Postgresql) {
    pg = bb::test::openPostgres(bb::test::migratedPostgres());
    store = std::make_unique<bb::storage::pg::PgBroadcastStore>(*pg);
  } else {
    db = openMigrated(dir);
    store = std::make_unique<bb::storage::SqliteBroadcastStore>(*db);
  }
  bb::BroadcastStore& broadcasts = *store;
  bb::NewBroadcast b;
  b.topic = "stadtrat";
  b.title = "Sitzung";
  b.body = "Beschluss";
  const std::int64_t id = broadcasts.createBroadcast(b, kNow).value();
  CHECK(codeOf(broadcasts.cancelBroadcast(id + 1, kNow)) == ErrorCode::Conflict);
  REQUIRE(broadcasts.cancelBroadcast(id, kNow));
  CHECK(codeOf(broadcasts.cancelBroadcast(id, kNow)) == ErrorCode::Conflict);
  CHECK(codeOf(broadcasts.scheduleBroadcast(id, kNow, kNow)) == ErrorCode::Conflict);
  CHECK(codeOf(broadcasts.updateBroadcast(id, b, kNow)) == ErrorCode::Conflict);
  CHECK(codeOf(broadcasts.commitFanout(id, {}, kNow)) == ErrorCode::Conflict);
  CHECK(broadcasts.broadcast(id).value()->status == bb::BroadcastStatus::Cancelled);
}
