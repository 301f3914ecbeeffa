// The daily digest by mail (bot/staff/digest.hpp) over the real engine and inbox store,
// with a recording mailer in place of SMTP, and its form under "Mein Konto".

#include <doctest/doctest.h>

#include <string>

#include "bot/runtime/metrics.hpp"
#include "bot/staff/digest.hpp"
#include "bot/text/local_time.hpp"
#include "inbox_fixture.hpp"

using bb::test::InboxFixture;
using namespace bb;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class RecordingMailer final : public Mailer {
public:
  Result<void> send(const MailMessage& mail) override {
    ++tries;
    if (!failure.empty()) { return fail(ErrorCode::Unavailable, failure); }
    sent.push_back(mail);
    return {};
  }
  std::vector<MailMessage> sent;
  std::string failure;  //!< when set, every send fails with it
  int tries = 0;
};

//! Moves the fixture's clock to a Berlin wall time ("2026-11-19T07:00").
void setLocal(InboxFixture& f, const std::string& local) {
  const auto at = parseLocalDateTime(local);
  REQUIRE(at.has_value());
  REQUIRE(*at >= f.h.clock.now());
  f.h.clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(*at - f.h.clock.now()));
}

DigestPolicy policy() {
  DigestPolicy p;
  p.hour = 7;
  p.public_url = "https://buergerbox.stadt.example/";
  p.department_names = {{"tiefbau-kernstadt", "Tiefbauamt Kernstadt"}};
  return p;
}

const MailMessage* mailTo(const RecordingMailer& m, const std::string& to) {
  for (const auto& mail : m.sent) {
    if (mail.to == to) { return &mail; }
  }
  return nullptr;
}

AuditEntry audit(std::int64_t staff_id) {
  AuditEntry a;
  a.staff_id = staff_id;
  a.action = "digest_on";
  return a;
}

}  // namespace

TEST_CASE_TEMPLATE("staff digest: once a Berlin day from the set hour, counts of the member's departments only", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto root = f.account("root", "admin", {});
  const auto lamp = f.account("lamp", "agent", {"bauhof"});
  const auto quiet = f.account("quiet", "agent", {"bauhof"});
  const auto gone = f.account("gone", "agent", {"bauhof"});
  const auto mod = f.account("mod", "moderator", {});
  f.report("anna", "schlagloch", "Loch vor Hausnummer 7");
  f.report("bert", "schlagloch", "Noch ein Loch");
  f.report("carl", "strassenbeleuchtung", "Lampe aus");
  REQUIRE(f.inbox_store->setDigest(root, "root@stadt.example", true, audit(root)));
  REQUIRE(f.inbox_store->setDigest(lamp, "lamp@stadt.example", true, audit(lamp)));
  REQUIRE(f.inbox_store->setDigest(quiet, "quiet@stadt.example", false, audit(quiet)));
  REQUIRE(f.inbox_store->setDigest(gone, "gone@stadt.example", true, audit(gone)));
  REQUIRE(f.inbox_store->setDigest(mod, "mod@stadt.example", true, audit(mod)));
  REQUIRE(f.inbox_store->updateStaff(gone, StaffRole::Agent, {"bauhof"}, true, audit(root)));

  RecordingMailer mailer;
  Metrics metrics;
  StaffDigest digest(*f.inbox_store, mailer, policy(), &metrics);
  setLocal(f, "2026-11-19T06:59");
  CHECK(digest.run(f.h.clock.now()).sent == 0);  // before 7 o'clock Berlin time (05:59 UTC)
  CHECK(mailer.sent.empty());

  setLocal(f, "2026-11-19T07:00");
  const auto first = digest.run(f.h.clock.now());
  CHECK(first.sent == 2);
  CHECK(first.nothing_new == 1);  // the moderator works no tickets: nothing to tell
  REQUIRE(mailer.sent.size() == 2);
  const MailMessage* admin = mailTo(mailer, "root@stadt.example");
  REQUIRE(admin != nullptr);
  CHECK(admin->subject == "Bürgerbox: 3 neue Meldungen, 0 ungelesene Nachrichten");
  CHECK(contains(admin->text, "(Stand 19.11.2026 07:00 Uhr)"));
  CHECK(contains(admin->text, "- Tiefbauamt Kernstadt: 2 neue Meldungen\n"));
  CHECK(contains(admin->text, "- bauhof: 1 neue Meldung\n"));
  CHECK(contains(admin->text, "Zum Posteingang: https://buergerbox.stadt.example/inbox\n"));
  CHECK(contains(admin->text, "https://buergerbox.stadt.example/inbox/konto"));
  const MailMessage* agent = mailTo(mailer, "lamp@stadt.example");
  REQUIRE(agent != nullptr);
  CHECK(agent->subject == "Bürgerbox: 1 neue Meldung, 0 ungelesene Nachrichten");
  CHECK_FALSE(contains(agent->text, "Tiefbau"));
  for (const auto& m : mailer.sent) {  // counts and links only
    CHECK_FALSE(contains(m.text, "Loch"));
    CHECK_FALSE(contains(m.text, "Lampe aus"));
    CHECK_FALSE(contains(m.text, "anna"));
  }
  CHECK(contains(metrics.render(), "buergerbox_staff_digests_total{result=\"sent\"} 2"));

  // Later the same day: nothing again. The next morning: the work still waits, so again.
  setLocal(f, "2026-11-19T18:00");
  CHECK(digest.run(f.h.clock.now()).sent == 0);
  setLocal(f, "2026-11-20T06:30");
  CHECK(digest.run(f.h.clock.now()).sent == 0);
  setLocal(f, "2026-11-20T07:10");
  CHECK(digest.run(f.h.clock.now()).sent == 2);
  CHECK(mailer.sent.size() == 4);
  auto root_setting = f.inbox_store->digestSetting(root);
  REQUIRE(root_setting);
  REQUIRE(root_setting->has_value());
  CHECK((*root_setting)->last_day == "2026-11-20");
}

