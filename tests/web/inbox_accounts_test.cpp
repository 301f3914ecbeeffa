// Staff accounts in daily use: a login returns to the page asked for (never to another site),
// members change their own password, admins reset one to a temporary password that must be
// replaced before anything else, the demo password must be changed at the first login,
// "Überall abmelden", department names people read, and the new work per department.

#include <doctest/doctest.h>

#include <iostream>
#include <sstream>

#include "app/demo/demo_data.hpp"
#include "inbox_fixture.hpp"

using bb::test::InboxFixture;
using bb::test::kPassword;
using namespace bb;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

//! Logs in through the login page opened with `?next=`; returns the POST's answer.
HttpResponse loginWithNext(InboxFixture& f, const std::string& login, const std::string& password,
                           const std::string& next) {
  const auto form = f.call("GET", "/inbox/login?next=" + urlEncode(next));
  std::string pre = InboxFixture::setCookie(form, "bb_inbox_pre");
  REQUIRE(pre.size() == 32);
  return f.call("POST", "/inbox/login", "bb_inbox_pre=" + pre,
                "login=" + urlEncode(login) + "&password=" + urlEncode(password) +
                    "&next=" + urlEncode(next) + "&csrf=" + f.inbox->loginCsrfFor(pre));
}

std::string sessionOf(const HttpResponse& r) { return "bb_inbox=" + InboxFixture::setCookie(r, "bb_inbox"); }

//! The CSRF token of a session from the own account page (open even while a password is due).
std::string csrfOf(InboxFixture& f, const std::string& cookie) {
  auto r = f.call("GET", "/inbox/konto", cookie);
  static const std::regex kField(R"re(name="csrf" value="([0-9a-f]{64})")re");
  std::smatch m;
  REQUIRE(std::regex_search(r.body, m, kField));
  return m[1].str();
}

std::string passwordForm(const std::string& current, const std::string& next,
                         const std::string& again, const std::string& csrf) {
  return "current=" + urlEncode(current) + "&password=" + urlEncode(next) +
         "&password2=" + urlEncode(again) + "&csrf=" + csrf;
}

std::int64_t auditCount(InboxFixture& f, const std::string& action) {
  return f.count("SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
}

}  // namespace

TEST_CASE_TEMPLATE("inbox accounts: a login from a ticket link returns to that ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  const auto number = std::to_string(f.report("bert", "strassenbeleuchtung", "Lampe aus"));
  const std::string page = "/inbox/tickets/" + number;

  auto asked = f.call("GET", page);
  REQUIRE(asked.status == 303);
  CHECK(InboxFixture::header(asked, "Location") == "/inbox/login?next=" + urlEncode(page));
  // The list with its filters is kept too; the bare list needs no `next`.
  CHECK(InboxFixture::header(f.call("GET", "/inbox?status=all&neu=1"), "Location") ==
        "/inbox/login?next=" + urlEncode("/inbox?neu=1&status=all"));
  CHECK(InboxFixture::header(f.call("GET", "/inbox"), "Location") == "/inbox/login");

  auto form = f.call("GET", "/inbox/login?next=" + urlEncode(page));
  CHECK(contains(form.body, "name=\"next\" value=\"" + page + "\""));

  // A wrong password keeps the target for the next try.
  auto wrong = loginWithNext(f, "anna", "falsch-falsch-falsch", page);
  CHECK(InboxFixture::header(wrong, "Location") == "/inbox/login?e=1&next=" + urlEncode(page));

  auto in = loginWithNext(f, "anna", kPassword, page);
  REQUIRE(in.status == 303);
  CHECK(InboxFixture::header(in, "Location") == page);
  CHECK(f.call("GET", page, sessionOf(in)).status == 200);
  // Signed in already: the login page sends on to the target.
  CHECK(InboxFixture::header(f.call("GET", "/inbox/login?next=" + urlEncode(page), sessionOf(in)),
                             "Location") == page);
}

