// The proposal store on its own, on both backends (the engine tests drive it through the chat):
// campaigns read back as written and in their order, the moderation queues, the public lists in
// both orders with paging, comments through moderation, and what a citizen's records hold.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_proposal_store.hpp"
#include "storage/sqlite_proposal_store.hpp"
#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace {

using namespace std::chrono_literals;
const bb::SysTime kNow{std::chrono::seconds(1'795'000'000)};

//! A proposal store on a fresh, migrated database of `backend`.
struct ProposalsOn {
  explicit ProposalsOn(bb::test::Backend backend) {
    if (backend == bb::test::Backend::Postgresql) {
      pg = bb::test::openPostgres(bb::test::migratedPostgres());
      store = std::make_unique<bb::storage::pg::PgProposalStore>(*pg);
      return;
    }
    bb::storage::DatabaseOptions o;
    o.path = dir.path() + "/db.sqlite";
    auto opened = bb::storage::Database::open(o);
    REQUIRE(opened.has_value());
    db = std::move(*opened);
    bb::Result<int> version = bb::fail(bb::ErrorCode::Internal);
    REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = bb::storage::migrate(raw); }));
    REQUIRE(version.has_value());
    store = std::make_unique<bb::storage::SqliteProposalStore>(*db);
  }
  ~ProposalsOn() {
    store.reset();
    if (db) { db->close(); }
  }

  std::int64_t submit(std::int64_t campaign, const std::string& author, const std::string& title,
                      bb::SysTime at) {
    bb::NewProposal p;
    p.campaign_id = campaign;
    p.author = author;
    p.title = title;
    p.description = "Beschreibung " + title;
    p.cost_eur = 1200;
    p.topic = "Grün";
    p.lat = 48.0777;
    p.lon = 11.9706;
    p.address_text = "Marienplatz 1";
    p.now = at;
    REQUIRE(store->submit(p, 10).value() == bb::SubmitResult::Stored);
    std::int64_t id = 0;
    const auto pending = store->pendingProposals(100).value();
    for (const auto& q : pending) {
      if (q.title == title) { id = q.id; }
    }
    REQUIRE(id > 0);
    return id;
  }

  bb::test::TempDir dir;
  std::unique_ptr<bb::storage::Database> db;
  std::unique_ptr<bb::storage::pg::PgDatabase> pg;
  std::unique_ptr<bb::ProposalStore> store;
};

bb::Campaign campaignFrom(bb::SysTime start, const std::string& title) {
  bb::Campaign c;
  c.title = title;
  c.description = "Ideen für die Stadt";
  c.dates.collecting_from = start;
  c.dates.supporting_from = start + 24h;
  c.dates.review_from = start + 48h;
  c.dates.decision_from = start + 72h;
  c.dates.implementation_from = start + 96h;
  c.dates.closed_from = start + 120h;
  c.max_proposals_per_citizen = 4;
  c.support_threshold = 25;
  c.topics = {"Verkehr", "Grün\nund Wasser", ""};
  return c;
}

std::vector<std::string> titles(const std::vector<bb::Proposal>& proposals) {
  std::vector<std::string> out;
  for (const auto& p : proposals) { out.push_back(p.title); }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("proposal store: campaigns read back as written, newest first, one active",
                   B, OnSqlite, OnPostgresql) {
  ProposalsOn t(B::backend);
  const auto older = t.store->createCampaign(campaignFrom(kNow - 200h, "2026")).value();
  const auto newer = t.store->createCampaign(campaignFrom(kNow - 1h, "2027")).value();
  auto read = t.store->campaign(newer).value();
  REQUIRE(read.has_value());
  CHECK(read->title == "2027");
  CHECK(read->description == "Ideen für die Stadt");
  CHECK(read->dates.collecting_from == kNow - 1h);
  CHECK(read->dates.closed_from == kNow + 119h);
  CHECK(read->max_proposals_per_citizen == 4);
  CHECK(read->support_threshold == 25);
  CHECK(read->topics == std::vector<std::string>{"Verkehr", "Grün und Wasser"});
  CHECK_FALSE(t.store->campaign(newer + older + 1).value().has_value());
  const auto all = t.store->campaigns().value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == newer);
  CHECK(all[1].id == older);
  // The older one closed already: the newer one is the chat's.
  CHECK(t.store->activeCampaign(kNow).value()->id == newer);
  CHECK_FALSE(t.store->activeCampaign(kNow - 300h).value().has_value());

  read->title = "Bürgerhaushalt 2027";
  read->topics = {"Sport"};
  REQUIRE(t.store->updateCampaign(*read));
  CHECK(t.store->campaign(newer).value()->title == "Bürgerhaushalt 2027");
  CHECK(t.store->campaign(newer).value()->topics == std::vector<std::string>{"Sport"});
}

