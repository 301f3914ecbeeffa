#include "web/inbox/inbox.hpp"

#include <algorithm>
#include <set>

#include "bot/http/client_address.hpp"
#include "bot/log.hpp"
#include "bot/security/crypto.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;
using views::hidden;

//! The departments of the categories and districts, sorted, each once.
std::vector<std::string> departmentsOf(const FlowData& flows) {
  std::set<std::string> deps;
  for (const auto& c : flows.categories) { deps.insert(c.department); }
  for (const auto& d : flows.geo.districts) {
    if (!d.department.empty()) { deps.insert(d.department); }
  }
  return {deps.begin(), deps.end()};
}

template <class Page>
HttpHandler bind(Page* page, HttpResponse (Page::*fn)(const HttpRequest&)) {
  return [page, fn](const HttpRequest& r) { return (page->*fn)(r); };
}

HttpResponse tryLater(const StaffDesk& desk) {
  return desk.page(503, "Störung", nullptr, "<h1>Bitte später erneut versuchen</h1>");
}

}  // namespace

Inbox::Inbox(Engine& engine, Store& store, InboxStore& inbox, media::MediaStore& media,
             const Clock& clock, InboxOptions options)
    : inbox_(inbox),
      clock_(clock),
      options_(std::move(options)),
      departments_(departmentsOf(engine.flowData())),
      desk_(inbox, clock,
            SessionPolicy{options_.secure_cookies, options_.idle_timeout,
                          options_.absolute_timeout}),
      throttle_(options_.max_login_failures, options_.throttle_window),
      assets_(options_.asset_dir),
      list_(desk_, inbox, engine.flowData(), clock, departments_, options_.page_size),
      ticket_(desk_, engine, store, inbox, media, clock, departments_),
      accounts_(desk_, inbox, clock, departments_, options_.password_iterations),
      own_account_(desk_, inbox, options_.password_iterations, options_.digest_hour),
      map_(engine, map::TileLayer{options_.tile_url, options_.tile_attribution}) {
  if (options_.login_key.empty()) { options_.login_key = crypto::randomBytes(32); }
  desk_.setDepartmentNames(options_.department_names);
  if (!options_.tile_url.empty()) { desk_.allowImagesFrom(map::tileOrigin(options_.tile_url)); }
  list_.setMap(&map_);
  // A wrong current password under "Mein Konto" counts as a wrong login of that account: a
  // stolen session cannot try passwords there without limit.
  own_account_.setThrottle(
      [this](const std::string& login) {
        return throttle_.blocked(throttleKey("login:" + login), clock_.now());
      },
      [this](const std::string& login) {
        recordFailures({throttleKey("login:" + login)}, clock_.now());
      });
  ticket_.setMap(&map_);
  restoreThrottle();
}

std::string Inbox::throttleKey(const std::string& key) const {
  // Stored keys name accounts and client addresses: keep only a keyed hash of them.
  return crypto::toHex(crypto::hmacSha256(options_.login_key, "login-throttle:" + key));
}

//! The failures of the last window, recorded before a restart, count again.
void Inbox::recordFailures(const std::vector<std::string>& keys, SysTime now) {
  for (const auto& key : keys) {
    throttle_.recordFailure(key, now);
    if (auto kept = inbox_.recordLoginFailure(key, now, now - options_.throttle_window); !kept) {
      log::warn("inbox_login_failure_not_kept", {{"code", toString(kept.error().code)}});
    }
  }
}

void Inbox::restoreThrottle() {
  const SysTime now = clock_.now();
  auto failures = inbox_.loginFailuresSince(now - options_.throttle_window);
  if (!failures) {
    log::warn("inbox_login_throttle_not_restored", {{"code", toString(failures.error().code)}});
    return;
  }
  for (const auto& [key_hash, at] : *failures) { throttle_.recordFailure(key_hash, at); }
}

