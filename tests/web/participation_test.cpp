// The public participation pages and the staff moderation in the inbox, through their
// route tables over the real engine and SQLite: nothing public before moderation, no author
// identity, strict CSP, roles, CSRF, outcomes told once even when the form is posted twice.

#include <doctest/doctest.h>


#include "bot/text/local_time.hpp"
#include "tests/web/inbox_fixture.hpp"
#include "web/html.hpp"
#include "web/inbox/participation_moderation.hpp"
#include "web/participation/public_page.hpp"

namespace bb::test {
namespace {

using namespace std::chrono_literals;
constexpr auto kDay = std::chrono::hours(24);

struct ParticipationFixture : InboxFixture {
  explicit ParticipationFixture(bb::test::Backend backend = bb::test::Backend::Sqlite)
      : InboxFixture(backend),
        moderation(inbox->desk(), *h.participation, media_store),
        public_page(*h.participation, h.clock,
                    web::PublicParticipationOptions{"https://stadt.example", 20}, &media_store) {
    for (auto& r : moderation.routes()) { routes.push_back(r); }
    for (auto& r : public_page.routes()) { routes.push_back(r); }
    Campaign c;
    c.title = "Bürgerhaushalt 2027";
    const SysTime now = h.clock.now();
    c.dates.collecting_from = now - 1h;
    c.dates.supporting_from = now + 10 * kDay;
    c.dates.review_from = now + 20 * kDay;
    c.dates.decision_from = now + 30 * kDay;
    c.dates.implementation_from = now + 40 * kDay;
    c.dates.closed_from = now + 400 * kDay;
    c.support_threshold = 2;
    auto id = h.proposals->createCampaign(c);
    REQUIRE(id.has_value());
    campaign = *id;
    h.participation->invalidate();
  }

  //! A proposal submitted by chat by `user`; returns its id.
  std::int64_t submit(const std::string& user, const std::string& title,
                      const std::string& description) {
    h.onboard(user);
    h.choice(user, "participation");
    h.choice(user, "prop:new");
    h.text(user, title);
    h.text(user, description);
    h.choice(user, "skip");
    h.choice(user, "skip");
    h.choice(user, "skip");
    h.choice(user, "skip");
    h.choice(user, "confirm");
    h.replies(user);
    return h.scalar("SELECT max(id) FROM proposals");
  }

  //! A pending proposal with a typed address and a cleaned camera photo (media row `media_id`),
  //! stored as the chat stores it; returns its id.
  std::int64_t submitWithPlaceAndPhoto(const std::string& title, std::int64_t media_id) {
    const std::string jpeg = readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
    auto cleaned = media::cleanImage(jpeg);
    REQUIRE(cleaned.has_value());
    auto content = media_store.put(*cleaned);
    REQUIRE(content.has_value());
    h.execute("INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, "
              "mime_type, created_at) VALUES (" + std::to_string(media_id) + ", 'p-anna', "
              "'webchat', 'x', 'ready', '" + *content + "', 'image/jpeg', 0)");
    NewProposal p;
    p.campaign_id = campaign;
    p.source_event = media_id;
    p.author = "p-anna";
    p.title = title;
    p.description = "Ein Trinkbrunnen";
    p.lat = 48.077712;
    p.lon = 11.970644;
    p.address_text = "Lindenstraße 12, vor dem Haus von Familie Huber";
    p.photo_media_id = media_id;
    p.now = h.clock.now();
    auto r = h.proposals->submit(p, 10);
    REQUIRE(r.has_value());
    REQUIRE(*r == SubmitResult::Stored);
    return h.scalar("SELECT max(id) FROM proposals");
  }

