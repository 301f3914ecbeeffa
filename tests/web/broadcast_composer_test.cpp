// The staff composer for broadcasts through the inbox route table: editor role,
// CSRF, per-channel preview with length limits, send, schedule, cancel, live progress.

#include <doctest/doctest.h>

#include "bot/subscriptions/broadcast.hpp"
#include "support/stores_of.hpp"
#include "tests/web/inbox_fixture.hpp"
#include "web/inbox/broadcast_composer.hpp"

namespace {

using bb::test::InboxFixture;

struct ComposerFixture : InboxFixture {
  std::unique_ptr<bb::BroadcastStore> store = bb::test::broadcastStoreOf(h);
  bb::BroadcastService service{*store, *h.subscriptions, h.flows.texts, h.clock, {}};
  bb::web::BroadcastComposer composer{inbox->desk(), service, *store, h.flows, {}};

  explicit ComposerFixture(bb::test::Backend backend) : InboxFixture(backend) {
    for (auto& r : composer.routes()) { routes.push_back(r); }
  }

  void subscriber(const std::string& user) {
    for (const std::string& t : std::vector<std::string>{"hallo", "ja", "abonnieren stadtrat"}) {
      auto e = h.event(user, bb::InboundKind::Text, bb::Channel::Telegram);
      e.text = t;
      h.send(e);
    }
  }
};

std::string form(const std::string& csrf, const std::string& rest) {
  return "csrf=" + csrf + "&" + rest;
}

}  // namespace

TEST_CASE_TEMPLATE("composer: only editors and admins compose, agents are refused", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ComposerFixture f(B::backend);
  f.account("erika", "editor", {});
  f.account("anton", "agent", {"tiefbau"});
  const auto agent = f.login("anton");
  CHECK(f.call("GET", "/inbox/rundschreiben", agent).status == 403);
  CHECK(f.post(agent, "/inbox/rundschreiben",
               form(f.csrf(agent), "topic=stadtrat&title=x&body=y")).status == 403);
  const auto editor = f.login("erika");
  auto page = f.call("GET", "/inbox/rundschreiben", editor);
  CHECK(page.status == 200);
  CHECK(page.body.find("Haupt- und Finanzausschuss") != std::string::npos);
  // Without the CSRF token nothing is stored.
  CHECK(f.post(editor, "/inbox/rundschreiben", "topic=stadtrat&title=x&body=y").status == 403);
  CHECK(f.count("SELECT count(*) FROM bc_broadcasts") == 0);
}

TEST_CASE_TEMPLATE("composer: draft with preview per channel, send, live progress, audit", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ComposerFixture f(B::backend);
  f.subscriber("lena");
  f.account("erika", "editor", {});
  const auto editor = f.login("erika");
  const auto csrf = f.csrf(editor);
  auto created = f.post(editor, "/inbox/rundschreiben",
                        form(csrf, "topic=stadtrat&title=" + bb::urlEncode(bb::test::kXss) +
                                       "&body=" + bb::urlEncode("Sitzung heute 18 Uhr") +
                                       "&link=" + bb::urlEncode("https://ris.example.org/1")));
  REQUIRE(created.status == 303);
  const std::string location = InboxFixture::header(created, "Location");
  CHECK(location == "/inbox/rundschreiben/1");
  auto detail = f.call("GET", location, editor);
  CHECK(detail.status == 200);
  CHECK(detail.body.find("<script>alert(1)") == std::string::npos);  // escaped
  CHECK(detail.body.find("whatsapp – ") != std::string::npos);
  CHECK(detail.body.find(" / 3800 Zeichen") != std::string::npos);
  CHECK(detail.body.find("telegram – ") != std::string::npos);
  CHECK(detail.body.find("Nachricht anzeigen") != std::string::npos);  // the 24 h hint
  // Too long for the strictest channel: refused.
  auto too_long = f.post(editor, "/inbox/rundschreiben",
                         form(csrf, "topic=stadtrat&title=t&body=" + std::string(1025, 'x')));
  CHECK(InboxFixture::header(too_long, "Location") == "/inbox/rundschreiben?error=invalid");

  auto sent = f.post(editor, location + "/send", form(csrf, ""));
  CHECK(InboxFixture::header(sent, "Location") == location + "?ok=send");
  auto progress = f.call("GET", location + "/progress", editor);
  CHECK(progress.status == 200);
  CHECK(progress.body == "{\"queued\":1,\"sent\":0,\"delivered\":0,\"failed\":0}");
  auto live = f.call("GET", location, editor);
  CHECK(InboxFixture::header(live, "Refresh") == "5");
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'broadcast_send'") == 1);
  // Sent once only.
  auto again = f.post(editor, location + "/send", form(csrf, ""));
  CHECK(InboxFixture::header(again, "Location") == location + "?error=state");
  CHECK(f.count("SELECT count(*) FROM outbox WHERE kind = 'broadcast'") == 1);
  // Cancel stops what is still queued.
  f.post(editor, location + "/cancel", form(csrf, ""));
  progress = f.call("GET", location + "/progress", editor);
  CHECK(progress.body == "{\"queued\":0,\"sent\":0,\"delivered\":0,\"failed\":1}");
}

TEST_CASE_TEMPLATE("composer: schedule a draft, the scheduler sends it when due", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  ComposerFixture f(B::backend);
  f.subscriber("mara");
  f.account("erika", "editor", {});
  const auto editor = f.login("erika");
  const auto csrf = f.csrf(editor);
  f.post(editor, "/inbox/rundschreiben", form(csrf, "topic=stadtrat&title=t&body=Termin"));
  auto scheduled = f.post(editor, "/inbox/rundschreiben/1/schedule",
                          form(csrf, "at=2030-01-01T10:00"));
  CHECK(InboxFixture::header(scheduled, "Location") == "/inbox/rundschreiben/1?ok=schedule");
  CHECK(f.count("SELECT count(*) FROM bc_broadcasts WHERE status = 'scheduled'") == 1);
  CHECK(f.service.runDue() == 0);
  f.h.clock.advance(std::chrono::hours(24 * 365 * 4));
  CHECK(f.service.runDue() == 1);
  CHECK(f.count("SELECT count(*) FROM outbox WHERE kind = 'broadcast'") == 1);
}