TEST_CASE_TEMPLATE("inbox accounts: a login never returns to another site or outside the inbox", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  for (const std::string next :
       {"//evil.example/", "https://evil.example/inbox", "/\\evil.example", "/inbox\\evil",
        "/inbox\r\nSet-Cookie: bb_inbox=1", "/inbox%0d%0aX: 1", "/inboxevil", "/inbox//evil.example",
        "/inbox/../admin", "/inbox/%2e%2e/x", "javascript:alert(1)", "/inbox/login?next=//evil",
        " /inbox", "/inbox/tickets/1 x", "/healthz", ""}) {
    CAPTURE(next);
    CHECK_FALSE(web::returnPath(next).has_value());
    auto page = f.call("GET", "/inbox/login?next=" + urlEncode(next));
    CHECK_FALSE(contains(page.body, "name=\"next\""));
    auto in = loginWithNext(f, "anna", kPassword, next);
    REQUIRE(in.status == 303);
    CHECK(InboxFixture::header(in, "Location") == "/inbox");
  }
  CHECK(web::returnPath("/inbox/tickets/12?x=1") == std::optional<std::string>("/inbox/tickets/12?x=1"));
  CHECK(web::returnPath("/inbox") == std::optional<std::string>("/inbox"));
}

TEST_CASE_TEMPLATE("inbox accounts: a member changes their own password and other browsers are signed out", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "agent", {"bauhof"});
  const std::string here = f.login("anna");
  const std::string elsewhere = f.login("anna");
  const std::string csrf = csrfOf(f, here);
  const std::string fresh = "ein-ganz-neues-passwort";
  const auto hash = [&f] {
    return f.inbox_store->staffByLogin("anna")->value().password_hash;
  };
  const std::string before = hash();

  auto page = f.call("GET", "/inbox/konto", here);
  CHECK(page.status == 200);
  CHECK(contains(page.body, "action=\"/inbox/konto/passwort\""));
  CHECK(contains(page.body, "Überall abmelden"));

  // Refused: wrong current password, two different new ones, too short; nothing changes.
  auto wrong = f.post(here, "/inbox/konto/passwort", passwordForm("falsch-falsch", fresh, fresh, csrf));
  CHECK(wrong.status == 400);
  CHECK(contains(wrong.body, "Das aktuelle Passwort stimmt nicht."));
  CHECK(f.post(here, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh + "x", csrf)).status == 400);
  auto shortp = f.post(here, "/inbox/konto/passwort", passwordForm(kPassword, "kurz12345", "kurz12345", csrf));
  CHECK(shortp.status == 400);
  CHECK(contains(shortp.body, "mindestens 10 Zeichen"));
  CHECK(hash() == before);
  CHECK(auditCount(f, "password_change_failed") == 1);

  auto done = f.post(here, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh, csrf));
  REQUIRE(done.status == 303);
  CHECK(InboxFixture::header(done, "Location") == "/inbox/konto?ok=1");
  CHECK(hash() != before);
  CHECK(f.call("GET", "/inbox", here).status == 200);       // this browser stays signed in
  CHECK(f.call("GET", "/inbox", elsewhere).status == 303);  // the other one is signed out
  CHECK(f.loginResponse("anna", kPassword).status == 303);
  CHECK(InboxFixture::header(f.loginResponse("anna", kPassword), "Location") == "/inbox/login?e=1");
  CHECK(InboxFixture::header(f.loginResponse("anna", fresh), "Location") == "/inbox");
  CHECK(auditCount(f, "password_change") == 1);

  f.account("root", "admin", {});
  auto audit = f.call("GET", "/inbox/audit", f.login("root"));
  CHECK(contains(audit.body, "Eigenes Passwort geändert"));
  CHECK(contains(audit.body, "Passwortänderung abgelehnt"));
}

TEST_CASE_TEMPLATE("inbox accounts: wrong current passwords under Mein Konto count as wrong logins of that account only", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);  // 10 failures a minute: the tenth attempt is refused
  f.account("anna", "agent", {"bauhof"});
  f.account("bert", "agent", {"bauhof"});
  const std::string anna = f.login("anna");
  const std::string csrf = csrfOf(f, anna);
  const std::string fresh = "ein-ganz-neues-passwort";
  const std::string before = f.inbox_store->staffByLogin("anna")->value().password_hash;
  for (int i = 0; i < 9; ++i) {
    CHECK(f.post(anna, "/inbox/konto/passwort", passwordForm("rate-mal-" + std::to_string(i), fresh, fresh, csrf))
              .status == 400);
  }
  // Even the right current password is refused now, unchecked; so is a login to anna's account.
  auto blocked = f.post(anna, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh, csrf));
  CHECK(blocked.status == 429);
  CHECK(contains(blocked.body, "Zu viele falsche Versuche."));
  CHECK(f.inbox_store->staffByLogin("anna")->value().password_hash == before);
  CHECK(f.loginResponse("anna", kPassword, "198.51.100.7").status == 429);
  // Another account from another client is not touched.
  CHECK(InboxFixture::header(f.loginResponse("bert", kPassword, "198.51.100.8"), "Location") == "/inbox");
  // The count is kept in the database: it survives a restart.
  f.restart();
  CHECK(f.post(anna, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh, csrf)).status == 429);
  // A minute later the member may try again.
  f.h.clock.advance(std::chrono::seconds(61));
  CHECK(f.post(anna, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh, csrf)).status == 303);
  CHECK(auditCount(f, "password_change_throttled") == 2);
}

