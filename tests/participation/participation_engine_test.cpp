// Participatory budget through the real engine on both backends (tests/support/engine_harness):
// the chat scenarios, phase rules enforced at the store, moderation before anything is public, one
// support per citizen under concurrency, outcome notices exactly once, export and erasure.

#include <doctest/doctest.h>

#include <thread>

#include "bot/conversation/codec.hpp"
#include "support/engine_harness.hpp"
#include "support/participation_chat.hpp"

using bb::test::OnPostgresql;
using bb::test::OnSqlite;

namespace bb::test {
namespace {

using namespace std::chrono_literals;
constexpr auto kDay = std::chrono::hours(24);

std::int64_t notices(EngineHarness& h, const std::string& user) {
  return h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND pseudonym = '" +
                  h.pseudonym(user) + "'");
}

std::vector<std::string> noticeTexts(EngineHarness& h, const std::string& user) {
  auto rows = h.store->outboxFor(h.pseudonym(user), Channel::WebChat, 0, 100000);
  REQUIRE(rows.has_value());
  std::vector<std::string> out;
  for (const OutboxRow& row : *rows) {
    if (row.kind == "notice") { out.push_back(decodeOutbound(row.payload)->text); }
  }
  return out;
}

template <class T>
T ok(Result<T> r) {
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
  return *r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE_TEMPLATE("participation engine: a proposal submitted by chat waits for moderation, unseen",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto campaign = seedCampaign(h);
  h.onboard("anna");
  const std::string texts = submitByChat(h, "anna", "Mehr Bänke");
  CHECK(contains(texts, "Bürgerhaushalt 2027"));
  CHECK(contains(texts, "Kosten: 1200 €"));
  CHECK(contains(texts, "„Mehr Bänke“ ist eingegangen"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE status = 'pending'") == 1);
  CHECK(h.scalar("SELECT cost_eur FROM proposals") == 1200);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE author = '" + h.pseudonym("anna") +
                 "' AND topic = 'Grün' AND address_text = 'Klosterseeufer'") == 1);
  // Nothing public before moderation: the chat list and the public read are empty.
  auto page = h.proposals->published(campaign, "new", 0, 10);
  REQUIRE(page.has_value());
  CHECK(page->items.empty());
  h.clock.advance(10 * kDay);  // supporting phase
  h.onboard("ben");
  h.choice("ben", "participation");
  h.choice("ben", "prop:list:new");
  const std::string list = h.replyText("ben");
  CHECK(contains(list, h.text("participation.list_empty")));
  CHECK_FALSE(contains(list, "Mehr Bänke"));
}

TEST_CASE_TEMPLATE("participation engine: the proposals-per-citizen rule holds, rejected ones do not count",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h, /*max_per_citizen=*/2);
  h.onboard("anna");
  submitByChat(h, "anna", "Eins");
  submitByChat(h, "anna", "Zwei");
  const std::string third = submitByChat(h, "anna", "Drei");
  CHECK(contains(third, "bereits 2 Vorschläge"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals") == 2);
  REQUIRE(h.participation->rejectProposal(proposalId(h, "Eins"), "Nicht im Zuständigkeitsbereich"));
  submitByChat(h, "anna", "Drei");
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals") == 3);
  // The author is told the reason, once.
  const auto told = noticeTexts(h, "anna");
  REQUIRE(told.size() == 1);
  CHECK(contains(told[0], "Nicht im Zuständigkeitsbereich"));
}

TEST_CASE_TEMPLATE("participation engine: the chat follows the phase (no submit after collecting)", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  h.choice("anna", "participation");
  h.choice("anna", "prop:new");
  h.text("anna", "Titel");
  h.text("anna", "Text");
  h.choice("anna", "skip");
  h.choice("anna", "skip");
  h.choice("anna", "skip");
  h.choice("anna", "skip");
  h.replies("anna");
  h.clock.advance(10 * kDay);  // collecting ended while the summary was open: the draft expired
  h.choice("anna", "confirm");
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals") == 0);
  h.choice("anna", "participation");
  h.choice("anna", "prop:new");
  CHECK(contains(h.replyText("anna"), "können keine Vorschläge eingereicht werden"));
  // A submit effect that arrives after the phase ended is refused by the engine as well.
  flows::SubmitProposal late;
  late.campaign_id = h.scalar("SELECT id FROM campaigns");
  late.draft.proposal_title = "Zu spät";
  late.draft.description = "x";
  const auto answers = h.participation->run(late, h.pseudonym("anna"), 99, flows::Lang::De,
                                            h.clock.now());
  REQUIRE(answers.size() == 1);
  CHECK(contains(answers[0].text, "können keine Vorschläge eingereicht werden"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals") == 0);
}

TEST_CASE_TEMPLATE("participation engine: a re-run of the same event stores the proposal once",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto campaign = seedCampaign(h);
  flows::SubmitProposal s;
  s.campaign_id = campaign;
  s.draft.proposal_title = "Einmal";
  s.draft.description = "Nur einmal";
  for (int i = 0; i < 3; ++i) {
    (void)h.participation->run(s, h.pseudonym("anna"), 4711, flows::Lang::De, h.clock.now());
  }
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals") == 1);
}

TEST_CASE_TEMPLATE("participation engine: publish, browse, support, withdraw, comment by chat",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  submitByChat(h, "anna", "Trinkbrunnen");
  const auto id = proposalId(h, "Trinkbrunnen");
  REQUIRE(h.participation->publishProposal(id));
  CHECK(notices(h, "anna") == 1);
  CHECK(contains(noticeTexts(h, "anna")[0], "„Trinkbrunnen“ ist jetzt veröffentlicht"));
  // Publishing twice is refused and tells nobody again.
  CHECK_FALSE(h.participation->publishProposal(id).has_value());
  CHECK(notices(h, "anna") == 1);

  h.onboard("ben");
  h.choice("ben", "participation");
  h.choice("ben", "prop:list:new");  // collecting phase: browsing works, supporting not yet
  CHECK(contains(h.replyText("ben"), "1. Trinkbrunnen – 0 Unterstützungen, 0 Kommentare"));
  h.choice("ben", "prop:" + std::to_string(id));
  std::string detail = h.replyText("ben");
  CHECK(contains(detail, "Beschreibung von Trinkbrunnen"));
  h.choice("ben", "prop:support");
  CHECK(contains(h.replyText("ben"), "nicht unterstützt werden"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 0);

  h.clock.advance(10 * kDay);  // supporting phase
  openProposal(h, "ben", id);
  h.choice("ben", "prop:support");
  detail = h.replyText("ben");
  CHECK(contains(detail, "Danke für Ihre Unterstützung"));
  CHECK(contains(detail, "Unterstützungen: 1"));
  h.choice("ben", "prop:support");
  CHECK(contains(h.replyText("ben"), "unterstützen diesen Vorschlag bereits"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 1);
  h.choice("ben", "prop:unsupport");
  CHECK(contains(h.replyText("ben"), "Unterstützungen: 0"));
  h.choice("ben", "prop:support");
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 1);

  h.choice("ben", "prop:comment");
  h.text("ben", "Gute Idee, bitte auch am Bahnhof");
  CHECK(contains(h.replyText("ben"), "nach Prüfung durch die Moderation"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_comments WHERE status = 'pending'") == 1);
  auto published = h.proposals->publishedComments(id);
  REQUIRE(published.has_value());
  CHECK(published->empty());  // not public before moderation
  const auto comment = h.scalar("SELECT id FROM proposal_comments");
  REQUIRE(h.participation->publishComment(comment));
  published = h.proposals->publishedComments(id);
  REQUIRE(published->size() == 1);
  CHECK(published->front().author.empty());  // public reads never carry the pseudonym
  h.choice("ben", "back");
  CHECK(contains(h.replyText("ben"), "1 Kommentare"));

  h.clock.advance(10 * kDay);  // review: supports are frozen
  openProposal(h, "ben", id);
  h.choice("ben", "prop:unsupport");
  CHECK(contains(h.replyText("ben"), "nicht unterstützt werden"));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 1);
}

TEST_CASE_TEMPLATE("participation engine: the store refuses support for proposals that are not public",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto campaign = seedCampaign(h);
  NewProposal p;
  p.campaign_id = campaign;
  p.author = "x";
  p.title = "t";
  p.description = "d";
  p.now = h.clock.now();
  REQUIRE(ok(h.proposals->submit(p, 3)) == SubmitResult::Stored);
  const auto id = h.scalar("SELECT id FROM proposals");
  CHECK(ok(h.proposals->support(id, "y", false, h.clock.now())) == SupportResult::NotPublished);
  CHECK(ok(h.proposals->comment(id, "y", "c", 0, h.clock.now())) == false);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_comments") == 0);
}

TEST_CASE_TEMPLATE("participation engine: one support per citizen holds under 50 concurrent attempts",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto campaign = seedCampaign(h);
  NewProposal p;
  p.campaign_id = campaign;
  p.author = "author";
  p.title = "Spielplatz";
  p.description = "d";
  p.now = h.clock.now();
  REQUIRE(ok(h.proposals->submit(p, 3)) == SubmitResult::Stored);
  const auto id = h.scalar("SELECT id FROM proposals");
  REQUIRE(h.proposals->publishProposal(id, {}, h.clock.now(), NoticeSpec{}));

  constexpr int kThreads = 50;
  std::atomic<int> added{0};
  std::atomic<int> already{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) { std::this_thread::yield(); }
      auto r = h.proposals->support(id, "same-citizen", false, h.clock.now());
      if (!r) {
        ++failed;
      } else if (*r == SupportResult::Added) {
        ++added;
      } else if (*r == SupportResult::AlreadySupported) {
        ++already;
      }
    });
  }
  go.store(true);
  for (auto& t : threads) { t.join(); }
  CHECK(failed.load() == 0);
  CHECK(added.load() == 1);
  CHECK(already.load() == kThreads - 1);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == 1);
  auto shown = h.proposals->proposal(id);
  REQUIRE(shown.has_value());
  CHECK((*shown)->supports == 1);

  // 50 different citizens at once: every support counts, none is lost.
  threads.clear();
  go.store(false);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) { std::this_thread::yield(); }
      auto r = h.proposals->support(id, "citizen-" + std::to_string(i), false, h.clock.now());
      if (!r || *r != SupportResult::Added) { ++failed; }
    });
  }
  go.store(true);
  for (auto& t : threads) { t.join(); }
  CHECK(failed.load() == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports") == kThreads + 1);
}

