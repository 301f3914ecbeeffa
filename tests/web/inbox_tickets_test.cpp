// Staff inbox: the authorization matrix, ticket list (filters, pagination), ticket view
// (escaping, photos), and the staff actions (reply, status, note, assign, category, merge).

#include "web/inbox_fixture.hpp"
#include "web/inbox/views.hpp"

#include "bot/conversation/codec.hpp"

namespace bb::test {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

//! Ticket numbers linked from a list page, in order.
std::vector<std::int64_t> listedNumbers(const std::string& body) {
  static const std::regex kLink(R"re(<td class="num"><a href="/inbox/tickets/([0-9]+)">)re");
  std::vector<std::int64_t> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kLink); it != std::sregex_iterator();
       ++it) {
    out.push_back(std::stoll((*it)[1].str()));
  }
  return out;
}

std::string nextLink(const std::string& body) {
  static const std::regex kNext(R"re(<a rel="next" href="([^"]+)")re");
  std::smatch m;
  if (!std::regex_search(body, m, kNext)) { return {}; }
  std::string href = m[1].str();
  for (std::size_t pos = href.find("&amp;"); pos != std::string::npos; pos = href.find("&amp;")) {
    href.replace(pos, 5, "&");
  }
  return href;
}

TEST_CASE_TEMPLATE("inbox: authorization matrix — agent of department A never reaches a B ticket", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto a_ticket = f.report("citizen-a", "muell", "Loch A");                // ordnungsamt
  const auto b_ticket = f.report("citizen-b", "strassenbeleuchtung", "Lampe B");  // bauhof
  REQUIRE(f.h.store->ticketByNumber(a_ticket).value()->department == "ordnungsamt");
  REQUIRE(f.h.store->ticketByNumber(b_ticket).value()->department == "bauhof");
  const auto [photo, pending] = f.attachPhotos(b_ticket, 7001);
  f.attachPhotos(a_ticket, 7101);
  f.account("agent-a", "agent", {"ordnungsamt"});
  const auto admin_id = f.account("chefin", "admin", {});
  f.account("mod", "moderator", {"ordnungsamt", "bauhof"});
  f.account("red", "editor", {});
  const auto cookie = f.login("agent-a");
  const auto csrf = f.csrf(cookie);
  const std::string b = std::to_string(b_ticket);
  const std::string a = std::to_string(a_ticket);

  const auto events = f.count("SELECT count(*) FROM ticket_events");
  const auto outbox = f.count("SELECT count(*) FROM outbox");
  const auto followers = f.count("SELECT count(*) FROM ticket_followers");

  SUBCASE("list: not listed under any filter or search") {
    for (const std::string& url :
         std::vector<std::string>{"/inbox", "/inbox?status=all", "/inbox?q=" + b, "/inbox?department=bauhof&status=all",
          "/inbox?category=strassenbeleuchtung&status=all", "/inbox?assignee=none",
          "/inbox?q=Lampe&status=all", "/inbox?sort=updated&status=all"}) {
      CAPTURE(url);
      auto r = f.call("GET", url, cookie);
      REQUIRE(r.status == 200);
      const auto numbers = listedNumbers(r.body);
      CHECK(std::find(numbers.begin(), numbers.end(), b_ticket) == numbers.end());
      CHECK_FALSE(contains(r.body, "Lampe B"));
    }
    const auto own = listedNumbers(f.call("GET", "/inbox", cookie).body);
    CHECK(own == std::vector<std::int64_t>{a_ticket});
  }
  SUBCASE("open and photos: 404 like a missing ticket") {
    CHECK(f.call("GET", "/inbox/tickets/" + b, cookie).status == 404);
    CHECK(f.call("GET", "/inbox/tickets/" + a, cookie).status == 200);
    CHECK(f.call("GET", "/inbox/tickets/999999", cookie).status == 404);
    CHECK(f.call("GET", "/inbox/media/" + std::to_string(photo), cookie).status == 404);
    CHECK(f.call("GET", "/inbox/media/" + std::to_string(photo) + "/thumb", cookie).status == 404);
    CHECK(f.call("GET", "/inbox/media/7101", cookie).status == 200);
  }
  SUBCASE("every change: 404 and nothing changes") {
    const std::string base = "/inbox/tickets/" + b + "/";
    const std::string t = "&csrf=" + csrf;
    CHECK(f.post(cookie, base + "reply", "text=Hallo" + t).status == 404);
    CHECK(f.post(cookie, base + "status", "status=erledigt&note=x" + t).status == 404);
    CHECK(f.post(cookie, base + "note", "text=x" + t).status == 404);
    CHECK(f.post(cookie, base + "assign", "assignee=0" + t).status == 404);
    CHECK(f.post(cookie, base + "category", "category=muell&department=ordnungsamt" + t).status ==
          404);
    CHECK(f.post(cookie, base + "merge", "target=" + a + t).status == 404);
    // Merging an own ticket into the foreign one is refused too.
    CHECK(f.post(cookie, "/inbox/tickets/" + a + "/merge", "target=" + b + t).status == 404);
    CHECK(f.count("SELECT count(*) FROM ticket_events") == events);
    CHECK(f.count("SELECT count(*) FROM outbox") == outbox);
    CHECK(f.count("SELECT count(*) FROM ticket_followers") == followers);
    CHECK(f.h.store->ticketByNumber(b_ticket).value()->status == "eingegangen");
    CHECK(f.h.store->ticketByNumber(a_ticket).value()->status == "eingegangen");
    CHECK(f.h.store->ticketByNumber(b_ticket).value()->category_id == "strassenbeleuchtung");
  }
  SUBCASE("admin-only pages are closed to agents") {
    CHECK(f.call("GET", "/inbox/audit", cookie).status == 403);
    CHECK(f.call("GET", "/inbox/admin/staff", cookie).status == 403);
    CHECK(f.post(cookie, "/inbox/admin/staff",
                 "login=neu&role=admin&password=0123456789abc&csrf=" + csrf).status == 403);
    CHECK(f.post(cookie, "/inbox/admin/staff/" + std::to_string(admin_id),
                 "role=agent&disabled=1&csrf=" + csrf).status == 403);
    CHECK(f.count("SELECT count(*) FROM staff_users") == 4);
  }
  SUBCASE("moderator and editor cannot see, reply to or change tickets") {
    for (const char* login : {"mod", "red"}) {
      CAPTURE(login);
      const auto c = f.login(login);
      const auto token = f.csrf(c);
      auto list = f.call("GET", "/inbox?status=all", c);
      CHECK(list.status == 200);
      CHECK(listedNumbers(list.body).empty());
      CHECK(f.call("GET", "/inbox/tickets/" + a, c).status == 404);
      CHECK(f.call("GET", "/inbox/media/7101", c).status == 404);
      CHECK(f.post(c, "/inbox/tickets/" + a + "/reply", "text=Hallo&csrf=" + token).status == 403);
      CHECK(f.post(c, "/inbox/tickets/" + a + "/status", "status=erledigt&csrf=" + token).status ==
            403);
      CHECK(f.post(c, "/inbox/tickets/" + a + "/note", "text=x&csrf=" + token).status == 403);
    }
    CHECK(f.count("SELECT count(*) FROM ticket_events") == events);
    CHECK(f.count("SELECT count(*) FROM outbox") == outbox);
  }
  SUBCASE("an admin sees both departments") {
    const auto c = f.login("chefin");
    const auto numbers = listedNumbers(f.call("GET", "/inbox", c).body);
    CHECK(numbers == std::vector<std::int64_t>{b_ticket, a_ticket});
    CHECK(f.call("GET", "/inbox/tickets/" + b, c).status == 200);
    auto img = f.call("GET", "/inbox/media/" + std::to_string(photo), c);
    CHECK(img.status == 200);
    CHECK(InboxFixture::header(img, "X-Content-Type-Options") == "nosniff");
    CHECK(img.content_type == "image/jpeg");
    auto thumb = f.call("GET", "/inbox/media/" + std::to_string(photo) + "/thumb", c);
    CHECK(thumb.status == 200);
    CHECK(thumb.content_type == "image/jpeg");
    // Only cleaned ('ready') media rows are served.
    CHECK(f.call("GET", "/inbox/media/" + std::to_string(pending), c).status == 404);
  }
  SUBCASE("signed out: nothing") {
    CHECK(f.call("GET", "/inbox/tickets/" + a).status == 303);
    CHECK(f.call("GET", "/inbox/media/7101").status == 404);
    CHECK(f.post("", "/inbox/tickets/" + a + "/reply", "text=x&csrf=" + csrf).status == 403);
  }
}

TEST_CASE_TEMPLATE("inbox: keyset pagination walks every ticket once, in order", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend, 3);
  std::vector<std::int64_t> created;
  for (int i = 0; i < 7; ++i) {
    created.push_back(f.report("citizen-" + std::to_string(i), "muell", "Loch " + std::to_string(i)));
    f.h.clock.advance(std::chrono::minutes(1));
  }
  f.account("anna", "agent", {"ordnungsamt"});
  const auto cookie = f.login("anna");
  for (const std::string& sort : std::vector<std::string>{"newest", "oldest", "updated"}) {
    CAPTURE(sort);
    std::vector<std::int64_t> seen;
    std::string url = "/inbox?sort=" + sort;
    int pages = 0;
    while (!url.empty() && pages < 10) {
      auto r = f.call("GET", url, cookie);
      REQUIRE(r.status == 200);
      const auto numbers = listedNumbers(r.body);
      CHECK(numbers.size() <= 3);
      seen.insert(seen.end(), numbers.begin(), numbers.end());
      CHECK_FALSE(contains(url, "offset"));
      url = nextLink(r.body);
      ++pages;
    }
    CHECK(pages == 3);
    std::vector<std::int64_t> expected = created;
    if (sort != "oldest") { std::reverse(expected.begin(), expected.end()); }
    CHECK(seen == expected);
  }
  // Counts per status and the status filter.
  auto r = f.call("GET", "/inbox?status=erledigt", cookie);
  CHECK(listedNumbers(r.body).empty());
  CHECK(contains(r.body, "Offen <b>7</b>"));
}

TEST_CASE_TEMPLATE("inbox: citizen text with markup renders inert", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto number = f.report("citizen-x", "schlagloch", kXss);
  f.account("anna", "admin", {});
  const auto cookie = f.login("anna");
  const std::string n = std::to_string(number);
  REQUIRE(f.post(cookie, "/inbox/tickets/" + n + "/note",
                 "text=" + urlEncode(kXss) + "&csrf=" + f.csrf(cookie)).status == 303);
  for (const std::string& url :
       std::vector<std::string>{"/inbox", "/inbox?q=script", "/inbox/tickets/" + n}) {
    CAPTURE(url);
    auto r = f.call("GET", url, cookie);
    REQUIRE(r.status == 200);
    CHECK_FALSE(contains(r.body, "<script>alert"));
    CHECK_FALSE(contains(r.body, "<img src=x"));
    CHECK_FALSE(contains(r.body, "onerror=alert(1)>"));
    CHECK(contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK(contains(r.body, "&lt;img src=x onerror=alert(1)&gt;"));
    CHECK(InboxFixture::header(r, "Content-Security-Policy").find("script-src 'self'") !=
          std::string::npos);
  }
}

TEST_CASE_TEMPLATE("inbox: reply, status change, note, assignment and category reach the right places", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto number = f.report("citizen-r", "muell", "Sperrmüll am Weg");
  const auto anna = f.account("anna", "agent", {"ordnungsamt"});
  f.account("bert", "agent", {"bauhof"});
  const auto cookie = f.login("anna");
  const auto csrf = f.csrf(cookie);
  const std::string base = "/inbox/tickets/" + std::to_string(number) + "/";
  const std::string reporter = f.h.pseudonym("citizen-r");

  SUBCASE("reply: an outbox row for the reporter on their channel, shown with delivery state") {
    auto r = f.post(cookie, base + "reply", "text=" + urlEncode("Wir schauen uns das an.") +
                                                "&csrf=" + csrf);
    REQUIRE(r.status == 303);
    auto replies = f.h.replies("citizen-r");
    REQUIRE(replies.size() == 1);
    CHECK(contains(replies[0].text, "Wir schauen uns das an."));
    CHECK(contains(replies[0].text, std::to_string(number)));
    CHECK(f.count("SELECT count(*) FROM outbox WHERE kind = 'staff' AND pseudonym = '" + reporter +
                  "'") == 1);
    auto page = f.call("GET", base.substr(0, base.size() - 1), cookie);
    CHECK(contains(page.body, "Antwort von anna"));
    CHECK(contains(page.body, "Zustellung: in Warteschlange"));
    CHECK(contains(page.body, "Web-Chat: kein 24-Stunden-Fenster"));
    // Audit: who, what, which ticket, never the text.
    CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'reply' AND ticket_number = " +
                  std::to_string(number)) == 1);
    CHECK(f.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%schauen%'") == 0);
    // An empty reply is refused.
    CHECK(f.post(cookie, base + "reply", "text=+&csrf=" + csrf).status == 400);
  }
  SUBCASE("status change: the staff's text reaches every follower") {
    f.h.onboard("follower");
    f.h.text("follower", "folgen " + std::to_string(number));
    f.h.replies("follower");
    auto r = f.post(cookie, base + "status",
                    "status=in_bearbeitung&note=" + urlEncode("Trupp ist unterwegs.") + "&csrf=" + csrf);
    REQUIRE(r.status == 303);
    CHECK(f.h.store->ticketByNumber(number).value()->status == "in_bearbeitung");
    const std::string expected = f.h.flows.texts.render(
        flows::Lang::De, "ticket.status_changed",
        {{"number", std::to_string(number)},
         {"status", f.h.text("status.in_bearbeitung")},
         {"note", "Trupp ist unterwegs."}});
    auto replies = f.h.replies("citizen-r");
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].text == expected);
    CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'status'") == 1);
    // A transition the table does not allow is refused.
    CHECK(f.post(cookie, base + "status", "status=eingegangen&csrf=" + csrf).status == 409);
  }
  SUBCASE("internal note: stored, shown, never sent") {
    const auto before = f.count("SELECT count(*) FROM outbox");
    REQUIRE(f.post(cookie, base + "note", "text=" + urlEncode("Nur intern") + "&csrf=" + csrf)
                .status == 303);
    CHECK(f.count("SELECT count(*) FROM outbox") == before);
    CHECK(f.count("SELECT count(*) FROM ticket_events WHERE kind = 'internal_note'") == 1);
    CHECK(contains(f.call("GET", base.substr(0, base.size() - 1), cookie).body, "Nur intern"));
  }
  SUBCASE("assign: only to someone who may see the ticket; unassigned view") {
    CHECK(listedNumbers(f.call("GET", "/inbox?assignee=none", cookie).body).size() == 1);
    const std::string ticket_url = base.substr(0, base.size() - 1);
    CHECK(contains(f.call("GET", ticket_url, cookie).body,
                   "<dl class=\"facts\"><dt>Zuständig</dt><dd class=\"assignee\">niemand</dd>"));
    CHECK(f.post(cookie, base + "assign", "assignee=" + std::to_string(anna) + "&csrf=" + csrf)
              .status == 303);
    // The assignee is the first fact of the ticket view.
    CHECK(contains(f.call("GET", ticket_url, cookie).body,
                   "<dl class=\"facts\"><dt>Zuständig</dt><dd class=\"assignee\">anna</dd>"));
    CHECK(listedNumbers(f.call("GET", "/inbox?assignee=none", cookie).body).empty());
    CHECK(listedNumbers(f.call("GET", "/inbox?assignee=me", cookie).body).size() == 1);
    const auto bert = f.inbox_store->staffByLogin("bert").value()->id;
    CHECK(f.post(cookie, base + "assign", "assignee=" + std::to_string(bert) + "&csrf=" + csrf)
              .status == 400);
  }
  SUBCASE("category: forwarding to another department removes it from the agent's view") {
    CHECK(f.post(cookie, base + "category", "category=strassenbeleuchtung&csrf=" + csrf).status ==
          303);
    CHECK(f.h.store->ticketByNumber(number).value()->department == "bauhof");
    CHECK(f.call("GET", base.substr(0, base.size() - 1), cookie).status == 404);
  }
}

