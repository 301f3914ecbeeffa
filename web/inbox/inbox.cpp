#include "web/inbox/inbox.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "bot/conversation/citizen_message.hpp"
#include "bot/conversation/codec.hpp"
#include "bot/security/crypto.hpp"
#include "bot/log.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "bot/cases/ticket_status.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;
using views::hidden;

constexpr const char* kSessionCookie = "bb_inbox";
constexpr const char* kPreCookie = "bb_inbox_pre";
constexpr std::size_t kSessionBytes = 32;
constexpr std::size_t kMaxReplyChars = 2000;
constexpr std::size_t kMaxNoteChars = 4000;
constexpr auto kTouchEvery = std::chrono::minutes(1);

bool isHex(const std::string& s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

std::optional<std::int64_t> parseNumber(const std::string& s) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(s);
}

HttpResponse redirect(const std::string& location) {
  HttpResponse r = HttpResponse::text(303, "");
  r.header("Location", location);
  r.header("Cache-Control", "no-store");
  return r;
}

std::string cookie(const std::string& name, const std::string& value, bool secure,
                   bool expire = false) {
  std::string c = name + "=" + value + "; Path=/inbox; HttpOnly; SameSite=Strict";
  if (secure) { c += "; Secure"; }
  if (expire) { c += "; Max-Age=0"; }
  return c;
}

std::string statusBadge(const std::string& id, const std::string& label) {
  return "<span class=\"badge st-" + escapeHtml(id) + "\">" + escapeHtml(label) + "</span>";
}

std::string actorLabel(const std::string& actor) {
  if (actor.rfind("staff:", 0) == 0) { return actor.substr(6); }
  if (actor == "citizen") { return "Bürger:in"; }
  if (actor == "bot") { return "Bot"; }
  if (actor == "system") { return "System"; }
  return actor;
}

std::string osmLink(double lat, double lon) {
  char coords[64];
  std::snprintf(coords, sizeof coords, "%.5f, %.5f", lat, lon);
  char url[160];
  std::snprintf(url, sizeof url,
                "https://www.openstreetmap.org/?mlat=%.6f&amp;mlon=%.6f#map=18/%.6f/%.6f", lat, lon,
                lat, lon);
  return std::string("<span class=\"coords\">") + coords + "</span> <a href=\"" + url +
         "\" rel=\"noopener noreferrer\" target=\"_blank\">in OpenStreetMap öffnen</a>";
}

std::string replyPrefix(flows::Lang lang, std::int64_t number) {
  return lang == flows::Lang::En
             ? "Message from the city about report " + std::to_string(number) + ":\n"
             : "Nachricht der Stadt zu Meldung " + std::to_string(number) + ":\n";
}

}  // namespace

int workingDaysBetween(SysTime from, SysTime to) {
  using days = std::chrono::duration<std::int64_t, std::ratio<86400>>;
  const auto d0 = std::chrono::floor<days>(from.time_since_epoch()).count();
  const auto d1 = std::chrono::floor<days>(to.time_since_epoch()).count();
  if (d1 <= d0) { return 0; }
  int count = 0;
  // Day 0 of the epoch (1970-01-01) was a Thursday: weekday = (d + 3) % 7 with Monday = 0.
  const std::int64_t last = std::min(d1, d0 + 3660);
  for (std::int64_t d = d0 + 1; d <= last; ++d) {
    if (((d + 3) % 7 + 7) % 7 < 5) { ++count; }
  }
  return count;
}

Inbox::Inbox(Engine& engine, Store& store, InboxStore& inbox, media::MediaStore& media,
             const Clock& clock, InboxOptions options)
    : engine_(engine),
      store_(store),
      inbox_(inbox),
      media_(media),
      clock_(clock),
      options_(std::move(options)),
      throttle_(options_.max_login_failures, options_.throttle_window) {
  std::set<std::string> deps;
  for (const auto& c : engine_.flowData().categories) { deps.insert(c.department); }
  for (const auto& d : engine_.flowData().geo.districts) {
    if (!d.department.empty()) { deps.insert(d.department); }
  }
  departments_.assign(deps.begin(), deps.end());
  if (options_.login_key.empty()) { options_.login_key = crypto::randomBytes(32); }
}

