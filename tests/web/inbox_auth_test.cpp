// Staff inbox: passwords, login throttling, sessions (fixation, expiry, logout), CSRF.

#include "web/inbox_fixture.hpp"

#include "bot/http/client_address.hpp"
#include "bot/staff/password.hpp"
#include "config/cidr.hpp"

namespace bb::test {
namespace {

TEST_CASE("inbox: password hashing round trip") {
  auto stored = auth::hashPassword("korrekt-pferd-batterie");
  REQUIRE(stored.has_value());
  CHECK(stored->rfind("pbkdf2-sha256$210000$", 0) == 0);
  CHECK(auth::kPbkdf2Iterations >= 210000);
  CHECK(auth::verifyPassword("korrekt-pferd-batterie", *stored));
  CHECK_FALSE(auth::verifyPassword("korrekt-pferd-batteriE", *stored));
  CHECK_FALSE(auth::verifyPassword("", *stored));
  // A fresh random salt each time: the same password never gives the same stored form.
  auto again = auth::hashPassword("korrekt-pferd-batterie");
  REQUIRE(again.has_value());
  CHECK(*again != *stored);
  // algorithm$iterations$salt(16 bytes)$hash(32 bytes)
  const auto salt_at = stored->find('$', 14) + 1;
  CHECK(stored->find('$', salt_at) - salt_at == 32);
  // Malformed stored forms never match.
  for (const char* bad : {"", "pbkdf2-sha256$0$00$00", "md5$1$00$00", "pbkdf2-sha256$x$00$00",
                          "pbkdf2-sha256$1000$zz$00"}) {
    CHECK_FALSE(auth::verifyPassword("x", bad));
  }
}

TEST_CASE_TEMPLATE("inbox: staff accounts are validated", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  auth::NewAccount a;
  a.login = "anna";
  a.role = "agent";
  a.password = "kurz";
  a.iterations = 1000;
  CHECK(auth::createAccount(*f.inbox_store, a, f.h.clock.now()).error().code ==
        ErrorCode::InvalidInput);  // shorter than 10
  a.password = kPassword;
  a.role = "chef";
  CHECK_FALSE(auth::createAccount(*f.inbox_store, a, f.h.clock.now()).has_value());
  a.role = "agent";
  a.login = "Anna<script>";
  CHECK_FALSE(auth::createAccount(*f.inbox_store, a, f.h.clock.now()).has_value());
  a.login = "anna";
  CHECK(auth::createAccount(*f.inbox_store, a, f.h.clock.now()).has_value());
  CHECK(auth::createAccount(*f.inbox_store, a, f.h.clock.now()).error().code == ErrorCode::Conflict);
  auto stored = f.inbox_store->staffByLogin("anna");
  REQUIRE(stored.has_value());
  REQUIRE(stored->has_value());
  CHECK((*stored)->password_hash.find(kPassword) == std::string::npos);
  // One account whatever the case of the letters someone types.
  auto typed = f.inbox_store->staffByLogin("ANNA");
  REQUIRE(typed.has_value());
  REQUIRE(typed->has_value());
  CHECK((*typed)->id == (*stored)->id);
  StaffUser twin = **stored;
  twin.login = "Anna";
  CHECK(f.inbox_store->createStaff(twin, f.h.clock.now()).error().code == ErrorCode::Conflict);
  CHECK(f.inbox_store->staffCount().value() == 1);
}

TEST_CASE_TEMPLATE("inbox: login sets a hardened session cookie and logout ends the session", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  auto r = f.loginResponse("anna", kPassword);
  REQUIRE(r.status == 303);
  std::string set;
  for (const auto& [k, v] : r.headers) {
    if (k == "Set-Cookie" && v.rfind("bb_inbox=", 0) == 0) { set = v; }
  }
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Path=/inbox") != std::string::npos);
  const std::string id = InboxFixture::setCookie(r, "bb_inbox");
  // Only the hash of the id is stored.
  CHECK(f.count("SELECT count(*) FROM staff_sessions WHERE id_hash = '" + crypto::sha256Hex(id) +
                "'") == 1);
  CHECK(f.count("SELECT count(*) FROM staff_sessions WHERE id_hash = '" + id + "'") == 0);
  const std::string cookie = "bb_inbox=" + id;
  auto list = f.call("GET", "/inbox", cookie);
  CHECK(list.status == 200);
  CHECK(InboxFixture::header(list, "Content-Security-Policy").find("default-src 'none'") !=
        std::string::npos);
  CHECK(InboxFixture::header(list, "X-Frame-Options") == "DENY");

  auto out = f.post(cookie, "/inbox/logout", "csrf=" + f.csrf(cookie));
  CHECK(out.status == 303);
  CHECK(f.count("SELECT count(*) FROM staff_sessions") == 0);
  CHECK(f.call("GET", "/inbox", cookie).status == 303);  // back to the login page
}

TEST_CASE_TEMPLATE("inbox: the tenth wrong password in a minute is throttled", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "agent", {"tiefbau"});
  for (int i = 0; i < 9; ++i) {
    auto r = f.loginResponse("anna", "falsches-passwort");
    REQUIRE(r.status == 303);
    CHECK(InboxFixture::header(r, "Location") == "/inbox/login?e=1");
    f.h.clock.advance(std::chrono::seconds(5));
  }
  // The tenth attempt within the minute is refused, even with the right password.
  auto tenth = f.loginResponse("anna", kPassword);
  CHECK(tenth.status == 429);
  CHECK(InboxFixture::setCookie(tenth, "bb_inbox").empty());
  // Also from another address (per login).
  CHECK(f.loginResponse("anna", kPassword, "198.51.100.7").status == 429);
  // Once the window has passed, the right password works again.
  f.h.clock.advance(std::chrono::seconds(61));
  CHECK(f.loginResponse("anna", kPassword).status == 303);