TEST_CASE_TEMPLATE("inbox: merging a duplicate moves its followers and notifies them", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto target = f.report("citizen-1", "muell", "Müll vor Haus 1");
  f.h.clock.advance(std::chrono::minutes(5));
  const auto dup = f.report("citizen-2", "muell", "Müll vor Haus 1, nochmal");
  REQUIRE(target != dup);
  f.account("anna", "agent", {"ordnungsamt"});
  const auto cookie = f.login("anna");
  const auto csrf = f.csrf(cookie);
  auto r = f.post(cookie, "/inbox/tickets/" + std::to_string(dup) + "/merge",
                  "target=" + std::to_string(target) + "&csrf=" + csrf);
  REQUIRE(r.status == 303);
  CHECK(f.h.store->ticketByNumber(dup).value()->status == "duplikat");
  auto followers = f.h.store->followersOf(target);
  REQUIRE(followers.has_value());
  CHECK(followers->size() == 2);
  // The duplicate's reporter hears about the merge ...
  auto replies = f.h.replies("citizen-2");
  REQUIRE(replies.size() == 1);
  CHECK(contains(replies[0].text, std::to_string(target)));
  // ... and both reporters hear about the target's next update.
  f.h.replies("citizen-1");
  REQUIRE(f.post(cookie, "/inbox/tickets/" + std::to_string(target) + "/status",
                 "status=erledigt&note=Fertig&csrf=" + csrf).status == 303);
  CHECK(f.h.replies("citizen-1").size() == 1);
  CHECK(f.h.replies("citizen-2").size() == 1);
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'merge'") == 1);
}

