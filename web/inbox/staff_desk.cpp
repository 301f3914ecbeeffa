#include "web/inbox/staff_desk.hpp"

#include <algorithm>

#include "bot/security/crypto.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

constexpr const char* kSessionCookie = "bb_inbox";
constexpr const char* kPreCookie = "bb_inbox_pre";
constexpr std::size_t kSessionBytes = 32;
constexpr std::size_t kPreBytes = 16;
//! A session's last_seen_at is written at most this often (not on every request).
constexpr auto kTouchEvery = std::chrono::minutes(1);

bool isHex(const std::string& s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

std::string cookie(const std::string& name, const std::string& value, bool secure) {
  std::string c = name + "=" + value + "; Path=/inbox; HttpOnly; SameSite=Strict";
  if (secure) { c += "; Secure"; }
  if (value.empty()) { c += "; Max-Age=0"; }
  return c;
}

//! Tickets in the staff member's scope with an unread citizen message (0 when unknown).
std::int64_t unreadCount(InboxStore& store, const StaffUser& user) {
  if (!worksTickets(user)) { return 0; }
  TicketQuery q;
  q.all_departments = user.role == StaffRole::Admin;
  q.departments = user.departments;
  auto n = store.unreadCount(q);
  return n ? *n : 0;
}

//! The departments of the staff member with new tickets or unread citizen messages.
std::vector<NewWork> newWorkOf(InboxStore& store, const StaffUser& user) {
  if (!worksTickets(user)) { return {}; }
  TicketQuery q;
  q.all_departments = user.role == StaffRole::Admin;
  q.departments = user.departments;
  auto w = store.newWork(q);
  return w ? *w : std::vector<NewWork>{};
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

//! "Neu 5" in the navigation, opening to one line per department: its new tickets and new
//! citizen messages, each a link to the list filtered to them. Nothing when there is no new work.
std::string newWorkMenu(const std::vector<NewWork>& work, const StaffDesk& desk) {
  std::int64_t total = 0;
  std::string items;
  for (const auto& w : work) {
    total += w.new_tickets + w.new_messages;
    const std::string dep = "department=" + urlEncode(w.department);
    std::string parts;
    if (w.new_tickets > 0) {
      parts += "<a href=\"/inbox?status=eingegangen&amp;" + escapeHtml(dep) + "\">" +
               plural(w.new_tickets, "neue Meldung", "neue Meldungen") + "</a>";
    }
    if (w.new_messages > 0) {
      parts += std::string(parts.empty() ? "" : ", ") + "<a href=\"/inbox?status=all&amp;neu=1&amp;" +
               escapeHtml(dep) + "\">" +
               plural(w.new_messages, "neue Nachricht", "neue Nachrichten") + "</a>";
    }
    items += "<li data-department=\"" + escapeHtml(w.department) + "\" data-new-tickets=\"" +
             std::to_string(w.new_tickets) + "\" data-new-messages=\"" +
             std::to_string(w.new_messages) + "\"><span class=\"dep\">" +
             escapeHtml(desk.departmentName(w.department)) + "</span>: " + parts + "</li>";
  }
  if (total == 0) { return {}; }
  return "<details class=\"new-work\"><summary>Neu <span class=\"count new-count\">" +
         std::to_string(total) + "</span></summary><ul>" + items + "</ul></details>";
}

//! The navigation of the page frame: each section only for the roles that work there.
//! `deliveries` failed deliveries wait for this staff member (-1: no delivery page); `unread`
//! tickets of their departments have a citizen message nobody opened yet; `new_work` is the
//! menu of new work per department.
std::string navigation(const Principal& p, std::int64_t deliveries, std::int64_t unread,
                       const std::string& new_work) {
  std::string nav = "<nav aria-label=\"Hauptnavigation\">";
  if (worksTickets(p.user)) {
    nav += "<a href=\"/inbox\">Meldungen</a>" + new_work;
    if (unread > 0) {
      nav += "<a href=\"/inbox?status=all&amp;neu=1\" class=\"alert new-replies\">Neue Antworten "
             "<span class=\"count\">" + std::to_string(unread) + "</span></a>";
    }
    nav += "<a href=\"/inbox?assignee=none\">Nicht zugewiesen</a>"
           "<a href=\"/inbox?assignee=me\">Mir zugewiesen</a>";
    if (deliveries > 0) {
      nav += "<a href=\"/inbox/deliveries\" class=\"alert\">Zustellungen <span class=\"count\">" +
             std::to_string(deliveries) + "</span></a>";
    } else if (deliveries == 0) {
      nav += "<a href=\"/inbox/deliveries\">Zustellungen</a>";
    }
  }
  if (composesBroadcasts(p.user)) { nav += "<a href=\"/inbox/rundschreiben\">Rundschreiben</a>"; }
  if (moderatesParticipation(p.user)) { nav += "<a href=\"/inbox/beteiligung\">Beteiligung</a>"; }
  if (isAdmin(p.user)) {
    nav += "<a href=\"/inbox/audit\">Protokoll</a><a href=\"/inbox/admin/staff\">Konten</a>";
  }
  return nav + "</nav><form class=\"logout\" method=\"post\" action=\"/inbox/logout\">" +
         views::hidden("csrf", p.session.csrf_token) + "<a class=\"who\" href=\"" +
         kOwnAccountPath + "\" title=\"Mein Konto\">" + escapeHtml(p.user.login) + " · " +
         escapeHtml(views::roleLabel(toString(p.user.role))) +
         "</a><button type=\"submit\">Abmelden</button></form>";
}

}  // namespace

bool anyRole(const StaffUser& /*u*/) { return true; }

bool isAdmin(const StaffUser& u) { return u.role == StaffRole::Admin; }

bool worksTickets(const StaffUser& u) {
  return u.role == StaffRole::Admin || u.role == StaffRole::Agent;
}

bool composesBroadcasts(const StaffUser& u) {
  return u.role == StaffRole::Admin || u.role == StaffRole::Editor;
}

bool moderatesParticipation(const StaffUser& u) {
  return u.role == StaffRole::Admin || u.role == StaffRole::Moderator;
}

bool canSee(const StaffUser& u, const std::string& department) {
  if (u.role == StaffRole::Admin) { return true; }
  if (u.role != StaffRole::Agent) { return false; }
  return std::find(u.departments.begin(), u.departments.end(), department) != u.departments.end();
}

std::optional<std::string> returnPath(const std::string& next) {
  if (next.size() < 6 || next.size() > 1024 || next.compare(0, 6, "/inbox") != 0) {
    return std::nullopt;
  }
  if (next.size() > 6 && next[6] != '/' && next[6] != '?') { return std::nullopt; }  // /inboxevil
  for (unsigned char c : next) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') { return std::nullopt; }  // CR/LF, spaces, "/\"
  }
  std::string lower = next;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* bad : {"//", "/.", "%2e", "%2f", "%5c", "%0d", "%0a"}) {
    if (lower.find(bad) != std::string::npos) { return std::nullopt; }
  }
  if (lower.rfind("/inbox/login", 0) == 0 || lower.rfind("/inbox/logout", 0) == 0) {
    return std::nullopt;
  }
  return next;
}