std::vector<Route> Inbox::routes() {
  auto bind = [this](HttpResponse (Inbox::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  return {
      Route{"GET", "/inbox", "inbox_list", bind(&Inbox::list)},
      Route{"GET", "/inbox/login", "inbox_login_page", bind(&Inbox::loginPage)},
      Route{"POST", "/inbox/login", "inbox_login", bind(&Inbox::login)},
      Route{"POST", "/inbox/logout", "inbox_logout", bind(&Inbox::logout)},
      Route{"GET", R"(/inbox/tickets/([0-9]{1,15}))", "inbox_ticket", bind(&Inbox::ticket)},
      Route{"POST", R"(/inbox/tickets/([0-9]{1,15})/(reply|status|note|assign|category|merge))",
            "inbox_action", bind(&Inbox::action)},
      Route{"GET", R"(/inbox/media/([0-9]{1,15})(/thumb)?)", "inbox_media", bind(&Inbox::media)},
      Route{"GET", "/inbox/audit", "inbox_audit", bind(&Inbox::audit)},
      Route{"GET", "/inbox/admin/staff", "inbox_staff", bind(&Inbox::staffPage)},
      Route{"POST", "/inbox/admin/staff", "inbox_staff_create", bind(&Inbox::staffCreate)},
      Route{"POST", R"(/inbox/admin/staff/([0-9]{1,15}))", "inbox_staff_update",
            bind(&Inbox::staffUpdate)},
      Route{"GET", R"(/inbox/static/(inbox\.(?:css|js)))", "inbox_static", bind(&Inbox::asset)},
  };
}

// ---- sessions and checks ----

std::string Inbox::loginCsrfFor(const std::string& pre) const {
  return crypto::toHex(crypto::hmacSha256(options_.login_key, "inbox-login:" + pre));
}

std::optional<Principal> Inbox::authenticate(const HttpRequest& req) {
  const std::string id = req.cookie(kSessionCookie);
  if (!isHex(id, kSessionBytes * 2)) { return std::nullopt; }
  const std::string id_hash = crypto::sha256Hex(id);
  auto s = inbox_.session(id_hash);
  if (!s || !*s) { return std::nullopt; }
  const SysTime now = clock_.now();
  if (now - (*s)->created_at >= options_.absolute_timeout ||
      now - (*s)->last_seen_at >= options_.idle_timeout) {
    (void)inbox_.deleteSession(id_hash);
    return std::nullopt;
  }
  auto u = inbox_.staffById((*s)->staff_id);
  if (!u || !*u || (*u)->disabled) { return std::nullopt; }
  if (now - (*s)->last_seen_at >= kTouchEvery) { (void)inbox_.touchSession(id_hash, now); }
  return Principal{**u, **s};
}

bool Inbox::csrfOk(const Principal& p, const std::multimap<std::string, std::string>& form) const {
  const std::string token = formValue(form, "csrf");
  return !token.empty() && crypto::constantTimeEquals(token, p.session.csrf_token);
}

bool Inbox::worksTickets(const StaffUser& u) {
  return u.role == StaffRole::Admin || u.role == StaffRole::Agent;
}

bool Inbox::canSee(const StaffUser& u, const std::string& department) const {
  if (u.role == StaffRole::Admin) { return true; }
  if (u.role != StaffRole::Agent) { return false; }
  return std::find(u.departments.begin(), u.departments.end(), department) != u.departments.end();
}

AuditEntry Inbox::auditEntry(const Principal& p, const std::string& action, std::int64_t number,
                             const std::string& detail) const {
  AuditEntry e;
  e.at = clock_.now();
  e.staff_id = p.user.id;
  e.actor = p.user.login;
  e.action = action;
  e.ticket_number = number;
  e.detail = detail;
  return e;
}

std::string Inbox::categoryLabel(const std::string& id) const {
  if (const auto* c = engine_.flowData().category(id)) {
    auto it = c->label.find(flows::Lang::De);
    if (it != c->label.end()) { return it->second; }
  }
  return id;
}

std::optional<std::string> Inbox::loadAsset(const std::string& name) {
  std::lock_guard lock(assets_mutex_);
  if (auto it = assets_.find(name); it != assets_.end()) { return it->second; }
  std::ifstream in(options_.asset_dir + "/" + name, std::ios::binary);
  if (!in) { return std::nullopt; }
  std::stringstream ss;
  ss << in.rdbuf();
  assets_[name] = ss.str();
  return ss.str();
}

HttpResponse Inbox::asset(const HttpRequest& req) {
  if (req.matches.empty()) { return HttpResponse::text(404, "not found"); }
  auto content = loadAsset(req.matches[0]);
  if (!content) { return HttpResponse::text(404, "not found"); }
  HttpResponse r;
  r.content_type = req.matches[0].find(".css") != std::string::npos
                       ? "text/css; charset=utf-8"
                       : "text/javascript; charset=utf-8";
  r.body = *content;
  r.header("Cache-Control", "public, max-age=300");
  return r;
}

// ---- page frame ----

HttpResponse Inbox::page(int status, const std::string& title, const Principal* p,
                         const std::string& body) {
  std::string nav;
  if (p != nullptr) {
    nav = "<nav aria-label=\"Hauptnavigation\">";
    if (worksTickets(p->user)) {
      nav += "<a href=\"/inbox\">Meldungen</a>"
             "<a href=\"/inbox?assignee=none\">Nicht zugewiesen</a>"
             "<a href=\"/inbox?assignee=me\">Mir zugewiesen</a>";
    }
    if (p->user.role == StaffRole::Admin || p->user.role == StaffRole::Editor) {
      nav += "<a href=\"/inbox/rundschreiben\">Rundschreiben</a>";  // issue 12
    }
    if (p->user.role == StaffRole::Admin || p->user.role == StaffRole::Moderator) {
      nav += "<a href=\"/inbox/beteiligung\">Beteiligung</a>";
    }
    if (p->user.role == StaffRole::Admin) {
      nav += "<a href=\"/inbox/audit\">Protokoll</a><a href=\"/inbox/admin/staff\">Konten</a>";
    }
    nav += "</nav><form class=\"logout\" method=\"post\" action=\"/inbox/logout\">" +
           hidden("csrf", p->session.csrf_token) + "<span class=\"who\">" +
           escapeHtml(p->user.login) + " · " + escapeHtml(views::roleLabel(toString(p->user.role))) +
           "</span><button type=\"submit\">Abmelden</button></form>";
  }
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">"
           "<title>" + escapeHtml(title) + " – Bürgerbox Posteingang</title>"
           "<link rel=\"stylesheet\" href=\"/inbox/static/inbox.css\">"
           "<script src=\"/inbox/static/inbox.js\" defer></script></head><body>"
           "<a class=\"skip\" href=\"#main\">Zum Inhalt springen</a>"
           "<header class=\"top\"><a class=\"brand\" href=\"/inbox\">Bürgerbox "
           "<span>Posteingang</span></a>" + nav + "</header>"
           "<main id=\"main\" tabindex=\"-1\">" + body + "</main></body></html>";
  r.header("Content-Security-Policy", kContentSecurityPolicy);
  r.header("Cache-Control", "no-store");
  r.header("X-Frame-Options", "DENY");
  r.header("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse Inbox::notFound(const Principal* p) {
  return page(404, "Nicht gefunden", p,
              "<h1>Nicht gefunden</h1><p>Diese Seite oder Meldung gibt es nicht – oder sie gehört "
              "zu einer anderen Abteilung.</p><p><a href=\"/inbox\">Zur Liste</a></p>");
}

HttpResponse Inbox::forbidden(const Principal* p) {
  return page(403, "Keine Berechtigung", p,
              "<h1>Keine Berechtigung</h1><p>Das ist mit Ihrer Rolle nicht möglich, oder das "
              "Formular war abgelaufen. Bitte laden Sie die Seite neu.</p>"
              "<p><a href=\"/inbox\">Zur Startseite</a></p>");
}

// ---- login / logout ----

HttpResponse Inbox::loginPage(const HttpRequest& req) {
  if (authenticate(req)) { return redirect("/inbox"); }
  std::string pre = req.cookie(kPreCookie);
  const bool fresh = !isHex(pre, 32);
  if (fresh) { pre = crypto::randomHex(16); }
  const std::string error = req.param("e") == "1"
                                ? "<p class=\"error\" role=\"alert\">Login oder Passwort falsch.</p>"
                                : "";
  HttpResponse r = page(
      200, "Anmelden", nullptr,
      "<section class=\"login\"><h1>Anmelden</h1>" + error +
          "<form method=\"post\" action=\"/inbox/login\">" + hidden("csrf", loginCsrfFor(pre)) +
          "<label>Login<input name=\"login\" autocomplete=\"username\" required autofocus "
          "maxlength=\"64\"></label>"
          "<label>Passwort<input name=\"password\" type=\"password\" "
          "autocomplete=\"current-password\" required maxlength=\"256\"></label>"
          "<button type=\"submit\" class=\"primary\">Anmelden</button></form>"
          "<p class=\"hint\">Nach 8 Stunden ohne Aktivität (spätestens nach 12 Stunden) melden "
          "wir Sie ab.</p></section>");
  if (fresh) { r.header("Set-Cookie", cookie(kPreCookie, pre, options_.secure_cookies)); }
  return r;
}

HttpResponse Inbox::login(const HttpRequest& req) {
  const auto form = parseForm(req.body);
  const std::string pre = req.cookie(kPreCookie);
  if (!isHex(pre, 32) || !crypto::constantTimeEquals(formValue(form, "csrf"), loginCsrfFor(pre))) {
    return forbidden(nullptr);
  }
  std::string login = views::trim(formValue(form, "login"));
  std::transform(login.begin(), login.end(), login.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string password = formValue(form, "password");
  const auto now = clock_.monotonic();
  const std::string login_key = "login:" + login;
  const std::string ip_key = "ip:" + req.remote_addr;
  if (throttle_.blocked(login_key, now) || throttle_.blocked(ip_key, now)) {
    log::warn("inbox_login_throttled");
    HttpResponse r = page(429, "Zu viele Versuche", nullptr,
                          "<section class=\"login\"><h1>Zu viele Versuche</h1><p class=\"error\" "
                          "role=\"alert\">Bitte warten Sie eine Minute und versuchen Sie es dann "
                          "erneut.</p><p><a href=\"/inbox/login\">Zur Anmeldung</a></p></section>");
    r.header("Retry-After", std::to_string(options_.throttle_window.count()));
    return r;
  }
  std::optional<StaffUser> user;
  if (auth::validLogin(login) && password.size() <= 256) {
    auto u = inbox_.staffByLogin(login);
    if (!u) { return page(503, "Störung", nullptr, "<h1>Bitte später erneut versuchen</h1>"); }
    user = *u;
  }
  bool ok = false;
  if (user) {
    ok = auth::verifyPassword(password, user->password_hash) && !user->disabled;
  } else {
    auth::burnPasswordTime(password);
  }
  if (!ok) {
    throttle_.recordFailure(login_key, now);
    throttle_.recordFailure(ip_key, now);
    if (user) {
      AuditEntry e;
      e.at = clock_.now();
      e.staff_id = user->id;
      e.actor = user->login;
      e.action = "login_failed";
      (void)inbox_.addAudit(e);
    }
    log::info("inbox_login_failed");
    return redirect("/inbox/login?e=1");
  }
  throttle_.reset(login_key);
  // A new session id at every login; a session presented before login is ended, never reused.
  const std::string old = req.cookie(kSessionCookie);
  if (isHex(old, kSessionBytes * 2)) { (void)inbox_.deleteSession(crypto::sha256Hex(old)); }
  const std::string id = crypto::randomHex(kSessionBytes);
  StaffSession s;
  s.id_hash = crypto::sha256Hex(id);
  s.staff_id = user->id;
  s.csrf_token = crypto::randomHex(32);
  s.created_at = clock_.now();
  s.last_seen_at = s.created_at;
  if (!inbox_.createSession(s)) {
    return page(503, "Störung", nullptr, "<h1>Bitte später erneut versuchen</h1>");
  }
  AuditEntry e;
  e.at = clock_.now();
  e.staff_id = user->id;
  e.actor = user->login;
  e.action = "login";
  (void)inbox_.addAudit(e);
  log::info("inbox_login", {{"staff_id", std::to_string(user->id)}});
  HttpResponse r = redirect("/inbox");
  r.header("Set-Cookie", cookie(kSessionCookie, id, options_.secure_cookies));
  r.header("Set-Cookie", cookie(kPreCookie, "", options_.secure_cookies, true));
  return r;
}

HttpResponse Inbox::logout(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return redirect("/inbox/login"); }
  if (!csrfOk(*p, parseForm(req.body))) { return forbidden(&*p); }
  (void)inbox_.deleteSession(p->session.id_hash);
  (void)inbox_.addAudit(auditEntry(*p, "logout", 0, ""));
  HttpResponse r = redirect("/inbox/login");
  r.header("Set-Cookie", cookie(kSessionCookie, "", options_.secure_cookies, true));
  return r;
}

// ---- ticket list ----

HttpResponse Inbox::list(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return redirect("/inbox/login"); }
  if (!worksTickets(p->user)) {
    return page(200, "Start", &*p,
                "<h1>Willkommen</h1><p>Ihre Rolle (" +
                    escapeHtml(views::roleLabel(toString(p->user.role))) +
                    ") bearbeitet keine Meldungen. Beteiligungs- und Redaktionsinhalte folgen "
                    "in einer eigenen Ansicht.</p>");
  }
  const auto& flows = engine_.flowData();
  TicketQuery q;
  q.all_departments = p->user.role == StaffRole::Admin;
  q.departments = p->user.departments;
  q.limit = options_.page_size;

  std::string status = req.hasParam("status") ? req.param("status") : "open";
  if (status != "open" && status != "closed" && status != "all" && !findTicketStatus(status)) {
    status = "open";
  }
  q.status = status == "all" ? "" : status;
  const std::string category = req.param("category");
  if (flows.category(category) != nullptr) { q.category = category; }
  const std::string department = req.param("department");
  if (std::find(departments_.begin(), departments_.end(), department) != departments_.end()) {
    q.department = department;
  }
  const std::string channel = req.param("channel");
  if (channelFromString(channel)) { q.channel = channel; }
  const std::string assignee = req.param("assignee");
  if (assignee == "none") {
    q.unassigned = true;
  } else if (assignee == "me") {
    q.assignee = p->user.id;
  } else if (auto id = parseNumber(assignee)) {
    q.assignee = *id;
  }
  const std::string age = req.param("age");
  if (auto days = parseNumber(age); days && *days > 0 && *days < 3650) {
    q.created_before = clock_.now() - std::chrono::hours(24 * *days);
  }
  q.search = views::shorten(views::trim(req.param("q")), 100);
  const std::string sort = req.param("sort");
  q.sort = sort == "oldest" ? TicketSort::Oldest
           : sort == "updated" ? TicketSort::Updated
                               : TicketSort::Newest;
  if (auto after = parseNumber(req.param("after"))) { q.after_id = *after; }
  if (auto after_u = parseNumber(req.param("after_u"))) { q.after_updated_ms = *after_u; }

  auto rows = inbox_.listTickets(q);
  auto counts = inbox_.statusCounts(q);
  auto staff = inbox_.listStaff();
  if (!rows || !counts || !staff) {
    return page(503, "Störung", &*p, "<h1>Die Datenbank antwortet gerade nicht.</h1>");
  }

  // Filter bar (GET form: works without JavaScript).
  auto filterUrl = [&](const std::map<std::string, std::string>& changes) {
    std::map<std::string, std::string> params = {
        {"status", status}, {"category", q.category}, {"department", q.department},
        {"channel", q.channel}, {"assignee", assignee}, {"age", age}, {"q", q.search},
        {"sort", sort}};
    for (const auto& [k, v] : changes) { params[k] = v; }
    std::string url = "/inbox?";
    bool first = true;
    for (const auto& [k, v] : params) {
      if (v.empty()) { continue; }
      url += (first ? "" : "&") + k + "=" + urlEncode(v);
      first = false;
    }
    return url;
  };
  std::int64_t open_total = 0;
  std::int64_t all_total = 0;
  std::string tabs = "<ul class=\"counts\" aria-label=\"Anzahl je Status\">";
  for (const auto& [st, n] : *counts) {
    all_total += n;
    const auto* s = findTicketStatus(st);
    if (s != nullptr && !s->closed) { open_total += n; }
  }
  auto tab = [&](const std::string& value, const std::string& label, std::int64_t n) {
    tabs += std::string("<li") + (status == value ? " class=\"current\"" : "") + "><a href=\"" +
            escapeHtml(filterUrl({{"status", value}})) + "\"" +
            (status == value ? " aria-current=\"page\"" : "") + "><span class=\"dot st-" +
            escapeHtml(value) + "\"></span>" + escapeHtml(label) + " <b>" + std::to_string(n) +
            "</b></a></li>";
  };
  tab("open", "Offen", open_total);
  for (const auto& s : ticketStatuses()) {
    std::int64_t n = 0;
    for (const auto& [st, c] : *counts) {
      if (st == s.id) { n = c; }
    }
    tab(s.id, flows.texts.render(flows::Lang::De, std::string("status.") + s.id), n);
  }
  tab("all", "Alle", all_total);
  tabs += "</ul>";

  std::vector<std::pair<std::string, std::string>> status_opts = {
      {"open", "Offen"}, {"all", "Alle"}, {"closed", "Abgeschlossen"}};
  for (const auto& s : ticketStatuses()) {
    status_opts.emplace_back(s.id, flows.texts.render(flows::Lang::De, std::string("status.") + s.id));
  }
  std::vector<std::pair<std::string, std::string>> cat_opts = {{"", "Alle Kategorien"}};
  for (const auto& c : flows.categories) { cat_opts.emplace_back(c.id, categoryLabel(c.id)); }
  std::vector<std::pair<std::string, std::string>> dep_opts = {{"", "Alle Abteilungen"}};
  for (const auto& d : departments_) {
    if (canSee(p->user, d)) { dep_opts.emplace_back(d, d); }
  }
  std::vector<std::pair<std::string, std::string>> as_opts = {
      {"", "Alle"}, {"none", "Nicht zugewiesen"}, {"me", "Mir zugewiesen"}};
  for (const auto& u : *staff) {
    if (worksTickets(u) && !u.disabled) { as_opts.emplace_back(std::to_string(u.id), u.login); }
  }
  std::vector<std::pair<std::string, std::string>> ch_opts = {{"", "Alle Kanäle"}};
  for (auto c : {Channel::WhatsApp, Channel::Telegram, Channel::Matrix, Channel::WebChat}) {
    ch_opts.emplace_back(toString(c), views::channelLabel(c));
  }
  const std::vector<std::pair<std::string, std::string>> age_opts = {
      {"", "Jedes Alter"}, {"2", "älter als 2 Tage"}, {"7", "älter als 7 Tage"},
      {"14", "älter als 14 Tage"}, {"30", "älter als 30 Tage"}};
  const std::vector<std::pair<std::string, std::string>> sort_opts = {
      {"newest", "Neueste zuerst"}, {"oldest", "Älteste zuerst"},
      {"updated", "Zuletzt geändert"}};

  std::string body = "<h1>" + std::string(q.unassigned ? "Nicht zugewiesene Meldungen"
                                                       : "Meldungen") + "</h1>" + tabs;
  body += "<form class=\"filters\" method=\"get\" action=\"/inbox\" role=\"search\">"
          "<label class=\"search\">Suche<input type=\"search\" name=\"q\" accesskey=\"s\" "
          "placeholder=\"Nummer oder Text\" value=\"" + escapeHtml(q.search) + "\"></label>"
          "<label>Status<select name=\"status\">" + views::options(status_opts, status) +
          "</select></label><label>Kategorie<select name=\"category\">" +
          views::options(cat_opts, q.category) + "</select></label><label>Abteilung"
          "<select name=\"department\">" + views::options(dep_opts, q.department) +
          "</select></label><label>Zuständig<select name=\"assignee\">" +
          views::options(as_opts, assignee) + "</select></label><label>Kanal"
          "<select name=\"channel\">" + views::options(ch_opts, q.channel) +
          "</select></label><label>Alter<select name=\"age\">" + views::options(age_opts, age) +
          "</select></label><label>Sortierung<select name=\"sort\">" +
          views::options(sort_opts, sort.empty() ? "newest" : sort) + "</select></label>"
          "<button type=\"submit\">Filtern</button> <a class=\"reset\" href=\"/inbox\">"
          "Zurücksetzen</a></form>";

  const SysTime now = clock_.now();
  body += "<table class=\"tickets\"><thead><tr><th scope=\"col\">Nr.</th>"
          "<th scope=\"col\">Status</th><th scope=\"col\">Kategorie</th>"
          "<th scope=\"col\">Beschreibung</th><th scope=\"col\">Abteilung</th>"
          "<th scope=\"col\">Kanal</th><th scope=\"col\">Zuständig</th>"
          "<th scope=\"col\">Alter</th></tr></thead><tbody>";
  for (const auto& row : rows->rows) {
    const auto& t = row.ticket;
    const auto* cat = flows.category(t.category_id);
    const int target = cat != nullptr ? cat->target_days : 5;
    const int age_wd = workingDaysBetween(t.created_at, t.closed_at.value_or(now));
    std::string age_class = "age";
    std::string age_note;
    if (!t.closed_at) {
      if (age_wd > target) {
        age_class += " overdue";
        age_note = " – über Ziel (" + std::to_string(target) + ")";
      } else if (age_wd >= target - 1) {
        age_class += " due";
        age_note = " – Ziel bald erreicht";
      }
    }
    const std::string href = "/inbox/tickets/" + std::to_string(t.number);
    body += "<tr><td class=\"num\"><a href=\"" + href + "\">" + std::to_string(t.number) +
            "</a></td><td>" +
            statusBadge(t.status, flows.texts.render(flows::Lang::De, "status." + t.status)) +
            "</td><td>" + escapeHtml(categoryLabel(t.category_id)) + "</td><td class=\"desc\">" +
            escapeHtml(views::shorten(t.description.empty() ? t.address_text : t.description, 90)) +
            "</td><td>" + escapeHtml(t.department) + "</td><td>" +
            escapeHtml(views::channelLabel(t.channel)) + "</td><td>" +
            (row.assignee_login.empty() ? "<span class=\"muted\">–</span>"
                                        : escapeHtml(row.assignee_login)) +
            "</td><td class=\"" + age_class + "\" title=\"" + std::to_string(age_wd) +
            " Arbeitstage" + escapeHtml(age_note) + "\">" + std::to_string(age_wd) + " AT" +
            escapeHtml(age_note) + "</td></tr>";
  }
  if (rows->rows.empty()) {
    body += "<tr><td colspan=\"8\" class=\"empty\">Keine Meldungen für diese Auswahl.</td></tr>";
  }
  body += "</tbody></table><nav class=\"pager\" aria-label=\"Seiten\">";
  if (q.after_id > 0) {
    body += "<a href=\"" + escapeHtml(filterUrl({})) + "\">« Erste Seite</a>";
  }
  if (rows->has_more && !rows->rows.empty()) {
    const auto& last = rows->rows.back().ticket;
    std::map<std::string, std::string> next = {{"after", std::to_string(last.id)}};
    if (q.sort == TicketSort::Updated) {
      next["after_u"] = std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(last.updated_at.time_since_epoch())
              .count());
    }
    body += "<a rel=\"next\" href=\"" + escapeHtml(filterUrl(next)) + "\">Weitere »</a>";
  }
  body += "</nav><p class=\"legend\">AT = Arbeitstage (Mo–Fr) seit Eingang; rot: über dem Ziel "
          "der Kategorie, gelb: Ziel bald erreicht.</p>";
  return page(200, "Meldungen", &*p, body);
}

// ---- ticket view ----

HttpResponse Inbox::ticket(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return redirect("/inbox/login"); }
  if (req.matches.empty()) { return notFound(&*p); }
  auto number = parseNumber(req.matches[0]);
  if (!number) { return notFound(&*p); }
  static const std::map<std::string, std::string> kFlash = {
      {"reply", "Die Antwort ist in der Warteschlange des Kanals."},
      {"status", "Status geändert; alle Folgenden werden benachrichtigt."},
      {"note", "Interne Notiz gespeichert."},
      {"assign", "Zuweisung gespeichert."},
      {"category", "Kategorie und Abteilung gespeichert."},
      {"merge", "Zusammengeführt; die Folgenden erhalten Neuigkeiten der Zielmeldung."}};
  auto it = kFlash.find(req.param("ok"));
  return renderTicket(*p, *number, it == kFlash.end() ? "" : it->second, "", 200);
}