std::vector<Route> Inbox::routes() {
  return {
      Route{"GET", "/inbox", "inbox_list", bind(&list_, &ListPage::show)},
      Route{"GET", "/inbox/login", "inbox_login_page", bind(this, &Inbox::loginPage)},
      Route{"POST", "/inbox/login", "inbox_login", bind(this, &Inbox::login)},
      Route{"POST", "/inbox/logout", "inbox_logout", bind(this, &Inbox::logout)},
      Route{"GET", R"(/inbox/tickets/([0-9]{1,15}))", "inbox_ticket",
            bind(&ticket_, &TicketView::show)},
      Route{"POST", R"(/inbox/tickets/([0-9]{1,15})/(reply|status|note|assign|category|merge))",
            "inbox_action", bind(&ticket_, &TicketView::act)},
      Route{"GET", R"(/inbox/media/([0-9]{1,15})(/thumb)?)", "inbox_media",
            bind(&ticket_, &TicketView::photo)},
      Route{"GET", "/inbox/audit", "inbox_audit", bind(&accounts_, &AccountsPage::auditLog)},
      Route{"GET", "/inbox/admin/staff", "inbox_staff", bind(&accounts_, &AccountsPage::show)},
      Route{"POST", "/inbox/admin/staff", "inbox_staff_create",
            bind(&accounts_, &AccountsPage::create)},
      Route{"POST", R"(/inbox/admin/staff/([0-9]{1,15}))", "inbox_staff_update",
            bind(&accounts_, &AccountsPage::update)},
      Route{"POST", R"(/inbox/admin/staff/([0-9]{1,15})/passwort)", "inbox_staff_password_reset",
            bind(&accounts_, &AccountsPage::resetPassword)},
      Route{"GET", "/inbox/konto", "inbox_own_account", bind(&own_account_, &OwnAccountPage::show)},
      Route{"POST", "/inbox/konto/passwort", "inbox_own_password",
            bind(&own_account_, &OwnAccountPage::changePassword)},
      Route{"POST", "/inbox/konto/abmelden", "inbox_logout_everywhere",
            bind(&own_account_, &OwnAccountPage::logoutEverywhere)},
      Route{"POST", "/inbox/konto/uebersicht", "inbox_own_digest",
            bind(&own_account_, &OwnAccountPage::saveDigest)},
      Route{"GET", R"(/inbox/static/(inbox\.(?:css|js)))", "inbox_static",
            bind(this, &Inbox::asset)},
  };
}

std::string Inbox::loginCsrfFor(const std::string& pre) const {
  return crypto::toHex(crypto::hmacSha256(options_.login_key, "inbox-login:" + pre));
}

HttpResponse Inbox::asset(const HttpRequest& req) {
  if (req.matches.empty()) { return HttpResponse::text(404, "not found"); }
  auto content = assets_.get(req.matches[0]);
  if (!content) { return HttpResponse::text(404, "not found"); }
  HttpResponse r;
  r.content_type = req.matches[0].find(".css") != std::string::npos
                       ? "text/css; charset=utf-8"
                       : "text/javascript; charset=utf-8";
  r.body = *content;
  r.header("Cache-Control", "public, max-age=300");
  return r;
}

// ---- login / logout ----

//! Where a successful login goes: the page asked for (a safe path under /inbox), else the list;
//! first to the password form when the password must change.
std::string Inbox::afterLogin(const StaffUser& user, const std::string& next) const {
  const auto path = returnPath(next);
  if (user.must_change_password) {
    return std::string(kOwnAccountPath) +
           (path && *path != "/inbox" ? "?next=" + urlEncode(*path) : std::string());
  }
  return path ? *path : std::string("/inbox");
}