  SUBCASE("per address: many logins from one IP") {
    InboxFixture g;
    g.account("bert", "agent", {"tiefbau"});
    for (int i = 0; i < 9; ++i) {
      CHECK(g.loginResponse("niemand" + std::to_string(i), "falsch-falsch", "203.0.113.9").status ==
            303);
    }
    CHECK(g.loginResponse("bert", kPassword, "203.0.113.9").status == 429);
    CHECK(g.loginResponse("bert", kPassword, "203.0.113.10").status == 303);
  }
}

TEST_CASE_TEMPLATE("inbox: a session id from before login is not accepted after login", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  // An attacker plants a session id in the victim's browser before login.
  const std::string planted(64, 'a');
  auto r = f.loginResponse("anna", kPassword, "192.0.2.10", "bb_inbox=" + planted);
  REQUIRE(r.status == 303);
  const std::string fresh = InboxFixture::setCookie(r, "bb_inbox");
  CHECK(fresh.size() == 64);
  CHECK(fresh != planted);
  CHECK(f.call("GET", "/inbox", "bb_inbox=" + planted).status == 303);  // not signed in
  CHECK(f.call("GET", "/inbox", "bb_inbox=" + fresh).status == 200);

  SUBCASE("a valid session presented at login is replaced, not reused") {
    auto again = f.loginResponse("anna", kPassword, "192.0.2.10", "bb_inbox=" + fresh);
    const std::string next = InboxFixture::setCookie(again, "bb_inbox");
    CHECK(next != fresh);
    CHECK(f.call("GET", "/inbox", "bb_inbox=" + fresh).status == 303);
    CHECK(f.call("GET", "/inbox", "bb_inbox=" + next).status == 200);
  }
}

TEST_CASE_TEMPLATE("inbox: sessions expire when idle and absolutely", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  SUBCASE("idle 8 h") {
    const auto cookie = f.login("anna");
    f.h.clock.advance(std::chrono::hours(7));
    CHECK(f.call("GET", "/inbox", cookie).status == 200);
    f.h.clock.advance(std::chrono::hours(8));
    CHECK(f.call("GET", "/inbox", cookie).status == 303);
  }
  SUBCASE("absolute 12 h even when active") {
    const auto cookie = f.login("anna");
    for (int i = 0; i < 6; ++i) {
      f.h.clock.advance(std::chrono::hours(2));
      CHECK(f.call("GET", "/inbox", cookie).status == (i < 5 ? 200 : 303));
    }
  }
}

TEST_CASE_TEMPLATE("inbox: the login form itself needs its CSRF token", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  auto r = f.call("POST", "/inbox/login", "bb_inbox_pre=00112233445566778899aabbccddeeff",
                  std::string("login=anna&password=") + kPassword + "&csrf=00");
  CHECK(r.status == 403);
  CHECK(InboxFixture::setCookie(r, "bb_inbox").empty());
}

TEST_CASE_TEMPLATE("inbox: a POST without or with a wrong CSRF token changes nothing", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "admin", {});
  const auto number = f.report("citizen-1", "schlagloch", "Loch in der Straße");
  const auto cookie = f.login("anna");
  const auto events = f.count("SELECT count(*) FROM ticket_events");
  const auto outbox = f.count("SELECT count(*) FROM outbox");
  const auto audit = f.count("SELECT count(*) FROM audit_log");
  const std::string base = "/inbox/tickets/" + std::to_string(number) + "/";
  const std::string wrong = std::string(64, '0');
  for (const std::string& token : {std::string(), wrong, f.csrf(cookie).substr(0, 63)}) {
    CAPTURE(token);
    const std::string csrf = token.empty() ? "" : "&csrf=" + token;
    CHECK(f.post(cookie, base + "reply", "text=Hallo" + csrf).status == 403);
    CHECK(f.post(cookie, base + "status", "status=erledigt&note=x" + csrf).status == 403);
    CHECK(f.post(cookie, base + "note", "text=geheim" + csrf).status == 403);
    CHECK(f.post(cookie, base + "assign", "assignee=1" + csrf).status == 403);
    CHECK(f.post(cookie, base + "category", "category=muell" + csrf).status == 403);
    CHECK(f.post(cookie, base + "merge", "target=1" + csrf).status == 403);
    CHECK(f.post(cookie, "/inbox/admin/staff",
                 "login=mallory&role=admin&password=0123456789abc" + csrf).status == 403);
    CHECK(f.post(cookie, "/inbox/logout", csrf.empty() ? "" : csrf.substr(1)).status == 403);
  }
  CHECK(f.count("SELECT count(*) FROM ticket_events") == events);
  CHECK(f.count("SELECT count(*) FROM outbox") == outbox);
  CHECK(f.count("SELECT count(*) FROM audit_log") == audit);
  CHECK(f.count("SELECT count(*) FROM staff_users") == 1);
  CHECK(f.count("SELECT count(*) FROM staff_sessions") == 1);
  auto t = f.h.store->ticketByNumber(number);
  REQUIRE(t.has_value());
  CHECK((*t)->status == "eingegangen");
  CHECK((*t)->category_id == "schlagloch");
  // With the right token the same request works.
  CHECK(f.post(cookie, base + "note", "text=geheim&csrf=" + f.csrf(cookie)).status == 303);
}

}  // namespace
}  // namespace bb::test