HttpResponse Inbox::renderTicket(const Principal& p, std::int64_t number, const std::string& flash,
                                 const std::string& error, int status) {
  if (!worksTickets(p.user)) { return notFound(&p); }
  auto found = inbox_.inboxTicket(number);
  if (!found) { return page(503, "Störung", &p, "<h1>Die Datenbank antwortet gerade nicht.</h1>"); }
  if (!*found || !canSee(p.user, (*found)->ticket.department)) { return notFound(&p); }
  const InboxTicket& row = **found;
  const TicketRecord& t = row.ticket;
  const auto& flows = engine_.flowData();
  const std::string num = std::to_string(t.number);
  const std::string csrf = hidden("csrf", p.session.csrf_token);
  const std::string base = "/inbox/tickets/" + num + "/";
  auto statusText = [&flows](const std::string& id) {
    return flows.texts.render(flows::Lang::De, "status." + id);
  };

  std::string body = "<p class=\"crumbs\"><a href=\"/inbox\">« Meldungen</a></p>";
  if (!flash.empty()) { body += "<p class=\"flash\" role=\"status\">" + escapeHtml(flash) + "</p>"; }
  if (!error.empty()) { body += "<p class=\"error\" role=\"alert\">" + escapeHtml(error) + "</p>"; }
  body += "<header class=\"ticket-head\"><h1>Meldung <span class=\"number\">" + num + "</span></h1>" +
          statusBadge(t.status, statusText(t.status)) + "<dl class=\"facts\"><dt>Kategorie</dt><dd>" +
          escapeHtml(categoryLabel(t.category_id)) + "</dd><dt>Abteilung</dt><dd>" +
          escapeHtml(t.department) + "</dd><dt>Kanal</dt><dd>" +
          escapeHtml(views::channelLabel(t.channel)) + "</dd><dt>Eingang</dt><dd>" +
          views::formatTime(t.created_at) + " UTC</dd><dt>Zuständig</dt><dd>" +
          (row.assignee_login.empty() ? "niemand" : escapeHtml(row.assignee_login)) +
          "</dd><dt>Meldende Person</dt><dd class=\"pseudonym\" title=\"Pseudonym\">" +
          (t.reporter.empty() ? "anonymisiert" : escapeHtml(t.reporter.substr(0, 12))) +
          "</dd></dl></header>";

  // Left: details, photos, thread, audit trail.
  std::string left = "<section class=\"details\"><h2>Details</h2>";
  left += "<div class=\"citizen-text\">" + escapeHtml(t.description) + "</div>";
  if (!t.extra_answer.empty()) {
    left += "<p><b>Zusatzangabe:</b> <span class=\"citizen-text\">" + escapeHtml(t.extra_answer) +
            "</span></p>";
  }
  if (t.lat && t.lon) {
    left += "<p class=\"location\"><b>Ort:</b> " + osmLink(*t.lat, *t.lon) + "</p>";
  }
  if (!t.address_text.empty()) {
    left += "<p><b>Angabe:</b> <span class=\"citizen-text\">" + escapeHtml(t.address_text) +
            "</span></p>";
  }
  if (!t.photo_media_ids.empty()) {
    left += "<div class=\"photos\">";
    for (const auto& id : t.photo_media_ids) {
      left += "<a href=\"/inbox/media/" + escapeHtml(id) + "\" target=\"_blank\"><img src=\"/inbox/media/" +
              escapeHtml(id) + "/thumb\" alt=\"Foto " + escapeHtml(id) + "\" loading=\"lazy\"></a>";
    }
    left += "</div>";
  }
  left += "</section>";

  auto thread = inbox_.thread(number);
  left += "<section class=\"thread\"><h2>Verlauf</h2><ol>";
  if (thread) {
    for (const auto& e : *thread) {
      std::string cls = e.kind;
      std::string head;
      std::string text = e.body;
      if (e.kind == "created") {
        head = "Meldung eingegangen";
      } else if (e.kind == "bot_message") {
        head = "Nachricht des Bots";
        if (auto m = decodeOutbound(e.outbox_payload)) { text = m->text; }
      } else if (e.kind == "staff_reply") {
        head = "Antwort von " + actorLabel(e.actor);
      } else if (e.kind == "status_changed") {
        head = "Status: " + statusText(e.status) + " (" + actorLabel(e.actor) + ")";
      } else if (e.kind == "internal_note") {
        head = "Interne Notiz von " + actorLabel(e.actor) + " – wird nie gesendet";
      } else if (e.kind == "assigned") {
        head = e.body.empty() ? "Zuweisung entfernt" : "Zugewiesen an " + e.body;
        text.clear();
      } else if (e.kind == "recategorized") {
        head = "Kategorie/Abteilung geändert: " + e.body;
        text.clear();
      } else if (e.kind == "merged_into") {
        head = "Als Duplikat zusammengeführt mit Meldung " + e.body;
        text.clear();
      } else if (e.kind == "merged_from") {
        head = "Duplikat " + e.body + " hierher zusammengeführt";
        text.clear();
      } else if (e.kind == "follower_added") {
        head = "Eine weitere Person folgt dieser Meldung";
      } else if (e.kind == "citizen_message") {
        head = "Nachricht der Bürger:in";
      } else {
        head = e.kind;
      }
      left += "<li class=\"ev ev-" + escapeHtml(cls) + "\"><div class=\"ev-head\"><span>" +
              escapeHtml(head) + "</span><time>" + views::formatTime(e.at) + "</time></div>";
      if (!text.empty()) { left += "<div class=\"ev-body citizen-text\">" + escapeHtml(text) + "</div>"; }
      if (e.outbox_id > 0) {
        left += "<div class=\"delivery dl-" + escapeHtml(e.outbox_status) + "\">Zustellung: " +
                escapeHtml(views::deliveryLabel(e.outbox_status));
        if (!e.outbox_error.empty()) { left += " – " + escapeHtml(e.outbox_error); }
        left += "</div>";
      }
      left += "</li>";
    }
  }
  left += "</ol></section>";

  if (auto trail = inbox_.auditOfTicket(number); trail && !trail->empty()) {
    left += "<section class=\"trail\"><h2>Protokoll dieser Meldung</h2><table><thead><tr>"
            "<th>Zeit (UTC)</th><th>Wer</th><th>Aktion</th><th>Angaben</th></tr></thead><tbody>";
    for (const auto& a : *trail) {
      left += "<tr><td>" + views::formatTime(a.at) + "</td><td>" + escapeHtml(a.actor) +
              "</td><td>" + escapeHtml(a.action) + "</td><td>" + escapeHtml(a.detail) + "</td></tr>";
    }
    left += "</tbody></table></section>";
  }

  // Right: actions.
  std::string right;
  {
    // Reply with the channel's 24-hour window.
    std::string window;
    std::optional<CitizenRecord> citizen;
    if (!t.reporter.empty()) {
      if (auto c = store_.citizen(t.reporter); c && *c) { citizen = **c; }
    }
    if (!citizen || citizen->unreachable) {
      window = "<p class=\"window closed\">Die meldende Person ist nicht (mehr) erreichbar – "
               "eine Antwort ist nicht möglich.</p>";
    } else if (citizen->channel == Channel::WhatsApp) {
      const bool open = citizen->last_inbound_at &&
                        clock_.now() - *citizen->last_inbound_at < std::chrono::hours(24);
      window = open ? "<p class=\"window open\">WhatsApp: 24-Stunden-Fenster <b>offen</b> – die "
                      "Antwort geht sofort als Nachricht raus.</p>"
                    : "<p class=\"window closed\">WhatsApp: 24-Stunden-Fenster <b>geschlossen</b>. "
                      "Zuerst geht eine freigegebene Vorlagen-Benachrichtigung raus; Ihr Text "
                      "wird zugestellt, sobald die Person darauf antwortet.</p>";
    } else {
      window = "<p class=\"window open\">" + escapeHtml(views::channelLabel(citizen->channel)) +
               ": kein 24-Stunden-Fenster – die Antwort geht sofort raus.</p>";
    }
    right += "<section class=\"action\"><h2>Antworten</h2>" + window +
             "<form method=\"post\" action=\"" + base + "reply\">" + csrf +
             "<label for=\"reply-text\">Nachricht an die meldende Person</label>"
             "<textarea id=\"reply-text\" name=\"text\" rows=\"4\" maxlength=\"2000\" required>"
             "</textarea><button type=\"submit\" class=\"primary\">Antwort senden</button>"
             "</form></section>";
  }
  {
    const auto* st = findTicketStatus(t.status);
    right += "<section class=\"action\"><h2>Status ändern</h2>";
    if (st != nullptr) {
      right += "<p class=\"hint\">Alle Folgenden erhalten: „" +
               escapeHtml(flows.texts.render(flows::Lang::De, "ticket.status_changed",
                                             {{"number", num}, {"status", "…"}, {"note", ""}})) +
               "“ mit Ihrem Text.</p>";
      for (const auto& next : st->next) {
        right += "<details class=\"status-option\"><summary>" +
                 statusBadge(next, statusText(next)) + "</summary><form method=\"post\" action=\"" +
                 base + "status\">" + csrf + hidden("status", next) +
                 "<label>Text an die Bürger:innen (änderbar)<textarea name=\"note\" rows=\"3\" "
                 "maxlength=\"1000\">" + escapeHtml(views::cannedNote(next)) + "</textarea></label>"
                 "<p class=\"preview\">" +
                 escapeHtml(flows.texts.render(flows::Lang::De, "ticket.status_changed",
                                               {{"number", num},
                                                {"status", statusText(next)},
                                                {"note", "[Ihr Text]"}})) +
                 "</p><button type=\"submit\">Status „" + escapeHtml(statusText(next)) +
                 "“ setzen</button></form></details>";
      }
    }
    right += "</section>";
  }
  right += "<section class=\"action\"><h2>Interne Notiz</h2><form method=\"post\" action=\"" + base +
           "note\">" + csrf + "<label for=\"note-text\">Nur für die Verwaltung sichtbar</label>"
           "<textarea id=\"note-text\" name=\"text\" rows=\"3\" maxlength=\"4000\" required>"
           "</textarea><button type=\"submit\">Notiz speichern</button></form></section>";
  {
    std::vector<std::pair<std::string, std::string>> opts = {{"0", "niemand"}};
    if (auto staff = inbox_.listStaff()) {
      for (const auto& u : *staff) {
        if (!u.disabled && canSee(u, t.department)) {
          opts.emplace_back(std::to_string(u.id), u.login);
        }
      }
    }
    right += "<section class=\"action\"><h2>Zuweisen</h2><form method=\"post\" action=\"" + base +
             "assign\">" + csrf + "<label>Zuständig<select name=\"assignee\">" +
             views::options(opts, std::to_string(row.assignee_id)) +
             "</select></label><button type=\"submit\">Zuweisen</button></form></section>";
  }
  {
    std::vector<std::pair<std::string, std::string>> cats;
    for (const auto& c : flows.categories) { cats.emplace_back(c.id, categoryLabel(c.id)); }
    std::vector<std::pair<std::string, std::string>> deps = {{"", "wie Kategorie"}};
    for (const auto& d : departments_) { deps.emplace_back(d, d); }
    right += "<section class=\"action\"><h2>Kategorie / Abteilung</h2><form method=\"post\" "
             "action=\"" + base + "category\">" + csrf + "<label>Kategorie<select name=\"category\">" +
             views::options(cats, t.category_id) + "</select></label><label>Abteilung"
             "<select name=\"department\">" + views::options(deps, "") +
             "</select></label><button type=\"submit\">Ändern</button></form></section>";
  }
  right += "<section class=\"action\"><h2>Duplikat zusammenführen</h2><form method=\"post\" "
           "action=\"" + base + "merge\">" + csrf +
           "<label>Diese Meldung ist ein Duplikat von Nr.<input name=\"target\" "
           "inputmode=\"numeric\" pattern=\"[0-9]+\" required></label><p class=\"hint\">Diese "
           "Meldung bekommt den Status „" + escapeHtml(statusText("duplikat")) + "“; ihre "
           "Folgenden folgen dann der Zielmeldung und erhalten deren Neuigkeiten.</p>"
           "<button type=\"submit\">Zusammenführen</button></form></section>";

  body += "<div class=\"ticket-grid\"><div class=\"main-col\">" + left +
          "</div><aside class=\"side-col\">" + right + "</aside></div>";
  return page(status, "Meldung " + num, &p, body);
}