TEST_CASE_TEMPLATE("inbox: admins manage accounts and read the audit log", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto admin = f.account("chefin", "admin", {});
  const auto cookie = f.login("chefin");
  const auto csrf = f.csrf(cookie);
  CHECK(f.post(cookie, "/inbox/admin/staff",
               "login=carla&role=agent&department=ordnungsamt&department=bauhof&password=" +
                   urlEncode(kPassword) + "&csrf=" + csrf).status == 303);
  auto carla = f.inbox_store->staffByLogin("carla");
  REQUIRE(carla.has_value());
  REQUIRE(carla->has_value());
  CHECK((*carla)->departments == std::vector<std::string>{"bauhof", "ordnungsamt"});
  // The admin chose the first password: carla must choose her own before any other page.
  CHECK((*carla)->must_change_password);
  const auto first = f.loginResponse("carla", kPassword);
  CHECK(InboxFixture::header(first, "Location") == "/inbox/konto");
  const std::string carla_cookie = "bb_inbox=" + InboxFixture::setCookie(first, "bb_inbox");
  CHECK(InboxFixture::header(f.call("GET", "/inbox", carla_cookie), "Location") == "/inbox/konto");
  // Disabling ends the sessions and blocks login.
  CHECK(f.post(cookie, "/inbox/admin/staff/" + std::to_string((*carla)->id),
               "role=agent&department=ordnungsamt&disabled=1&csrf=" + csrf).status == 303);
  CHECK(f.call("GET", "/inbox", carla_cookie).status == 303);
  CHECK(InboxFixture::header(f.loginResponse("carla", kPassword), "Location") ==
        "/inbox/login?e=1");
  // An admin cannot lock themselves out.
  CHECK(InboxFixture::header(f.post(cookie, "/inbox/admin/staff/" + std::to_string(admin),
                                    "role=agent&csrf=" + csrf),
                             "Location") == "/inbox/admin/staff?e=self");
  auto audit = f.call("GET", "/inbox/audit", cookie);
  CHECK(audit.status == 200);
  CHECK(contains(audit.body, "staff_create"));
  CHECK(contains(audit.body, "staff_update"));
  CHECK(contains(audit.body, "login"));
  CHECK_FALSE(contains(audit.body, "carla-ist-sicher"));
}