namespace bb::test {
namespace {

TEST_CASE_TEMPLATE("inbox: behind a trusted proxy one attacked account locks out neither another account "
          "nor another client", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  // nginx on the same host: every request comes from 127.0.0.1 with X-Forwarded-For.
  auto trusted = bb::config::parseCidrList("127.0.0.1/32, ::1/128");
  REQUIRE(trusted.has_value());
  InboxFixture f(50, *trusted, B::backend);
  f.account("anna", "agent", {"tiefbau"});
  f.account("bert", "agent", {"tiefbau"});
  f.extra_headers["x-forwarded-for"] = "198.51.100.66";
  for (int i = 0; i < 20; ++i) {
    const int status = f.loginResponse("anna", "falsches-passwort", "127.0.0.1").status;
    CHECK((status == 303 || status == 429));
  }
  CHECK(f.loginResponse("anna", kPassword, "127.0.0.1").status == 429);
  // Another staff member at another client, through the same proxy, logs in.
  f.extra_headers["x-forwarded-for"] = "203.0.113.5";
  CHECK(f.loginResponse("bert", kPassword, "127.0.0.1").status == 303);
  // RFC 7239 Forwarded is read the same way (port and quotes stripped).
  f.extra_headers.clear();
  f.extra_headers["forwarded"] = "for=\"203.0.113.6:4711\";proto=https";
  CHECK(f.loginResponse("bert", kPassword, "127.0.0.1").status == 303);
  // The attacker's client stays refused, for any account.
  f.extra_headers.clear();
  f.extra_headers["x-forwarded-for"] = "198.51.100.66";
  CHECK(f.loginResponse("bert", kPassword, "127.0.0.1").status == 429);
  // A chain: the attacker's own header in front is not believed past our proxy.
  f.extra_headers["x-forwarded-for"] = "192.0.2.200, 198.51.100.66";
  CHECK(f.loginResponse("bert", kPassword, "127.0.0.1").status == 429);
}

TEST_CASE_TEMPLATE("inbox: from an untrusted source the forwarding headers are ignored", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);  // no trusted proxies
  f.account("bert", "agent", {"tiefbau"});
  // Nine failures from one address, each claiming a different client.
  for (int i = 0; i < 9; ++i) {
    f.extra_headers["x-forwarded-for"] = "203.0.113." + std::to_string(i + 1);
    CHECK(f.loginResponse("niemand" + std::to_string(i), "falsch-falsch", "192.0.2.77").status ==
          303);
  }
  f.extra_headers["x-forwarded-for"] = "203.0.113.99";
  CHECK(f.loginResponse("bert", kPassword, "192.0.2.77").status == 429);
  CHECK(f.loginResponse("bert", kPassword, "192.0.2.78").status == 303);
}

TEST_CASE_TEMPLATE("inbox: the login lock survives a restart and holds no login name or address", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  f.account("anna", "agent", {"tiefbau"});
  for (int i = 0; i < 9; ++i) {
    REQUIRE(f.loginResponse("anna", "falsches-passwort", "198.51.100.66").status == 303);
  }
  f.restart();
  CHECK(f.loginResponse("anna", kPassword, "192.0.2.10").status == 429);
  CHECK(f.count("SELECT count(*) FROM login_failures") == 18);  // per account and per client
  CHECK(f.count("SELECT count(*) FROM login_failures WHERE key_hash LIKE '%anna%' OR key_hash "
                "LIKE '%198.51%'") == 0);
  // After the window the lock is gone, also after another restart.
  f.h.clock.advance(std::chrono::seconds(61));
  f.restart();
  CHECK(f.loginResponse("anna", kPassword, "192.0.2.10").status == 303);
}

TEST_CASE("client address: CIDR ranges and the nearest untrusted hop") {
  const auto ranges = bb::config::parseCidrList(" 10.0.0.0/8,127.0.0.1, fd00::/8 ");
  REQUIRE(ranges.has_value());
  REQUIRE(ranges->size() == 3);
  CHECK(bb::config::containsAny(*ranges, "10.1.2.3"));
  CHECK(bb::config::containsAny(*ranges, "127.0.0.1"));
  CHECK_FALSE(bb::config::containsAny(*ranges, "127.0.0.2"));
  CHECK(bb::config::containsAny(*ranges, "fd12::1"));
  CHECK(bb::config::containsAny(*ranges, "::ffff:10.9.9.9"));  // IPv4-mapped
  CHECK_FALSE(bb::config::containsAny(*ranges, "11.0.0.1"));
  CHECK_FALSE(bb::config::containsAny(*ranges, "unknown"));
  CHECK(bb::config::parseCidr("192.168.0.0/23").has_value());
  for (const char* bad : {"10.0.0.0/33", "300.1.1.1", "10.0.0.0/", "fd00::/129", "proxy"}) {
    CHECK_FALSE(bb::config::parseCidrList(bad).has_value());
  }
  HttpRequest req;
  req.remote_addr = "10.0.0.5";
  req.headers["x-forwarded-for"] = "203.0.113.7, 10.0.0.9";
  CHECK(bb::clientAddress(req, *ranges) == "203.0.113.7");
  req.headers["x-forwarded-for"] = "[2001:db8::1]:4711";
  CHECK(bb::clientAddress(req, *ranges) == "2001:db8::1");
  req.headers.erase("x-forwarded-for");
  req.headers["forwarded"] = "for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\"";
  CHECK(bb::clientAddress(req, *ranges) == "2001:db8:cafe::17");
  req.headers.clear();
  CHECK(bb::clientAddress(req, *ranges) == "10.0.0.5");  // a proxy without header: itself
  req.remote_addr = "198.51.100.1";
  req.headers["x-forwarded-for"] = "203.0.113.7";
  CHECK(bb::clientAddress(req, *ranges) == "198.51.100.1");  // not a proxy of ours
}

}  // namespace
}  // namespace bb::test