HttpResponse Inbox::loginPage(const HttpRequest& req) {
  const std::string next = returnPath(req.param("next")).value_or("");
  if (auto p = desk_.authenticate(req, true)) { return redirect(afterLogin(p->user, next)); }
  std::string pre = StaffDesk::preLoginId(req);
  const bool fresh = pre.empty();
  if (fresh) { pre = crypto::randomHex(16); }
  const std::string error = req.param("e") == "1"
                                ? "<p class=\"error\" role=\"alert\">Login oder Passwort falsch.</p>"
                                : "";
  HttpResponse r = desk_.page(
      200, "Anmelden", nullptr,
      "<section class=\"login\"><h1>Anmelden</h1>" + error +
          "<form method=\"post\" action=\"/inbox/login\">" + hidden("csrf", loginCsrfFor(pre)) +
          (next.empty() ? std::string() : hidden("next", next)) +
          "<label>Login<input name=\"login\" autocomplete=\"username\" required autofocus "
          "maxlength=\"64\"></label>"
          "<label>Passwort<input name=\"password\" type=\"password\" "
          "autocomplete=\"current-password\" required maxlength=\"256\"></label>"
          "<button type=\"submit\" class=\"primary\">Anmelden</button></form>"
          "<p class=\"hint\">Nach 8 Stunden ohne Aktivität (spätestens nach 12 Stunden) melden "
          "wir Sie ab.</p></section>");
  if (fresh) { r.header("Set-Cookie", desk_.preLoginCookie(pre)); }
  return r;
}

HttpResponse Inbox::login(const HttpRequest& req) {
  const auto form = parseForm(req.body);
  const std::string pre = StaffDesk::preLoginId(req);
  if (pre.empty() || !crypto::constantTimeEquals(formValue(form, "csrf"), loginCsrfFor(pre))) {
    return desk_.forbidden(nullptr);
  }
  std::string login = views::trim(formValue(form, "login"));
  std::transform(login.begin(), login.end(), login.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string password = formValue(form, "password");
  const std::string next = returnPath(formValue(form, "next")).value_or("");
  const SysTime now = clock_.now();
  const std::string login_key = throttleKey("login:" + login);
  // Behind a trusted reverse proxy the client is named by its header; from anyone else the
  // header is ignored (else an attacker picks a new address per try).
  const std::string ip_key = throttleKey("ip:" + clientAddress(req, options_.trusted_proxies));
  if (throttle_.blocked(login_key, now) || throttle_.blocked(ip_key, now)) {
    log::warn("inbox_login_throttled");
    HttpResponse r = desk_.page(429, "Zu viele Versuche", nullptr,
                                "<section class=\"login\"><h1>Zu viele Versuche</h1><p "
                                "class=\"error\" role=\"alert\">Bitte warten Sie eine Minute und "
                                "versuchen Sie es dann erneut.</p><p><a href=\"" +
                                    escapeHtml(loginUrl(next)) +
                                    "\">Zur Anmeldung</a></p></section>");
    r.header("Retry-After", std::to_string(options_.throttle_window.count()));
    return r;
  }
  std::optional<StaffUser> user;
  if (auth::validLogin(login) && password.size() <= 256) {
    auto u = inbox_.staffByLogin(login);
    if (!u) { return tryLater(desk_); }
    user = *u;
  }
  bool ok = false;
  if (user) {
    ok = auth::verifyPassword(password, user->password_hash) && !user->disabled;
  } else {
    auth::burnPasswordTime(password);  // an unknown login takes as long as a wrong password
  }
  if (!ok) {
    recordFailures({login_key, ip_key}, now);
    if (user) { desk_.audit(*user, "login_failed"); }
    log::info("inbox_login_failed");
    return redirect("/inbox/login?e=1" + (next.empty() ? "" : "&next=" + urlEncode(next)));
  }
  throttle_.reset(login_key);
  (void)inbox_.clearLoginFailures(login_key);  // a leftover row only ages out
  const auto id = desk_.openSession(req, user->id);
  if (!id) { return tryLater(desk_); }
  desk_.audit(*user, "login");
  log::info("inbox_login", {{"staff_id", std::to_string(user->id)}});
  HttpResponse r = redirect(afterLogin(*user, next));
  r.header("Set-Cookie", desk_.sessionCookie(*id));
  r.header("Set-Cookie", desk_.preLoginCookie(""));
  return r;
}

HttpResponse Inbox::logout(const HttpRequest& req) {
  auto p = desk_.authenticate(req, true);
  if (!p) { return redirect("/inbox/login"); }
  if (!desk_.csrfOk(*p, parseForm(req.body))) { return desk_.forbidden(&*p); }
  desk_.endSession(*p);
  desk_.audit(*p, "logout");
  HttpResponse r = redirect("/inbox/login");
  r.header("Set-Cookie", desk_.sessionCookie(""));
  return r;
}

}  // namespace bb::web