  web::ParticipationModeration moderation;
  web::PublicParticipation public_page;
  std::int64_t campaign = 0;
};

bool has(const std::string& body, const std::string& needle) {
  return body.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE_TEMPLATE("participation web: nothing is public before moderation, and no author identity", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto id = f.submit("anna", "Trinkbrunnen am Marktplatz", kXss);
  auto page = f.call("GET", "/beteiligung");
  REQUIRE(page.status == 200);
  CHECK(has(page.body, "Bürgerhaushalt 2027"));
  CHECK(has(page.body, "Noch keine veröffentlichten Vorschläge"));
  CHECK_FALSE(has(page.body, "Trinkbrunnen"));
  CHECK(f.call("GET", "/beteiligung/vorschlag/" + std::to_string(id)).status == 404);
  CHECK_FALSE(has(f.call("GET", "/beteiligung/feed.atom").body, "Trinkbrunnen"));

  f.account("mod", "moderator", {});
  const auto cookie = f.login("mod");
  const auto queue = f.call("GET", "/inbox/beteiligung", cookie);
  REQUIRE(queue.status == 200);
  CHECK(has(queue.body, "Trinkbrunnen am Marktplatz"));
  CHECK_FALSE(has(queue.body, "<script>alert(1)"));  // escaped
  const std::string csrf = f.csrf(cookie);
  auto r = f.post(cookie, "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/publish",
                  "csrf=" + csrf);
  CHECK(r.status == 303);

  page = f.call("GET", "/beteiligung");
  CHECK(has(page.body, "Trinkbrunnen am Marktplatz"));
  CHECK(has(page.body, "data-count=\"0\""));
  const auto detail = f.call("GET", "/beteiligung/vorschlag/" + std::to_string(id));
  REQUIRE(detail.status == 200);
  CHECK(has(detail.body, "&lt;script&gt;"));
  CHECK_FALSE(has(detail.body, "<script>alert"));
  for (const std::string& body : {page.body, detail.body}) {
    CHECK_FALSE(has(body, f.h.pseudonym("anna")));
    CHECK_FALSE(has(body, "chat-anna"));
    CHECK_FALSE(has(body, "http://"));  // no third-party assets
    CHECK_FALSE(has(body, "https://"));
  }
  CHECK(InboxFixture::header(page, "Content-Security-Policy") == web::kContentSecurityPolicy);
  CHECK(InboxFixture::header(page, "Set-Cookie").empty());
  CHECK(InboxFixture::header(page, "Referrer-Policy") == "no-referrer");
  const auto feed = f.call("GET", "/beteiligung/feed.atom");
  CHECK(feed.content_type.rfind("application/atom+xml", 0) == 0);
  CHECK(has(feed.body, "<title>Trinkbrunnen am Marktplatz</title>"));
  CHECK(has(feed.body, "https://stadt.example/beteiligung/vorschlag/" + std::to_string(id)));
  CHECK_FALSE(has(feed.body, f.h.pseudonym("anna")));
  // The audit log has the action, without content.
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'proposal_publish' AND detail = "
                "'proposal=" + std::to_string(id) + "'") == 1);
}

TEST_CASE_TEMPLATE("participation web: comments are public only after moderation, rejects need a reason", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto id = f.submit("anna", "Bank", "Am See");
  REQUIRE(f.h.participation->publishProposal(id));
  f.h.clock.advance(10 * kDay);
  f.h.onboard("ben");
  f.h.choice("ben", "participation");
  f.h.choice("ben", "prop:list:new");
  f.h.choice("ben", "prop:" + std::to_string(id));
  f.h.choice("ben", "prop:comment");
  f.h.text("ben", "Sehr gute Idee");
  f.h.choice("ben", "prop:comment");
  f.h.text("ben", "Beleidigung");
  CHECK_FALSE(has(f.call("GET", "/beteiligung/vorschlag/" + std::to_string(id)).body, "Sehr gute Idee"));

  f.account("mod", "moderator", {});
  const auto cookie = f.login("mod");
  const std::string csrf = f.csrf(cookie);
  const auto good = f.count("SELECT id FROM proposal_comments WHERE body = 'Sehr gute Idee'");
  const auto bad = f.count("SELECT id FROM proposal_comments WHERE body = 'Beleidigung'");
  CHECK(f.post(cookie, "/inbox/beteiligung/kommentar/" + std::to_string(bad) + "/reject",
               "csrf=" + csrf + "&reason=").status == 400);
  CHECK(f.post(cookie, "/inbox/beteiligung/kommentar/" + std::to_string(bad) + "/reject",
               "csrf=" + csrf + "&reason=Beleidigend").status == 303);
  CHECK(f.post(cookie, "/inbox/beteiligung/kommentar/" + std::to_string(good) + "/publish",
               "csrf=" + csrf).status == 303);
  CHECK(f.post(cookie, "/inbox/beteiligung/kommentar/" + std::to_string(good) + "/publish",
               "csrf=" + csrf).status == 409);
  const auto detail = f.call("GET", "/beteiligung/vorschlag/" + std::to_string(id));
  CHECK(has(detail.body, "Sehr gute Idee"));
  CHECK_FALSE(has(detail.body, "Beleidigung"));
  CHECK(has(detail.body, "1 Kommentare"));
}

TEST_CASE_TEMPLATE("participation web: only moderators and admins moderate, CSRF is checked", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto id = f.submit("anna", "Bank", "Am See");
  f.account("agent", "agent", {"tiefbau"});
  const auto agent = f.login("agent");
  CHECK(f.call("GET", "/inbox/beteiligung", agent).status == 403);
  CHECK(f.post(agent, "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/publish",
               "csrf=" + f.csrf(agent)).status == 403);
  CHECK(f.call("GET", "/inbox/beteiligung").status == 303);  // not signed in
  f.account("mod", "moderator", {});
  const auto mod = f.login("mod");
  CHECK(f.post(mod, "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/publish",
               "csrf=" + std::string(64, '0')).status == 403);
  CHECK(f.count("SELECT COUNT(*) FROM proposals WHERE status = 'published'") == 0);
  // Campaigns are an admin's business.
  CHECK(f.post(mod, "/inbox/beteiligung/kampagne", "csrf=" + f.csrf(mod) + "&title=X").status == 403);
}

TEST_CASE_TEMPLATE("participation web: an outcome posted twice is told to author and supporters once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto id = f.submit("anna", "Radweg", "Entlang der Bahn");
  REQUIRE(f.h.participation->publishProposal(id));
  f.h.clock.advance(10 * kDay);
  for (const std::string user : {"ben", "carl"}) {
    f.h.onboard(user);
    f.h.choice(user, "participation");
    f.h.choice(user, "prop:list:top");
    f.h.choice(user, "prop:" + std::to_string(id));
    f.h.choice(user, "prop:support");
  }
  f.h.clock.advance(10 * kDay);
  f.account("mod", "moderator", {});
  const auto cookie = f.login("mod");
  const std::string csrf = f.csrf(cookie);
  const auto overview = f.call("GET", "/inbox/beteiligung", cookie);
  CHECK(has(overview.body, "2 ✔ Schwelle"));
  const std::string body = "csrf=" + csrf + "&stage=committee&decision=accepted&text=" +
                           urlEncode("Der Ausschuss empfiehlt den Radweg.");
  const std::string target = "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/outcome";
  CHECK(f.post(cookie, target, body).status == 303);
  CHECK(f.post(cookie, target, body).status == 303);  // redelivered / double click
  for (const std::string user : {"anna", "ben", "carl"}) {
    INFO(user);
    CHECK(f.count("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND payload LIKE "
                  "'%Fachausschuss%' AND pseudonym = '" + f.h.pseudonym(user) + "'") == 1);
  }
  CHECK(f.post(cookie, target, "csrf=" + csrf + "&stage=vote&decision=accepted").status == 400);
  const auto detail = f.call("GET", "/beteiligung/vorschlag/" + std::to_string(id));
  CHECK(has(detail.body, "Fachausschuss: angenommen"));
  CHECK(has(detail.body, "Der Ausschuss empfiehlt den Radweg."));
  CHECK(has(f.call("GET", "/beteiligung/feed.atom").body, "Fachausschuss: angenommen"));
}

TEST_CASE_TEMPLATE("participation web: merging through the inbox, a merged proposal points to its target", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto a = f.submit("anna", "Bank A", "x");
  const auto b = f.submit("ben", "Bank B", "y");
  REQUIRE(f.h.participation->publishProposal(a));
  f.account("mod", "moderator", {});
  const auto cookie = f.login("mod");
  const std::string csrf = f.csrf(cookie);
  CHECK(f.post(cookie, "/inbox/beteiligung/vorschlag/" + std::to_string(b) + "/merge",
               "csrf=" + csrf + "&target=" + std::to_string(a)).status == 303);
  CHECK(f.count("SELECT COUNT(*) FROM proposal_supports WHERE proposal_id = " + std::to_string(a)) == 1);
  const auto merged = f.call("GET", "/beteiligung/vorschlag/" + std::to_string(b));
  CHECK(merged.status == 200);
  CHECK(has(merged.body, "/beteiligung/vorschlag/" + std::to_string(a)));
  CHECK(has(f.call("GET", "/beteiligung").body, "data-count=\"1\""));
}

TEST_CASE_TEMPLATE("participation web: an admin creates and edits campaigns, bad dates are refused", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  f.account("admin", "admin", {});
  const auto cookie = f.login("admin");
  const std::string csrf = f.csrf(cookie);
  const std::string dates =
      "&collecting_from=2027-01-01&supporting_from=2027-02-01&review_from=2027-03-01"
      "&decision_from=2027-04-01&implementation_from=2027-05-01&closed_from=2028-01-01";
  auto r = f.post(cookie, "/inbox/beteiligung/kampagne",
                  "csrf=" + csrf + "&title=" + urlEncode("Bürgerhaushalt 2028") +
                      "&max_proposals=5&threshold=100&topics=" + urlEncode("Verkehr, Kultur") + dates);
  CHECK(r.status == 303);
  CHECK(f.count("SELECT COUNT(*) FROM campaigns WHERE title = 'Bürgerhaushalt 2028' AND "
                "max_proposals_per_citizen = 5 AND support_threshold = 100 AND topics = "
                "'Verkehr' || " + std::string(f.h.pg ? "chr(10)" : "char(10)") + " || 'Kultur'") == 1);
  const auto id = f.count("SELECT id FROM campaigns WHERE title = 'Bürgerhaushalt 2028'");
  r = f.post(cookie, "/inbox/beteiligung/kampagne/" + std::to_string(id),
             "csrf=" + csrf + "&title=X&max_proposals=5&threshold=100" +
                 "&collecting_from=2027-03-01&supporting_from=2027-02-01&review_from=2027-03-01"
                 "&decision_from=2027-04-01&implementation_from=2027-05-01&closed_from=2028-01-01");
  CHECK(r.status == 400);
  r = f.post(cookie, "/inbox/beteiligung/kampagne/" + std::to_string(id),
             "csrf=" + csrf + "&title=Neu&max_proposals=0&threshold=100" + dates);
  CHECK(r.status == 400);
  r = f.post(cookie, "/inbox/beteiligung/kampagne/" + std::to_string(id),
             "csrf=" + csrf + "&title=Neu&max_proposals=2&threshold=10" + dates);
  CHECK(r.status == 303);
  CHECK(f.count("SELECT max_proposals_per_citizen FROM campaigns WHERE id = " + std::to_string(id)) == 2);
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'campaign_save'") == 2);
  CHECK(bb::parseLocalDate("2027-13-01") == std::nullopt);
  CHECK(bb::localIsoDate(*bb::parseLocalDate("2027-02-28")) == "2027-02-28");
}


TEST_CASE_TEMPLATE("participation web: a proposal's typed address and photo are public only as the "
          "moderator approves them", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ParticipationFixture f(B::backend);
  const auto plain = f.submitWithPlaceAndPhoto("Brunnen ohne Foto", 701);
  const auto pictured = f.submitWithPlaceAndPhoto("Brunnen mit Foto", 702);
  const std::string plain_path = "/beteiligung/vorschlag/" + std::to_string(plain);
  const std::string pictured_path = "/beteiligung/vorschlag/" + std::to_string(pictured);
  CHECK(f.call("GET", pictured_path + "/foto").status == 404);  // nothing before moderation

  f.account("mod", "moderator", {});
  const auto cookie = f.login("mod");
  // The moderator sees the citizen's words and the photo before deciding.
  const auto queue = f.call("GET", "/inbox/beteiligung", cookie);
  REQUIRE(queue.status == 200);
  CHECK(has(queue.body, "Lindenstraße 12, vor dem Haus von Familie Huber"));
  CHECK(has(queue.body, "name=\"public_address\""));
  CHECK(has(queue.body, "/inbox" + pictured_path + "/foto/thumb"));
  CHECK(has(queue.body, "name=\"photo_public\""));
  const auto thumb = f.call("GET", "/inbox" + pictured_path + "/foto/thumb", cookie);
  CHECK(thumb.status == 200);
  CHECK(thumb.content_type == "image/jpeg");
  CHECK(f.call("GET", "/inbox" + pictured_path + "/foto/thumb").status == 404);  // no session

  const std::string csrf = f.csrf(cookie);
  // Published with the place shortened and the photo left unticked (the default).
  CHECK(f.post(cookie, "/inbox" + plain_path + "/publish",
               "csrf=" + csrf + "&public_address=Lindenstra%C3%9Fe").status == 303);
  auto page = f.call("GET", plain_path);
  REQUIRE(page.status == 200);
  CHECK(has(page.body, "<dt>Ort</dt><dd>Lindenstraße</dd>"));
  CHECK_FALSE(has(page.body, "Lindenstraße 12"));
  CHECK_FALSE(has(page.body, "Huber"));
  CHECK_FALSE(has(page.body, "/foto"));
  CHECK(f.call("GET", plain_path + "/foto").status == 404);

  // Published with the place cleared and the photo ticked.
  CHECK(f.post(cookie, "/inbox" + pictured_path + "/publish",
               "csrf=" + csrf + "&public_address=&photo_public=1").status == 303);
  page = f.call("GET", pictured_path);
  REQUIRE(page.status == 200);
  CHECK_FALSE(has(page.body, "<dt>Ort</dt>"));
  CHECK_FALSE(has(page.body, "Huber"));
  CHECK(has(page.body, "<img src=\"" + pictured_path + "/foto\""));
  const auto photo = f.call("GET", pictured_path + "/foto");
  REQUIRE(photo.status == 200);
  CHECK(photo.content_type == "image/jpeg");
  CHECK(photo.body.rfind("\xFF\xD8", 0) == 0);
  CHECK(photo.body.find("Exif") == std::string::npos);  // the cleaned copy, no camera metadata
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'proposal_publish' AND detail = "
                "'proposal=" + std::to_string(pictured) + " photo=public'") == 1);
  // A place text beyond 200 characters is refused, nothing published.
  const auto third = f.submitWithPlaceAndPhoto("Dritter Brunnen", 703);
  CHECK(f.post(cookie, "/inbox/beteiligung/vorschlag/" + std::to_string(third) + "/publish",
               "csrf=" + csrf + "&public_address=" + std::string(201, 'x')).status == 400);
  CHECK(f.count("SELECT COUNT(*) FROM proposals WHERE status = 'published'") == 2);
}

}  // namespace bb::test