TEST_CASE_TEMPLATE("staff digest: a day without new work sends nothing, new citizen messages count", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto root = f.account("root", "admin", {});
  const auto number = std::to_string(f.report("anna", "schlagloch", "Tiefes Loch"));
  REQUIRE(f.inbox_store->setDigest(root, "root@stadt.example", true, audit(root)));
  const std::string cookie = f.login("root");
  const std::string csrf = f.csrf(cookie);
  REQUIRE(f.post(cookie, "/inbox/tickets/" + number + "/status",
                 "status=in_bearbeitung&note=Wir+kuemmern+uns&csrf=" + csrf).status == 303);
  RecordingMailer mailer;
  StaffDigest digest(*f.inbox_store, mailer, policy());
  setLocal(f, "2026-11-19T08:00");
  CHECK(digest.run(f.h.clock.now()).nothing_new == 1);
  CHECK(mailer.sent.empty());

  f.h.text("anna", "Vor der Apotheke");
  setLocal(f, "2026-11-20T07:00");
  CHECK(digest.run(f.h.clock.now()).sent == 1);
  REQUIRE(mailer.sent.size() == 1);
  CHECK(mailer.sent[0].subject == "Bürgerbox: 0 neue Meldungen, 1 ungelesene Nachricht");
  CHECK(contains(mailer.sent[0].text, "- Tiefbauamt Kernstadt: 1 ungelesene Nachricht\n"));
  CHECK_FALSE(contains(mailer.sent[0].text, "Apotheke"));
}

