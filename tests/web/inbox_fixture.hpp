#pragma once
// A staff inbox over the real engine on SQLite or PostgreSQL (tests/support/engine_harness.hpp),
// driven through its route table with HttpRequest values: no sockets. Accounts use a low PBKDF2
// iteration count so the tests stay fast; the hashing test checks the production default
// separately.

#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "bot/media/image_cleaner.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "support/engine_harness.hpp"
#include "support/stores_of.hpp"
#include "web/inbox/inbox.hpp"

namespace bb::test {

constexpr const char* kPassword = "richtig-langes-passwort";
constexpr const char* kXss = "<script>alert(1)</script><img src=x onerror=alert(1)>";

class InboxFixture {
public:
  explicit InboxFixture(int page_size = 50, std::vector<config::Cidr> trusted_proxies = {},
                        Backend backend = Backend::Sqlite)
      : h(backend), inbox_store(inboxStoreOf(h)), media_store(media_dir.path() + "/media") {
    options.asset_dir = std::string(BB_SOURCE_DIR) + "/web/static";
    options.page_size = page_size;
    options.login_key = "test-login-key";
    options.password_iterations = 1000;
    options.trusted_proxies = std::move(trusted_proxies);
    restart();
  }
  //! On `backend` (TEST_CASE_TEMPLATE with OnSqlite, OnPostgresql).
  explicit InboxFixture(Backend backend, int page_size = 50)
      : InboxFixture(page_size, {}, backend) {}

  //! A new Inbox on the same database, as after a restart of the service.
  void restart() {
    routes.clear();
    inbox.reset();
    inbox = std::make_unique<web::Inbox>(*h.engine, *h.store, *inbox_store, media_store, h.clock,
                                         options);
    routes = inbox->routes();
  }

  std::int64_t account(const std::string& login, const std::string& role,
                       std::vector<std::string> departments) {
    auth::NewAccount a;
    a.login = login;
    a.role = role;
    a.departments = std::move(departments);
    a.password = kPassword;
    a.iterations = 1000;
    auto id = auth::createAccount(*inbox_store, a, h.clock.now());
    REQUIRE_MESSAGE(id.has_value(), (id ? "" : id.error().detail));
    return *id;
  }