TEST_CASE_TEMPLATE("inbox accounts: every new form needs the session's CSRF token", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto anna = f.account("anna", "agent", {"bauhof"});
  f.account("root", "admin", {});
  const std::string a = f.login("anna");
  const std::string root = f.login("root");
  const std::string fresh = "ein-ganz-neues-passwort";
  const std::string before = f.inbox_store->staffById(anna)->value().password_hash;
  for (const std::string& token : {std::string(), std::string(64, 'a'), csrfOf(f, root)}) {
    CAPTURE(token);
    CHECK(f.post(a, "/inbox/konto/passwort", passwordForm(kPassword, fresh, fresh, token)).status == 403);
    CHECK(f.post(a, "/inbox/konto/abmelden", "csrf=" + token).status == 403);
  }
  for (const std::string& token : {std::string(), std::string(64, 'a'), csrfOf(f, a)}) {
    CHECK(f.post(root, "/inbox/admin/staff/" + std::to_string(anna) + "/passwort", "csrf=" + token).status == 403);
  }
  CHECK(f.inbox_store->staffById(anna)->value().password_hash == before);
  CHECK_FALSE(f.inbox_store->staffById(anna)->value().must_change_password);
  CHECK(f.call("GET", "/inbox", a).status == 200);
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action IN ('password_change', 'password_reset', 'logout_all')") == 0);
}

TEST_CASE_TEMPLATE("inbox accounts: an admin resets a password, the member must choose a new one first", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto anna = f.account("anna", "agent", {"bauhof"});
  f.account("root", "admin", {});
  const auto number = std::to_string(f.report("bert", "strassenbeleuchtung", "Lampe aus"));
  const std::string anna_old = f.login("anna");
  const std::string root = f.login("root");
  const std::string reset_url = "/inbox/admin/staff/" + std::to_string(anna) + "/passwort";

  // Only admins reset, and not their own password.
  CHECK(f.post(anna_old, reset_url, "csrf=" + csrfOf(f, anna_old)).status == 403);
  auto accounts = f.call("GET", "/inbox/admin/staff", root);
  CHECK(contains(accounts.body, "action=\"" + reset_url + "\""));

  auto shown = f.post(root, reset_url, "csrf=" + csrfOf(f, root));
  REQUIRE(shown.status == 200);
  static const std::regex kTemp(R"re(<code>([A-Za-z2-9]{14})</code>)re");
  std::smatch m;
  REQUIRE(std::regex_search(shown.body, m, kTemp));
  const std::string temporary = m[1].str();
  CHECK(InboxFixture::header(shown, "Cache-Control") == "no-store");
  CHECK(auditCount(f, "password_reset") == 1);
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%" + temporary + "%'") == 0);
  CHECK(f.call("GET", "/inbox", anna_old).status == 303);  // her sessions ended
  CHECK(InboxFixture::header(f.loginResponse("anna", kPassword), "Location") == "/inbox/login?e=1");

  // The temporary password signs in, but only to the password form; the ticket comes after it.
  const std::string page = "/inbox/tickets/" + number;
  auto in = loginWithNext(f, "anna", temporary, page);
  REQUIRE(in.status == 303);
  CHECK(InboxFixture::header(in, "Location") == "/inbox/konto?next=" + urlEncode(page));
  const std::string a = sessionOf(in);
  auto list = f.call("GET", "/inbox", a);
  CHECK(list.status == 303);
  CHECK(InboxFixture::header(list, "Location") == "/inbox/konto");
  CHECK(InboxFixture::header(f.call("GET", page, a), "Location") == "/inbox/konto?next=" + urlEncode(page));
  CHECK(f.call("GET", "/inbox/media/1", a).status != 200);
  const std::string csrf = csrfOf(f, a);
  CHECK(f.post(a, page + "/note", "text=x&csrf=" + csrf).status == 403);
  CHECK(f.post(a, "/inbox/konto/abmelden", "csrf=" + csrf).status == 403);
  auto form = f.call("GET", "/inbox/konto?next=" + urlEncode(page), a);
  CHECK(contains(form.body, "Bitte legen Sie jetzt ein eigenes Passwort fest."));
  CHECK(contains(form.body, "name=\"next\" value=\"" + page + "\""));

  const std::string fresh = "annas-eigenes-passwort";
  CHECK(f.post(a, "/inbox/konto/passwort", passwordForm(temporary, temporary, temporary, csrf)).status == 400);
  auto chosen = f.post(a, "/inbox/konto/passwort",
                       passwordForm(temporary, fresh, fresh, csrf) + "&next=" + urlEncode(page));
  REQUIRE(chosen.status == 303);
  CHECK(InboxFixture::header(chosen, "Location") == page);
  CHECK(f.call("GET", page, a).status == 200);
  CHECK_FALSE(f.inbox_store->staffById(anna)->value().must_change_password);
  CHECK(InboxFixture::header(f.loginResponse("anna", temporary), "Location") == "/inbox/login?e=1");
  CHECK(InboxFixture::header(f.loginResponse("anna", fresh), "Location") == "/inbox");
}