TEST_CASE_TEMPLATE("proposal store: moderation queues, public lists in both orders, comments",
                   B, OnSqlite, OnPostgresql) {
  ProposalsOn t(B::backend);
  const auto campaign = t.store->createCampaign(campaignFrom(kNow - 1h, "2027")).value();
  const auto a = t.submit(campaign, "p-anna", "A", kNow);
  const auto b = t.submit(campaign, "p-ben", "B", kNow + 1min);
  const auto c = t.submit(campaign, "p-carl", "C", kNow + 2min);
  CHECK(titles(t.store->pendingProposals(2).value()) == std::vector<std::string>{"A", "B"});
  const bb::NoticeSpec none;
  REQUIRE(t.store->publishProposal(a, {"Am Marienplatz", true}, kNow + 1h, none));
  REQUIRE(t.store->publishProposal(b, {}, kNow + 2h, none));
  REQUIRE(t.store->publishProposal(c, {}, kNow + 3h, none));
  const auto shown = t.store->proposal(a).value();
  REQUIRE(shown.has_value());
  CHECK(shown->status == "published");
  CHECK(shown->public_address == "Am Marienplatz");
  CHECK_FALSE(shown->photo_public);  // no photo to show
  CHECK(shown->author == "p-anna");
  CHECK(shown->cost_eur == 1200);
  CHECK(shown->lat == doctest::Approx(48.0777));
  CHECK(shown->published_at == kNow + 1h);

  for (const char* who : {"p-x", "p-y"}) {
    CHECK(t.store->support(b, who, false, kNow + 4h).value() == bb::SupportResult::Added);
  }
  CHECK(t.store->support(a, "p-x", false, kNow + 4h).value() == bb::SupportResult::Added);
  CHECK(t.store->hasSupported(b, "p-y").value());
  CHECK_FALSE(t.store->hasSupported(c, "p-y").value());
  CHECK(t.store->support(c, "p-y", true, kNow + 4h).value() == bb::SupportResult::NotSupported);

  auto page = t.store->published(campaign, "new", 0, 2).value();
  CHECK(titles(page.items) == std::vector<std::string>{"C", "B"});
  CHECK(page.more);
  CHECK(page.items[0].author.empty());  // never public
  page = t.store->published(campaign, "new", 2, 2).value();
  CHECK(titles(page.items) == std::vector<std::string>{"A"});
  CHECK_FALSE(page.more);
  page = t.store->published(campaign, "top", 0, 10).value();
  CHECK(titles(page.items) == std::vector<std::string>{"B", "A", "C"});
  CHECK(page.items[0].supports == 2);

  REQUIRE(t.store->comment(b, "p-x", "Gut", 0, kNow + 5h).value());
  REQUIRE(t.store->comment(b, "p-y", "Schlecht", 0, kNow + 6h).value());
  const auto pending = t.store->pendingComments(10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].body == "Gut");
  CHECK(pending[0].author == "p-x");
  REQUIRE(t.store->publishComment(pending[0].id, kNow + 7h));
  REQUIRE(t.store->rejectComment(pending[1].id, "beleidigend", kNow + 7h));
  const auto comments = t.store->publishedComments(b).value();
  REQUIRE(comments.size() == 1);
  CHECK(comments[0].body == "Gut");
  CHECK(comments[0].author.empty());
  CHECK(comments[0].published_at == kNow + 7h);
  CHECK(t.store->proposal(b).value()->comments == 1);
  CHECK(t.store->pendingComments(10).value().empty());

  const auto records = t.store->recordsOf("p-y").value();
  CHECK(records.proposals.empty());
  REQUIRE(records.comments.size() == 1);
  CHECK(records.comments[0].status == "rejected");
  CHECK(records.comments[0].reject_reason == "beleidigend");
  CHECK(titles(records.supported) == std::vector<std::string>{"B"});
  CHECK(titles(t.store->recordsOf("p-anna").value().proposals) == std::vector<std::string>{"A"});
}