TEST_CASE_TEMPLATE("participation engine: the proposals-per-citizen limit holds under 20 "
                   "concurrent submissions", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  const auto campaign = seedCampaign(h, /*max_per_citizen=*/3);
  constexpr int kThreads = 20;
  std::atomic<int> stored{0};
  std::atomic<int> refused{0};
  std::atomic<int> failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      NewProposal p;
      p.campaign_id = campaign;
      p.author = "eager-citizen";
      p.title = "Vorschlag " + std::to_string(i);
      p.description = "d";
      p.now = h.clock.now();
      while (!go.load()) { std::this_thread::yield(); }
      auto r = h.proposals->submit(p, 3);
      if (!r) {
        ++failed;
      } else if (*r == SubmitResult::Stored) {
        ++stored;
      } else if (*r == SubmitResult::LimitReached) {
        ++refused;
      }
    });
  }
  go.store(true);
  for (auto& t : threads) { t.join(); }
  CHECK(failed.load() == 0);
  CHECK(stored.load() == 3);
  CHECK(refused.load() == kThreads - 3);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE author = 'eager-citizen'") == 3);
}

TEST_CASE_TEMPLATE("participation engine: every outcome reaches author and supporters exactly once",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  submitByChat(h, "anna", "Radweg");
  const auto id = proposalId(h, "Radweg");
  REQUIRE(h.participation->publishProposal(id));
  h.clock.advance(10 * kDay);
  for (const std::string user : {"ben", "carl"}) {
    h.onboard(user);
    openProposal(h, user, id);
    h.choice(user, "prop:support");
  }
  h.onboard("dora");  // not a supporter: hears nothing
  CHECK(notices(h, "anna") == 1);  // "published"
  CHECK(notices(h, "ben") == 0);

  h.clock.advance(10 * kDay);  // review
  // Saved twice (a double click, a repeated POST): told once.
  REQUIRE(h.participation->recordOutcome(id, "committee", "accepted", "Empfehlung an den Stadtrat"));
  REQUIRE(h.participation->recordOutcome(id, "committee", "accepted", "Empfehlung an den Stadtrat."));
  CHECK(notices(h, "anna") == 2);
  CHECK(notices(h, "ben") == 1);
  CHECK(notices(h, "carl") == 1);
  CHECK(notices(h, "dora") == 0);
  const auto benTexts = noticeTexts(h, "ben");
  CHECK(contains(benTexts.back(), "Fachausschuss: angenommen"));
  // The public text is the latest one.
  auto outcomes = h.proposals->outcomes(id);
  REQUIRE(outcomes->size() == 1);
  CHECK(outcomes->front().text == "Empfehlung an den Stadtrat.");

  h.clock.advance(10 * kDay);  // decision
  REQUIRE(h.participation->recordOutcome(id, "council", "accepted", "Beschluss vom 3.3."));
  REQUIRE(h.participation->recordOutcome(id, "council", "accepted", "Beschluss vom 3.3."));
  h.clock.advance(10 * kDay);  // implementation
  REQUIRE(h.participation->recordOutcome(id, "implementation", "done", "Fertig"));
  CHECK(notices(h, "anna") == 4);
  CHECK(notices(h, "ben") == 3);
  CHECK(notices(h, "carl") == 3);
  CHECK(h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice'") == 4 + 3 + 3);
  // Every notice is in the citizen's language and names the proposal.
  for (const auto& t : noticeTexts(h, "carl")) { CHECK(contains(t, "„Radweg“")); }
  // Unknown stages and decisions are refused.
  CHECK_FALSE(h.participation->recordOutcome(id, "balloting", "accepted", "").has_value());
  CHECK_FALSE(h.participation->recordOutcome(id, "council", "maybe", "").has_value());
}

TEST_CASE_TEMPLATE("participation engine: a supporter who stopped everything hears no outcome until start",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  submitByChat(h, "anna", "Radweg");
  const auto id = proposalId(h, "Radweg");
  REQUIRE(h.participation->publishProposal(id));
  h.clock.advance(10 * kDay);
  for (const std::string user : {"ben", "carl"}) {
    h.onboard(user);
    openProposal(h, user, id);
    h.choice(user, "prop:support");
  }
  h.text("ben", "stop");
  h.choice("ben", "stop:all");
  REQUIRE(h.scalar("SELECT COUNT(*) FROM citizens WHERE notifications_stopped_at IS NOT NULL AND "
                   "pseudonym = '" + h.pseudonym("ben") + "'") == 1);

  h.clock.advance(10 * kDay);
  REQUIRE(h.participation->recordOutcome(id, "committee", "accepted", "Empfehlung an den Stadtrat"));
  CHECK(notices(h, "anna") == 2);
  CHECK(notices(h, "carl") == 1);
  CHECK(notices(h, "ben") == 0);  // stopped: not told

  h.text("ben", "start");
  h.clock.advance(10 * kDay);
  REQUIRE(h.participation->recordOutcome(id, "council", "accepted", "Beschluss vom 3.3."));
  CHECK(notices(h, "carl") == 2);
  CHECK(notices(h, "ben") == 1);  // after "start" the next outcome reaches him
  CHECK(contains(noticeTexts(h, "ben").back(), "„Radweg“"));
}

TEST_CASE_TEMPLATE("participation engine: merging moves supports and tells the duplicate's people once",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  h.onboard("ben");
  submitByChat(h, "anna", "Bank A");
  submitByChat(h, "ben", "Bank B");
  const auto a = proposalId(h, "Bank A");
  const auto b = proposalId(h, "Bank B");
  REQUIRE(h.participation->publishProposal(a));
  REQUIRE(h.participation->publishProposal(b));
  h.clock.advance(10 * kDay);
  REQUIRE(ok(h.proposals->support(b, "supporter-1", false, h.clock.now())) == SupportResult::Added);
  REQUIRE(ok(h.proposals->support(b, "supporter-2", false, h.clock.now())) == SupportResult::Added);
  REQUIRE(ok(h.proposals->support(a, "supporter-2", false, h.clock.now())) == SupportResult::Added);
  REQUIRE(h.participation->mergeProposal(b, a));
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE id = " + std::to_string(b) +
                 " AND status = 'merged' AND merged_into = " + std::to_string(a)) == 1);
  // supporter-1, supporter-2 (once) and ben, the duplicate's author.
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports WHERE proposal_id = " + std::to_string(a)) == 3);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports WHERE proposal_id = " + std::to_string(b)) == 0);
  const auto benTexts = noticeTexts(h, "ben");
  CHECK(contains(benTexts.back(), "zusammengeführt"));
  CHECK_FALSE(h.participation->mergeProposal(b, a).has_value());  // already merged
  CHECK(noticeTexts(h, "ben").size() == benTexts.size());
}