TEST_CASE_TEMPLATE("inbox accounts: the demo password must be changed at the first login", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  app::seedDemoAdmin(*f.inbox_store, f.inbox->departments(), "http://localhost:8080", f.h.clock);
  std::cout.rdbuf(old);
  static const std::regex kShown(R"re(login: demo  password: (\S+))re");
  std::smatch m;
  const std::string printed = out.str();
  REQUIRE(std::regex_search(printed, m, kShown));
  auto in = f.loginResponse("demo", m[1].str());
  REQUIRE(in.status == 303);
  CHECK(InboxFixture::header(in, "Location") == "/inbox/konto");
  const std::string demo = sessionOf(in);
  CHECK(InboxFixture::header(f.call("GET", "/inbox/audit", demo), "Location") ==
        "/inbox/konto?next=" + urlEncode("/inbox/audit"));
  const std::string fresh = "ein-eigenes-demo-passwort";
  auto chosen = f.post(demo, "/inbox/konto/passwort", passwordForm(m[1].str(), fresh, fresh, csrfOf(f, demo)));
  CHECK(InboxFixture::header(chosen, "Location") == "/inbox");
  CHECK(f.call("GET", "/inbox/audit", demo).status == 200);
}

TEST_CASE_TEMPLATE("inbox accounts: Überall abmelden ends every session of the member", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "agent", {"bauhof"});
  f.account("bert", "agent", {"bauhof"});
  const std::string one = f.login("anna");
  const std::string two = f.login("anna");
  const std::string other = f.login("bert");
  CHECK(f.call("GET", "/inbox", one).status == 200);
  CHECK(f.call("GET", "/inbox", two).status == 200);
  auto out = f.post(two, "/inbox/konto/abmelden", "csrf=" + csrfOf(f, two));
  REQUIRE(out.status == 303);
  CHECK(InboxFixture::header(out, "Location") == "/inbox/login");
  CHECK(f.call("GET", "/inbox", one).status == 303);
  CHECK(f.call("GET", "/inbox", two).status == 303);
  CHECK(f.call("GET", "/inbox", other).status == 200);  // another member stays signed in
  CHECK(auditCount(f, "logout_all") == 1);
}

TEST_CASE_TEMPLATE("inbox accounts: departments show their configured names", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.options.department_names = {{"tiefbau-kernstadt", "Tiefbauamt Kernstadt"}, {"bauhof", "Bauhof"}};
  f.restart();
  f.account("root", "admin", {});
  const auto number = std::to_string(f.report("anna", "schlagloch", "Tiefes Loch"));
  REQUIRE(f.count("SELECT count(*) FROM tickets WHERE department = 'tiefbau-kernstadt'") == 1);
  const std::string root = f.login("root");
  auto list = f.call("GET", "/inbox", root);
  CHECK(contains(list.body, "<td>Tiefbauamt Kernstadt</td>"));
  CHECK(contains(list.body, "<option value=\"tiefbau-kernstadt\">Tiefbauamt Kernstadt</option>"));
  CHECK_FALSE(contains(list.body, ">tiefbau-kernstadt<"));
  auto ticket = f.call("GET", "/inbox/tickets/" + number, root);
  CHECK(contains(ticket.body, "<dt>Abteilung</dt><dd>Tiefbauamt Kernstadt</dd>"));
  CHECK_FALSE(contains(ticket.body, ">tiefbau-kernstadt<"));
  // A department without a name shows its id.
  CHECK(contains(ticket.body, "<option value=\"stadtgruen\">stadtgruen</option>"));
  auto accounts = f.call("GET", "/inbox/admin/staff", root);
  CHECK(contains(accounts.body, "value=\"tiefbau-kernstadt\"> Tiefbauamt Kernstadt</label>"));
  // The navigation's new work names the department too.
  CHECK(contains(list.body, "<span class=\"dep\">Tiefbauamt Kernstadt</span>: <a"));
}