// ---- ticket actions ----

HttpResponse Inbox::action(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return forbidden(nullptr); }
  const auto form = parseForm(req.body);
  if (!csrfOk(*p, form)) { return forbidden(&*p); }
  if (!worksTickets(p->user)) { return forbidden(&*p); }
  if (req.matches.size() < 2) { return notFound(&*p); }
  auto number = parseNumber(req.matches[0]);
  if (!number) { return notFound(&*p); }
  auto found = inbox_.inboxTicket(*number);
  if (!found) { return page(503, "Störung", &*p, "<h1>Die Datenbank antwortet gerade nicht.</h1>"); }
  if (!*found || !canSee(p->user, (*found)->ticket.department)) { return notFound(&*p); }
  const TicketRecord& t = (*found)->ticket;
  const std::string& what = req.matches[1];
  const std::string done = "/inbox/tickets/" + std::to_string(t.number) + "?ok=" + what;
  auto bad = [&](const std::string& message, int status = 400) {
    return renderTicket(*p, t.number, "", message, status);
  };

  if (what == "reply") {
    const std::string text = views::trim(formValue(form, "text"));
    if (text.empty()) { return bad("Bitte einen Text eingeben."); }
    if (views::codePoints(text) > kMaxReplyChars) { return bad("Der Text ist zu lang (max. 2000 Zeichen)."); }
    if (t.reporter.empty()) { return bad("Die meldende Person ist anonymisiert; keine Antwort möglich.", 409); }
    auto citizen = store_.citizen(t.reporter);
    if (!citizen) { return bad("Die Datenbank antwortet gerade nicht.", 503); }
    if (!*citizen || (*citizen)->unreachable) {
      return bad("Die meldende Person ist nicht mehr erreichbar.", 409);
    }
    const auto& c = **citizen;
    auto message = CitizenMessage::staffReply(c, t.number);
    const NewOutbound o = message.text(replyPrefix(message.lang(), t.number) + text).build();
    auto r = inbox_.addStaffReply(t.number, o, text,
                                  auditEntry(*p, "reply", t.number,
                                             std::string("channel=") + toString(c.channel)));
    if (!r) { return bad("Die Antwort konnte nicht gespeichert werden.", 503); }
    return redirect(done);
  }
  if (what == "status") {
    const std::string next = formValue(form, "status");
    const std::string note = views::trim(formValue(form, "note"));
    if (findTicketStatus(next) == nullptr) { return bad("Unbekannter Status."); }
    if (views::codePoints(note) > 1000) { return bad("Der Text ist zu lang (max. 1000 Zeichen)."); }
    auto r = engine_.changeTicketStatus(t.number, next, note, "staff:" + p->user.login);
    if (!r) {
      return bad(r.error().code == ErrorCode::Conflict
                     ? "Dieser Statuswechsel ist nicht erlaubt."
                     : "Der Status konnte nicht geändert werden.",
                 r.error().code == ErrorCode::Conflict ? 409 : 503);
    }
    (void)inbox_.addAudit(auditEntry(*p, "status", t.number, "from=" + t.status + " to=" + next));
    return redirect(done);
  }
  if (what == "note") {
    const std::string text = views::trim(formValue(form, "text"));
    if (text.empty()) { return bad("Bitte einen Text eingeben."); }
    if (views::codePoints(text) > kMaxNoteChars) { return bad("Die Notiz ist zu lang."); }
    if (!inbox_.addInternalNote(t.number, text, auditEntry(*p, "note", t.number, ""))) {
      return bad("Die Notiz konnte nicht gespeichert werden.", 503);
    }
    return redirect(done);
  }
  if (what == "assign") {
    auto assignee = parseNumber(formValue(form, "assignee"));
    if (!assignee) { return bad("Bitte eine Person wählen."); }
    if (*assignee > 0) {
      auto u = inbox_.staffById(*assignee);
      if (!u || !*u || (*u)->disabled || !canSee(**u, t.department)) {
        return bad("Diese Person kann die Meldung nicht bearbeiten.");
      }
    }
    if (!inbox_.assign(t.number, *assignee,
                       auditEntry(*p, "assign", t.number, "assignee=" + std::to_string(*assignee)))) {
      return bad("Die Zuweisung konnte nicht gespeichert werden.", 503);
    }
    return redirect(done);
  }
  if (what == "category") {
    const std::string category = formValue(form, "category");
    const auto* cat = engine_.flowData().category(category);
    if (cat == nullptr) { return bad("Unbekannte Kategorie."); }
    std::string department = formValue(form, "department");
    if (department.empty()) { department = cat->department; }
    if (std::find(departments_.begin(), departments_.end(), department) == departments_.end()) {
      return bad("Unbekannte Abteilung.");
    }
    if (!inbox_.recategorize(t.number, category, department,
                             auditEntry(*p, "category", t.number,
                                        "category=" + category + " department=" + department))) {
      return bad("Die Änderung konnte nicht gespeichert werden.", 503);
    }
    if (!canSee(p->user, department)) {
      return redirect("/inbox?ok=forwarded");  // forwarded to a department this agent cannot see
    }
    return redirect(done);
  }
  if (what == "merge") {
    auto target_number = parseNumber(views::trim(formValue(form, "target")));
    if (!target_number || *target_number == t.number) { return bad("Bitte eine andere Meldungsnummer angeben."); }
    auto target = inbox_.inboxTicket(*target_number);
    if (!target || !*target || !canSee(p->user, (*target)->ticket.department)) {
      return bad("Die Zielmeldung gibt es nicht (oder nicht in Ihrer Abteilung).", 404);
    }
    const std::string note = "Ihre Meldung wurde mit Meldung " + std::to_string(*target_number) +
                             " zusammengeführt. Neuigkeiten erhalten Sie ab jetzt von dort.";
    auto r = engine_.changeTicketStatus(t.number, "duplikat", note, "staff:" + p->user.login);
    if (!r) {
      return bad(r.error().code == ErrorCode::Conflict
                     ? "Diese Meldung kann im jetzigen Status nicht als Duplikat markiert werden."
                     : "Das Zusammenführen ist fehlgeschlagen.",
                 r.error().code == ErrorCode::Conflict ? 409 : 503);
    }
    if (!inbox_.mergeFollowers(t.number, *target_number,
                               auditEntry(*p, "merge", t.number,
                                          "target=" + std::to_string(*target_number)))) {
      return bad("Das Zusammenführen ist fehlgeschlagen.", 503);
    }
    return redirect(done);
  }
  return notFound(&*p);
}