TEST_CASE_TEMPLATE("participation engine: export lists proposals, comments and supports, erasure "
                   "anonymizes what is public and deletes the rest", B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend);
  seedCampaign(h);
  h.onboard("anna");
  h.onboard("ben");
  submitByChat(h, "anna", "Öffentlich");
  submitByChat(h, "anna", "Noch in Prüfung");
  submitByChat(h, "ben", "Von Ben");
  const auto pub = proposalId(h, "Öffentlich");
  const auto ben = proposalId(h, "Von Ben");
  REQUIRE(h.participation->publishProposal(pub));
  REQUIRE(h.participation->publishProposal(ben));
  h.clock.advance(10 * kDay);
  openProposal(h, "anna", ben);
  h.choice("anna", "prop:support");
  h.choice("anna", "prop:comment");
  h.text("anna", "Mein veröffentlichter Kommentar");
  h.choice("anna", "prop:comment");
  h.text("anna", "Mein wartender Kommentar");
  REQUIRE(h.participation->publishComment(
      h.scalar("SELECT id FROM proposal_comments WHERE body = 'Mein veröffentlichter Kommentar'")));
  h.replies("anna");

  h.text("anna", "meine daten");
  const std::string exported = h.replyText("anna");
  CHECK(contains(exported, "Öffentlich"));
  CHECK(contains(exported, "Noch in Prüfung"));
  CHECK(contains(exported, "Mein veröffentlichter Kommentar"));
  CHECK(contains(exported, "Mein wartender Kommentar"));
  CHECK(contains(exported, "Unterstützung für Vorschlag " + std::to_string(ben) + ": Von Ben"));
  CHECK_FALSE(contains(exported, "Von Ben –"));  // another citizen's text is not in the export

  const std::string p = h.pseudonym("anna");
  h.execute("UPDATE proposals SET address_text = 'Lindenstraße 12', lat = 48.077712, "
            "lon = 11.970644, public_address = 'Lindenstraße', photo_public = 1 "
            "WHERE id = " + std::to_string(pub));
  h.text("anna", "daten löschen");
  h.choice("anna", "confirm");
  // The published proposal loses the citizen's own place words, exact point and photo; what the
  // moderator made public stays with the public record.
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE id = " + std::to_string(pub) +
                 " AND address_text = '' AND lat = 48.078 AND lon = 11.971 AND photo_public = 0 "
                 "AND photo_media_id IS NULL AND public_address = 'Lindenstraße'") == 1);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE author = '" + p + "'") == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_comments WHERE author = '" + p + "'") == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_supports WHERE pseudonym = '" + p + "'") == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_notices WHERE pseudonym = '" + p + "'") == 0);
  // The public record stays, without the person: the published proposal and comment.
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE title = 'Öffentlich' AND author IS NULL "
                 "AND status = 'published'") == 1);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_comments WHERE body = "
                 "'Mein veröffentlichter Kommentar' AND author IS NULL") == 1);
  // What never was public is gone.
  CHECK(h.scalar("SELECT COUNT(*) FROM proposals WHERE title = 'Noch in Prüfung'") == 0);
  CHECK(h.scalar("SELECT COUNT(*) FROM proposal_comments WHERE body = 'Mein wartender Kommentar'") == 0);
  // Ben's proposal lost anna's support; ben's own data is untouched.
  auto shown = h.proposals->proposal(ben);
  REQUIRE(shown.has_value());
  CHECK((*shown)->supports == 0);
  CHECK((*shown)->author == h.pseudonym("ben"));
  // An outcome on the anonymized proposal reaches nobody (no author any more).
  h.clock.advance(10 * kDay);
  REQUIRE(h.participation->recordOutcome(pub, "committee", "accepted", "ok"));
  CHECK(h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND pseudonym = '" + p + "'") == 0);
}

}  // namespace bb::test