  //! Dispatches like the HTTP server: first route whose method and pattern match.
  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& cookies = {}, const std::string& body = {},
                    const std::string& ip = "192.0.2.10") {
    HttpRequest req;
    req.method = method;
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) { req.params = parseForm(target.substr(q + 1)); }
    if (!cookies.empty()) { req.headers["cookie"] = cookies; }
    req.body = body;
    if (!body.empty()) { req.headers["content-type"] = "application/x-www-form-urlencoded"; }
    req.remote_addr = ip;
    for (const auto& [name, value] : extra_headers) { req.headers[name] = value; }
    for (const auto& r : routes) {
      std::smatch m;
      if (r.method == method && std::regex_match(req.path, m, std::regex(r.pattern))) {
        for (std::size_t i = 1; i < m.size(); ++i) { req.matches.push_back(m[i].str()); }
        return r.handler(req);
      }
    }
    return HttpResponse::text(404, "no route");
  }

  static std::string setCookie(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0) {
        return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
      }
    }
    return {};
  }

  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) { return v; }
    }
    return {};
  }

  //! Logs in; returns the response of the POST. `extra_cookies` are sent along (fixation tests).
  HttpResponse loginResponse(const std::string& login, const std::string& password,
                             const std::string& ip = "192.0.2.10",
                             const std::string& extra_cookies = {}) {
    const auto form = call("GET", "/inbox/login", extra_cookies);
    std::string pre = setCookie(form, "bb_inbox_pre");
    if (pre.empty()) { pre = "00112233445566778899aabbccddeeff"; }
    std::string cookies = "bb_inbox_pre=" + pre;
    if (!extra_cookies.empty()) { cookies += "; " + extra_cookies; }
    return call("POST", "/inbox/login", cookies,
                "login=" + urlEncode(login) + "&password=" + urlEncode(password) +
                    "&csrf=" + inbox->loginCsrfFor(pre),
                ip);
  }

  //! Logs in and returns the session cookie header value ("bb_inbox=<id>").
  std::string login(const std::string& login) {
    auto r = loginResponse(login, kPassword);
    REQUIRE(r.status == 303);
    REQUIRE(header(r, "Location") == "/inbox");
    const std::string id = setCookie(r, "bb_inbox");
    REQUIRE(id.size() == 64);
    return "bb_inbox=" + id;
  }

  //! The session's CSRF token, read from the hidden field of a page.
  std::string csrf(const std::string& cookie) {
    auto r = call("GET", "/inbox/audit", cookie);
    if (r.status != 200) { r = call("GET", "/inbox", cookie); }
    static const std::regex kField(R"re(name="csrf" value="([0-9a-f]{64})")re");
    std::smatch m;
    REQUIRE(std::regex_search(r.body, m, kField));
    return m[1].str();
  }

  HttpResponse post(const std::string& cookie, const std::string& target, const std::string& body) {
    return call("POST", target, cookie, body);
  }

  //! A complete report whose description is `description`; returns the ticket number.
  std::int64_t report(const std::string& user, const std::string& category,
                      const std::string& description) {
    h.onboard(user);
    h.choice(user, "report");
    h.choice(user, "cat:" + category);
    h.location(user, kMarktplatz);
    for (const auto& m : h.replies(user)) {
      for (const auto& c : m.choices) {
        if (c.id == "dup:none") { h.choice(user, "dup:none"); }
      }
    }
    h.choice(user, "skip");  // photo
    if (!h.flows.category(category)->question.empty()) { h.text(user, "etwa 30 cm"); }
    h.text(user, description);
    h.choice(user, "confirm");
    h.replies(user);
    return h.scalar("SELECT max(number) FROM tickets");
  }

  //! Attaches a cleaned photo (status 'ready') and a pending one to ticket `number`.
  std::pair<std::int64_t, std::int64_t> attachPhotos(std::int64_t number, std::int64_t first_id) {
    const std::string jpeg = readFile(std::string(BB_FIXTURE_DIR) + "/media/gps_DSCN0010.jpg");
    auto cleaned = media::cleanImage(jpeg);
    REQUIRE(cleaned.has_value());
    auto content = media_store.put(*cleaned);
    REQUIRE(content.has_value());
    // A content id is hex and a MIME type a plain token: both go into the SQL text as they are.
    const std::string cid = *content;
    const std::string mime = cleaned->mime_type;
    REQUIRE(cid.find_first_not_of("0123456789abcdef") == std::string::npos);
    REQUIRE(mime.find('\'') == std::string::npos);
    for (int i = 0; i < 2; ++i) {
      const std::string id = std::to_string(first_id + i);
      h.execute("INSERT INTO media (id, pseudonym, channel, source_ref, status, content_id, "
                "mime_type, created_at) VALUES (" + id + ", 'p', 'webchat', 'x', '" +
                (i == 0 ? "ready" : "pending") + "', '" + cid + "', '" + mime + "', 0)");
      h.execute("INSERT INTO ticket_photos (ticket_id, media_id, position) SELECT id, " + id +
                ", " + std::to_string(i) + " FROM tickets WHERE number = " + std::to_string(number));
    }
    return {first_id, first_id + 1};
  }

  std::int64_t count(const std::string& sql) { return h.scalar(sql); }

  EngineHarness h;
  std::unique_ptr<InboxStore> inbox_store;
  TempDir media_dir;
  media::MediaStore media_store;
  web::InboxOptions options;
  std::unique_ptr<web::Inbox> inbox;
  std::vector<Route> routes;
  //! Sent with every call (lower-case names), e.g. a proxy's x-forwarded-for.
  std::map<std::string, std::string> extra_headers;
};

}  // namespace bb::test