// ---- photos ----

HttpResponse Inbox::media(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return HttpResponse::text(404, "not found"); }
  if (req.matches.empty() || !worksTickets(p->user)) { return HttpResponse::text(404, "not found"); }
  auto id = parseNumber(req.matches[0]);
  if (!id) { return HttpResponse::text(404, "not found"); }
  const bool thumb = req.matches.size() > 1 && req.matches[1] == "/thumb";
  auto m = inbox_.ticketMedia(*id);
  if (!m || !*m || !canSee(p->user, (*m)->department) || (*m)->status != "ready" ||
      !media::MediaStore::isValidId((*m)->content_id)) {
    return HttpResponse::text(404, "not found");
  }
  auto bytes = thumb ? media_.readThumbnail((*m)->content_id) : media_.read((*m)->content_id);
  if (!bytes) { return HttpResponse::text(404, "not found"); }
  std::string type = "image/jpeg";
  if (!thumb) {
    auto mime = media_.mimeType((*m)->content_id);
    type = mime && (*mime == "image/jpeg" || *mime == "image/png" || *mime == "image/webp")
               ? *mime
               : "application/octet-stream";
  }
  HttpResponse r;
  r.content_type = type;
  r.body = std::move(*bytes);
  r.header("X-Content-Type-Options", "nosniff");
  r.header("Cache-Control", "private, no-store");
  r.header("Content-Disposition", "inline");
  r.header("Content-Security-Policy", "default-src 'none'; sandbox");
  return r;
}