TEST_CASE_TEMPLATE("staff digest: a failing mail is retried, given up for the day after three tries, shown on Mein Konto", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.options.digest_hour = 7;
  f.restart();
  const auto root = f.account("root", "admin", {});
  f.report("anna", "schlagloch", "Tiefes Loch");
  REQUIRE(f.inbox_store->setDigest(root, "root@stadt.example", true, audit(root)));
  RecordingMailer mailer;
  mailer.failure = "Login denied (SMTP 535)";
  Metrics metrics;
  StaffDigest digest(*f.inbox_store, mailer, policy(), &metrics);
  for (const char* at : {"2026-11-19T07:00", "2026-11-19T07:05", "2026-11-19T07:10", "2026-11-19T07:15",
                         "2026-11-19T12:00"}) {
    setLocal(f, at);
    (void)digest.run(f.h.clock.now());
  }
  CHECK(mailer.tries == 3);  // not retried forever
  CHECK(contains(metrics.render(), "buergerbox_staff_digests_total{result=\"failed\"} 3"));
  const std::string cookie = f.login("root");
  auto page = f.call("GET", "/inbox/konto", cookie);
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "Die Übersicht konnte am 19.11.2026 07:10 Uhr nicht gesendet werden "
                            "(Login denied (SMTP 535)). Nächster Versuch morgen."));

  // The next day the server works again: the mail goes out and the error is gone.
  mailer.failure.clear();
  setLocal(f, "2026-11-20T07:00");
  CHECK(digest.run(f.h.clock.now()).sent == 1);
  page = f.call("GET", "/inbox/konto", f.login("root"));  // a day later: a new session
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "Zuletzt gesendet: 20.11.2026 07:00 Uhr."));
  CHECK_FALSE(contains(page.body, "nicht gesendet"));
}

TEST_CASE_TEMPLATE("staff digest: Mein Konto turns it on and off, checks the address, only where mail is set up", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.options.digest_hour = 7;
  f.restart();
  const auto lamp = f.account("lamp", "agent", {"bauhof"});
  f.account("mod", "moderator", {});
  const std::string cookie = f.login("lamp");
  const std::string csrf = f.csrf(cookie);
  auto page = f.call("GET", "/inbox/konto", cookie);
  CHECK(contains(page.body, "<h2>Tägliche Übersicht per E-Mail</h2>"));
  CHECK(contains(page.body, "Einmal am Tag ab 7 Uhr"));
  CHECK(contains(page.body, "action=\"/inbox/konto/uebersicht\""));
  auto setting = [&] { return f.inbox_store->digestSetting(lamp).value(); };
  CHECK_FALSE(setting().has_value());  // off by default: nothing stored

  auto bad = f.post(cookie, "/inbox/konto/uebersicht", "email=lamp%40&enabled=1&csrf=" + csrf);
  CHECK(bad.status == 400);
  CHECK(contains(bad.body, "Bitte geben Sie eine gültige E-Mail-Adresse an"));
  auto header_trick = f.post(cookie, "/inbox/konto/uebersicht",
                             "email=a%40b.example%0D%0ABcc%3A+x%40evil.example&enabled=1&csrf=" + csrf);
  CHECK(header_trick.status == 400);
  CHECK_FALSE(setting().has_value());
  CHECK(f.post(cookie, "/inbox/konto/uebersicht", "email=lamp%40stadt.example&enabled=1").status != 303);

  auto on = f.post(cookie, "/inbox/konto/uebersicht", "email=+lamp%40stadt.example+&enabled=1&csrf=" + csrf);
  CHECK(on.status == 303);
  REQUIRE(setting().has_value());
  CHECK(setting()->email == "lamp@stadt.example");
  CHECK(setting()->enabled);
  page = f.call("GET", "/inbox/konto?ok=uebersicht", cookie);
  CHECK(contains(page.body, "Ihre Einstellung zur Übersicht ist gespeichert."));
  CHECK(contains(page.body, "value=\"lamp@stadt.example\""));
  CHECK(contains(page.body, "value=\"1\" checked"));

  auto off = f.post(cookie, "/inbox/konto/uebersicht", "email=lamp%40stadt.example&csrf=" + csrf);
  CHECK(off.status == 303);
  CHECK_FALSE(setting()->enabled);
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action IN ('digest_on', 'digest_off')") == 2);

  // A moderator works no tickets: no digest offered.
  const std::string moderator = f.login("mod");
  CHECK_FALSE(contains(f.call("GET", "/inbox/konto", moderator).body, "Tägliche Übersicht"));

  // Without a mail server (smtp.url empty) the section is not there and the form is refused.
  f.options.digest_hour = -1;
  f.restart();
  CHECK_FALSE(contains(f.call("GET", "/inbox/konto", cookie).body, "Tägliche Übersicht"));
  CHECK(f.post(cookie, "/inbox/konto/uebersicht", "email=lamp%40stadt.example&enabled=1&csrf=" + csrf)
            .status == 400);
}