TEST_CASE_TEMPLATE("inbox accounts: the navigation counts new tickets and new citizen messages per department", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.options.department_names = {{"tiefbau-kernstadt", "Tiefbauamt Kernstadt"}};
  f.restart();
  f.account("root", "admin", {});
  f.account("lamp", "agent", {"bauhof"});
  const auto hole1 = std::to_string(f.report("anna", "schlagloch", "Loch eins"));
  const auto hole2 = std::to_string(f.report("bert", "schlagloch", "Loch zwei"));
  f.report("carl", "strassenbeleuchtung", "Lampe aus");
  const std::string root = f.login("root");
  const std::string csrf = f.csrf(root);
  // Triaged: no longer new. Written to: the citizen's answers are new messages.
  REQUIRE(f.post(root, "/inbox/tickets/" + hole1 + "/status",
                 "status=in_bearbeitung&note=Wir+kuemmern+uns&csrf=" + csrf).status == 303);
  REQUIRE(f.post(root, "/inbox/tickets/" + hole2 + "/reply", "text=Wo+genau%3F&csrf=" + csrf).status == 303);
  f.h.text("anna", "Vor der Apotheke");
  f.h.text("anna", "Es ist tief");
  f.h.text("bert", "Am Brunnen");
  REQUIRE(f.count("SELECT count(*) FROM ticket_events WHERE kind = 'citizen_message'") == 3);

  auto nav = [&f](const std::string& cookie) {
    auto r = f.call("GET", "/inbox/audit", cookie);
    if (r.status != 200) { r = f.call("GET", "/inbox/konto", cookie); }
    return r.body;
  };
  const std::string admin = nav(root);
  CHECK(contains(admin, "<summary>Neu <span class=\"count new-count\">5</span></summary>"));
  CHECK(contains(admin, "<li data-department=\"tiefbau-kernstadt\" data-new-tickets=\"1\" "
                        "data-new-messages=\"3\"><span class=\"dep\">Tiefbauamt Kernstadt</span>: "
                        "<a href=\"/inbox?status=eingegangen&amp;department=tiefbau-kernstadt\">1 "
                        "neue Meldung</a>, <a href=\"/inbox?status=all&amp;neu=1&amp;"
                        "department=tiefbau-kernstadt\">3 neue Nachrichten</a></li>"));
  CHECK(contains(admin, "<li data-department=\"bauhof\" data-new-tickets=\"1\" data-new-messages=\"0\">"
                        "<span class=\"dep\">bauhof</span>: <a href=\"/inbox?status=eingegangen&amp;"
                        "department=bauhof\">1 neue Meldung</a></li>"));
  // An agent sees only their departments.
  const std::string agent = nav(f.login("lamp"));
  CHECK(contains(agent, "<summary>Neu <span class=\"count new-count\">1</span></summary>"));
  CHECK_FALSE(contains(agent, "tiefbau-kernstadt"));

  // Opening a ticket reads its messages for the team; triaging the last new ticket of a
  // department leaves that department out.
  REQUIRE(f.call("GET", "/inbox/tickets/" + hole1, root).status == 200);
  REQUIRE(f.post(root, "/inbox/tickets/" + hole2 + "/status",
                 "status=in_bearbeitung&note=Danke&csrf=" + csrf).status == 303);
  const std::string later = nav(root);
  CHECK(contains(later, "<summary>Neu <span class=\"count new-count\">2</span></summary>"));
  CHECK(contains(later, "data-department=\"tiefbau-kernstadt\" data-new-tickets=\"0\" data-new-messages=\"1\""));
}