// ---- audit log ----

HttpResponse Inbox::audit(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return redirect("/inbox/login"); }
  if (p->user.role != StaffRole::Admin) { return forbidden(&*p); }
  const std::int64_t before = parseNumber(req.param("before")).value_or(0);
  auto entries = inbox_.auditLog(before, 100);
  if (!entries) { return page(503, "Störung", &*p, "<h1>Die Datenbank antwortet gerade nicht.</h1>"); }
  std::string body = "<h1>Protokoll</h1><p class=\"hint\">Jede Aktion des Personals: wer, was, "
                     "wann, welche Meldung – ohne Nachrichteninhalte.</p><table class=\"audit\">"
                     "<thead><tr><th>Zeit (UTC)</th><th>Wer</th><th>Aktion</th><th>Meldung</th>"
                     "<th>Angaben</th></tr></thead><tbody>";
  for (const auto& e : *entries) {
    const std::string n = std::to_string(e.ticket_number);
    body += "<tr><td>" + views::formatTime(e.at) + "</td><td>" + escapeHtml(e.actor) + "</td><td>" +
            escapeHtml(e.action) + "</td><td>" +
            (e.ticket_number > 0 ? "<a href=\"/inbox/tickets/" + n + "\">" + n + "</a>" : "") +
            "</td><td>" + escapeHtml(e.detail) + "</td></tr>";
  }
  body += "</tbody></table>";
  if (entries->size() == 100) {
    body += "<nav class=\"pager\"><a rel=\"next\" href=\"/inbox/audit?before=" +
            std::to_string(entries->back().id) + "\">Ältere »</a></nav>";
  }
  return page(200, "Protokoll", &*p, body);
}