std::string loginUrl(const std::string& next) {
  auto path = returnPath(next);
  if (!path || *path == "/inbox") { return "/inbox/login"; }
  return "/inbox/login?next=" + urlEncode(*path);
}

std::string requestedPage(const HttpRequest& req) {
  std::string target = req.path;
  char sep = '?';
  for (const auto& [key, value] : req.params) {
    target += sep + urlEncode(key) + "=" + urlEncode(value);
    sep = '&';
  }
  return target;
}

HttpResponse redirect(const std::string& location) {
  HttpResponse r = HttpResponse::text(303, "");
  r.header("Location", location);
  r.header("Cache-Control", "no-store");
  return r;
}

std::optional<std::int64_t> parseId(const std::string& s) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(s);
}

void StaffDesk::allowImagesFrom(const std::string& origin) {
  const std::string img = "img-src 'self'";
  content_security_policy_ = kContentSecurityPolicy;
  const auto at = content_security_policy_.find(img);
  if (at != std::string::npos) { content_security_policy_.insert(at + img.size(), " " + origin); }
}

StaffDesk::StaffDesk(InboxStore& store, const Clock& clock, SessionPolicy policy)
    : store_(store), clock_(clock), policy_(policy),
      content_security_policy_(kContentSecurityPolicy) {}

// ---- sessions and checks ----

std::optional<Principal> StaffDesk::authenticate(const HttpRequest& req,
                                                bool password_pending_ok) {
  const std::string id = req.cookie(kSessionCookie);
  if (!isHex(id, kSessionBytes * 2)) { return std::nullopt; }
  const std::string id_hash = crypto::sha256Hex(id);
  auto s = store_.session(id_hash);
  if (!s || !*s) { return std::nullopt; }
  const SysTime now = clock_.now();
  if (now - (*s)->created_at >= policy_.absolute_timeout ||
      now - (*s)->last_seen_at >= policy_.idle_timeout) {
    (void)store_.deleteSession(id_hash);
    return std::nullopt;
  }
  auto u = store_.staffById((*s)->staff_id);
  if (!u || !*u || (*u)->disabled) { return std::nullopt; }
  if ((*u)->must_change_password && !password_pending_ok) { return std::nullopt; }
  if (now - (*s)->last_seen_at >= kTouchEvery) { (void)store_.touchSession(id_hash, now); }
  return Principal{**u, **s};
}

bool StaffDesk::csrfOk(const Principal& p, const Form& form) const {
  const std::string token = views::formValue(form, "csrf");
  return !token.empty() && crypto::constantTimeEquals(token, p.session.csrf_token);
}