TEST_CASE("inbox: working days skip weekends") {
  using namespace std::chrono;
  // 2026-11-02 was a Monday.
  const SysTime monday = sys_days{year{2026} / 11 / 2} + hours(9);
  CHECK(web::workingDaysBetween(monday, monday + hours(3)) == 0);
  CHECK(web::workingDaysBetween(monday, monday + days(4)) == 4);   // Friday
  CHECK(web::workingDaysBetween(monday, monday + days(6)) == 4);   // Sunday
  CHECK(web::workingDaysBetween(monday, monday + days(7)) == 5);   // next Monday
}

TEST_CASE("inbox: working days follow Berlin calendar days, not UTC ones") {
  using namespace std::chrono;
  // Friday 2026-11-06 23:30 in Berlin is 22:30 UTC; Monday 2026-11-09 00:30 in Berlin is still
  // Sunday 23:30 UTC. For staff that is one working day (the Monday), in UTC days it was none.
  const SysTime friday_night = sys_days{year{2026} / 11 / 6} + hours(22) + minutes(30);
  const SysTime monday_early = sys_days{year{2026} / 11 / 8} + hours(23) + minutes(30);
  CHECK(web::workingDaysBetween(friday_night, monday_early) == 1);
  // Saturday 00:30 in Berlin (Friday 23:30 UTC) to Sunday: a weekend report, no working day.
  const SysTime saturday_early = sys_days{year{2026} / 11 / 6} + hours(23) + minutes(30);
  CHECK(web::workingDaysBetween(saturday_early, saturday_early + hours(20)) == 0);
  // Summer time: Friday 2026-07-03 23:30 CEST is 21:30 UTC, Monday 00:30 CEST is Sunday 22:30 UTC.
  const SysTime summer_friday = sys_days{year{2026} / 7 / 3} + hours(21) + minutes(30);
  CHECK(web::workingDaysBetween(summer_friday, summer_friday + days(2) + hours(1)) == 1);
  CHECK(web::views::workingDaysLabel(1) == "1 Arbeitstag");
  CHECK(web::views::workingDaysLabel(3) == "3 Arbeitstage");
}