// ---- accounts (admins) ----

HttpResponse Inbox::staffPage(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return redirect("/inbox/login"); }
  if (p->user.role != StaffRole::Admin) { return forbidden(&*p); }
  auto staff = inbox_.listStaff();
  if (!staff) { return page(503, "Störung", &*p, "<h1>Die Datenbank antwortet gerade nicht.</h1>"); }
  const std::string csrf = hidden("csrf", p->session.csrf_token);
  const std::vector<std::pair<std::string, std::string>> roles = {
      {"agent", "Sachbearbeitung (Meldungen ihrer Abteilungen)"},
      {"admin", "Administration (alles)"},
      {"moderator", "Moderation (Beteiligung)"},
      {"editor", "Redaktion (Rundbriefe)"}};
  auto depBoxes = [this](const std::vector<std::string>& chosen) {
    std::string out = "<fieldset class=\"deps\"><legend>Abteilungen</legend>";
    for (const auto& d : departments_) {
      const bool on = std::find(chosen.begin(), chosen.end(), d) != chosen.end();
      out += "<label class=\"check\"><input type=\"checkbox\" name=\"department\" value=\"" +
             escapeHtml(d) + "\"" + (on ? " checked" : "") + "> " + escapeHtml(d) + "</label>";
    }
    return out + "</fieldset>";
  };
  std::string body = "<h1>Konten</h1>";
  const std::string err = req.param("e");
  if (err == "create") { body += "<p class=\"error\" role=\"alert\">Das Konto konnte nicht angelegt werden: Login (2–64 Zeichen a–z, 0–9, . _ -) schon vergeben, oder Passwort kürzer als 10 Zeichen.</p>"; }
  if (err == "self") { body += "<p class=\"error\" role=\"alert\">Das eigene Konto kann man weder sperren noch herabstufen.</p>"; }
  if (req.param("ok") == "1") { body += "<p class=\"flash\" role=\"status\">Gespeichert.</p>"; }
  body += "<table class=\"staff\"><thead><tr><th>Login</th><th>Rolle und Abteilungen</th>"
          "</tr></thead><tbody>";
  for (const auto& u : *staff) {
    body += "<tr" + std::string(u.disabled ? " class=\"disabled\"" : "") + "><th scope=\"row\">" +
            escapeHtml(u.login) + (u.disabled ? " <span class=\"muted\">(gesperrt)</span>" : "") +
            "</th><td><form method=\"post\" action=\"/inbox/admin/staff/" + std::to_string(u.id) +
            "\" class=\"staff-edit\">" + csrf + "<label>Rolle<select name=\"role\">" +
            views::options(roles, toString(u.role)) + "</select></label>" + depBoxes(u.departments) +
            "<label class=\"check\"><input type=\"checkbox\" name=\"disabled\" value=\"1\"" +
            (u.disabled ? " checked" : "") + "> gesperrt</label><button type=\"submit\">"
            "Speichern</button></form></td></tr>";
  }
  body += "</tbody></table><section class=\"action\"><h2>Neues Konto</h2><form method=\"post\" "
          "action=\"/inbox/admin/staff\">" + csrf +
          "<label>Login<input name=\"login\" required maxlength=\"64\" pattern=\"[a-z0-9._\\-]{2,64}\" "
          "autocomplete=\"off\"></label><label>Rolle<select name=\"role\">" +
          views::options(roles, "agent") + "</select></label>" + depBoxes({}) +
          "<label>Erstes Passwort (mind. 10 Zeichen)<input name=\"password\" type=\"password\" "
          "minlength=\"10\" required autocomplete=\"new-password\"></label>"
          "<button type=\"submit\" class=\"primary\">Anlegen</button></form></section>";
  return page(200, "Konten", &*p, body);
}