Admission StaffDesk::admitPage(const HttpRequest& req, RoleCheck allowed,
                               bool password_pending_ok) {
  Admission a;
  auto p = authenticate(req, true);
  if (!p) {
    a.refusal = redirect(loginUrl(requestedPage(req)));
  } else if (p->user.must_change_password && !password_pending_ok) {
    // Nothing else until the member chose a new password; the page asked for comes after it.
    const auto next = returnPath(requestedPage(req));
    a.refusal = redirect(std::string(kOwnAccountPath) +
                         (next && *next != "/inbox" ? "?next=" + urlEncode(*next) : ""));
  } else if (!allowed(p->user)) {
    a.refusal = forbidden(&*p);
  } else {
    a.who = std::move(p);
  }
  return a;
}

Admission StaffDesk::admitPost(const HttpRequest& req, RoleCheck allowed,
                               bool password_pending_ok) {
  Admission a;
  auto p = authenticate(req, password_pending_ok);
  if (!p) {
    a.refusal = forbidden(nullptr);
    return a;
  }
  a.form = parseForm(req.body);
  if (!csrfOk(*p, a.form) || !allowed(p->user)) {
    a.refusal = forbidden(&*p);
  } else {
    a.who = std::move(p);
  }
  return a;
}

std::optional<std::string> StaffDesk::openSession(const HttpRequest& req, std::int64_t staff_id) {
  const std::string old = req.cookie(kSessionCookie);
  if (isHex(old, kSessionBytes * 2)) { (void)store_.deleteSession(crypto::sha256Hex(old)); }
  const std::string id = crypto::randomHex(kSessionBytes);
  StaffSession s;
  s.id_hash = crypto::sha256Hex(id);
  s.staff_id = staff_id;
  s.csrf_token = crypto::randomHex(32);
  s.created_at = clock_.now();
  s.last_seen_at = s.created_at;
  if (!store_.createSession(s)) { return std::nullopt; }
  return id;
}

void StaffDesk::endSession(const Principal& p) { (void)store_.deleteSession(p.session.id_hash); }

std::string StaffDesk::sessionCookie(const std::string& value) const {
  return cookie(kSessionCookie, value, policy_.secure_cookies);
}

std::string StaffDesk::preLoginCookie(const std::string& value) const {
  return cookie(kPreCookie, value, policy_.secure_cookies);
}

std::string StaffDesk::preLoginId(const HttpRequest& req) {
  std::string pre = req.cookie(kPreCookie);
  return isHex(pre, kPreBytes * 2) ? pre : std::string();
}

std::string StaffDesk::departmentName(const std::string& id) const {
  auto it = department_names_.find(id);
  return it == department_names_.end() ? id : it->second;
}

// ---- audit ----

AuditEntry StaffDesk::auditEntry(const StaffUser& u, const std::string& action,
                                 std::int64_t number, const std::string& detail) const {
  AuditEntry e;
  e.at = clock_.now();
  e.staff_id = u.id;
  e.actor = u.login;
  e.action = action;
  e.ticket_number = number;
  e.detail = detail;
  return e;
}

AuditEntry StaffDesk::auditEntry(const Principal& p, const std::string& action,
                                 std::int64_t number, const std::string& detail) const {
  return auditEntry(p.user, action, number, detail);
}

void StaffDesk::audit(const StaffUser& u, const std::string& action, std::int64_t number,
                      const std::string& detail) {
  (void)store_.addAudit(auditEntry(u, action, number, detail));
}

void StaffDesk::audit(const Principal& p, const std::string& action, std::int64_t number,
                      const std::string& detail) {
  audit(p.user, action, number, detail);
}

// ---- page frame ----

HttpResponse StaffDesk::page(int status, const std::string& title, const Principal* p,
                             const std::string& body) const {
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
           "<span>Posteingang</span></a>" +
           (p != nullptr ? navigation(*p, delivery_count_ ? delivery_count_(p->user) : -1,
                                      unreadCount(store_, p->user),
                                      newWorkMenu(newWorkOf(store_, p->user), *this))
                         : std::string()) +
           "</header><main id=\"main\" tabindex=\"-1\">" + body + "</main></body></html>";
  r.header("Content-Security-Policy", content_security_policy_);
  r.header("Cache-Control", "no-store");
  r.header("X-Frame-Options", "DENY");
  r.header("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse StaffDesk::notFound(const Principal* p) const {
  return page(404, "Nicht gefunden", p,
              "<h1>Nicht gefunden</h1><p>Diese Seite oder Meldung gibt es nicht – oder sie gehört "
              "zu einer anderen Abteilung.</p><p><a href=\"/inbox\">Zur Liste</a></p>");
}

HttpResponse StaffDesk::forbidden(const Principal* p) const {
  return page(403, "Keine Berechtigung", p,
              "<h1>Keine Berechtigung</h1><p>Das ist mit Ihrer Rolle nicht möglich, oder das "
              "Formular war abgelaufen. Bitte laden Sie die Seite neu.</p>"
              "<p><a href=\"/inbox\">Zur Startseite</a></p>");
}

HttpResponse StaffDesk::unavailable(const Principal* p) const {
  return page(503, "Störung", p, "<h1>Die Datenbank antwortet gerade nicht.</h1>");
}

}  // namespace bb::web