TEST_CASE_TEMPLATE("inbox: the ticket and the audit log show Berlin local time", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  // The fake clock stands at 2026-11-18 11:06:40 UTC: 12:06 in Berlin (CET).
  REQUIRE(f.h.clock.now() == bb::SysTime(std::chrono::seconds(1'795'000'000)));
  const auto number = f.report("citizen-time", "schlagloch", "Loch vor der Apotheke");
  f.account("anna", "admin", {});
  const auto cookie = f.login("anna");
  // (The list shows ages in working days, no times.)
  for (const std::string& url :
       std::vector<std::string>{"/inbox/tickets/" + std::to_string(number), "/inbox/audit"}) {
    CAPTURE(url);
    auto r = f.call("GET", url, cookie);
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "18.11.2026 12:06"));
    CHECK_FALSE(contains(r.body, "18.11.2026 11:06"));
    CHECK_FALSE(contains(r.body, "UTC"));  // local time, labelled as such nowhere
  }
  // The list spells the age out.
  const auto list = f.call("GET", "/inbox", cookie);
  REQUIRE(list.status == 200);
  CHECK(contains(list.body, "0 Arbeitstage"));
  CHECK_FALSE(contains(list.body, " AT<"));
  // Half a year later the same wall-clock difference is two hours (CEST).
  f.h.clock.advance(std::chrono::hours(24 * 200));  // 2027-06-06 11:06:40 UTC
  const auto later = f.login("anna");  // the login is in the audit log
  auto audit = f.call("GET", "/inbox/audit", later);
  REQUIRE(audit.status == 200);
  CHECK(contains(audit.body, "06.06.2027 13:06"));
  CHECK_FALSE(contains(audit.body, "06.06.2027 11:06"));
  // Actions read as German phrases, the code stays in an attribute.
  CHECK(contains(audit.body, "<span data-action=\"login\">Angemeldet</span>"));
  CHECK_FALSE(contains(audit.body, ">login<"));
}

}  // namespace
}  // namespace bb::test