HttpResponse Inbox::staffCreate(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return forbidden(nullptr); }
  const auto form = parseForm(req.body);
  if (!csrfOk(*p, form)) { return forbidden(&*p); }
  if (p->user.role != StaffRole::Admin) { return forbidden(&*p); }
  auth::NewAccount a;
  a.login = views::trim(formValue(form, "login"));
  a.role = formValue(form, "role");
  for (const auto& d : views::formValues(form, "department")) {
    if (std::find(departments_.begin(), departments_.end(), d) != departments_.end()) {
      a.departments.push_back(d);
    }
  }
  a.password = formValue(form, "password");
  a.iterations = options_.password_iterations;
  auto id = auth::createAccount(inbox_, a, clock_.now());
  if (!id) { return redirect("/inbox/admin/staff?e=create"); }
  (void)inbox_.addAudit(auditEntry(*p, "staff_create", 0,
                                   "staff=" + std::to_string(*id) + " role=" + a.role));
  return redirect("/inbox/admin/staff?ok=1");
}

HttpResponse Inbox::staffUpdate(const HttpRequest& req) {
  auto p = authenticate(req);
  if (!p) { return forbidden(nullptr); }
  const auto form = parseForm(req.body);
  if (!csrfOk(*p, form)) { return forbidden(&*p); }
  if (p->user.role != StaffRole::Admin) { return forbidden(&*p); }
  auto id = req.matches.empty() ? std::nullopt : parseNumber(req.matches[0]);
  if (!id) { return notFound(&*p); }
  auto role = staffRoleFromString(formValue(form, "role"));
  if (!role) { return redirect("/inbox/admin/staff?e=create"); }
  const bool disabled = formValue(form, "disabled") == "1";
  if (*id == p->user.id && (disabled || *role != StaffRole::Admin)) {
    return redirect("/inbox/admin/staff?e=self");
  }
  std::vector<std::string> deps;
  for (const auto& d : views::formValues(form, "department")) {
    if (std::find(departments_.begin(), departments_.end(), d) != departments_.end()) {
      deps.push_back(d);
    }
  }
  std::sort(deps.begin(), deps.end());
  std::string detail = "staff=" + std::to_string(*id) + " role=" + toString(*role) +
                       (disabled ? " disabled" : "");
  auto r = inbox_.updateStaff(*id, *role, deps, disabled, auditEntry(*p, "staff_update", 0, detail));
  if (!r) { return r.error().code == ErrorCode::NotFound ? notFound(&*p) : forbidden(&*p); }
  return redirect("/inbox/admin/staff?ok=1");
}

}  // namespace bb::web
