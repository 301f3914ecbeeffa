#include "web/inbox/list_page.hpp"

#include <algorithm>
#include <map>

#include "bot/cases/ticket_status.hpp"
#include "bot/text/local_time.hpp"
#include "bot/text/utf8.hpp"
#include "web/html.hpp"
#include "web/inbox/ticket_map.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {

using Options = std::vector<std::pair<std::string, std::string>>;

//! The list's filters as the request gave them (for the form and the links) and as the query.
struct ListPage::Filter {
  TicketQuery q;
  std::string status;
  std::string assignee;
  std::string age;
  std::string sort;
  std::string unread;  //!< "1": only tickets with an unread citizen message ("neue Antwort")
  std::string area;    //!< "gebiet": the map area a cluster narrowed the list to (or "")

  //! The list URL with this filter and `changes` applied.
  std::string url(const std::map<std::string, std::string>& changes) const {
    std::map<std::string, std::string> params = {
        {"status", status}, {"category", q.category}, {"department", q.department},
        {"channel", q.channel}, {"assignee", assignee}, {"age", age}, {"q", q.search},
        {"sort", sort}, {"neu", unread}, {"gebiet", area}};
    for (const auto& [k, v] : changes) { params[k] = v; }
    std::string out = "/inbox?";
    bool first = true;
    for (const auto& [k, v] : params) {
      if (v.empty()) { continue; }
      out += (first ? "" : "&") + k + "=" + urlEncode(v);
      first = false;
    }
    return out;
  }
};

int workingDaysBetween(SysTime from, SysTime to) {
  // Berlin calendar days: a report at 00:30 on Saturday is a Saturday report for staff.
  const std::int64_t d0 = localDay(from).time_since_epoch().count();
  const std::int64_t d1 = localDay(to).time_since_epoch().count();
  if (d1 <= d0) { return 0; }
  int count = 0;
  // Day 0 of the epoch (1970-01-01) was a Thursday: weekday = (d + 3) % 7 with Monday = 0.
  const std::int64_t last = std::min(d1, d0 + 3660);
  for (std::int64_t d = d0 + 1; d <= last; ++d) {
    if (((d + 3) % 7 + 7) % 7 < 5) { ++count; }
  }
  return count;
}

ListPage::ListPage(StaffDesk& desk, InboxStore& store, const FlowData& flows, const Clock& clock,
                   const std::vector<std::string>& departments, int page_size)
    : desk_(desk),
      store_(store),
      flows_(flows),
      clock_(clock),
      departments_(departments),
      page_size_(page_size) {}

HttpResponse ListPage::show(const HttpRequest& req) {
  auto in = desk_.admitPage(req, anyRole);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  if (!worksTickets(p.user)) {
    return desk_.page(200, "Start", &p,
                      "<h1>Willkommen</h1><p>Ihre Rolle (" +
                          escapeHtml(views::roleLabel(toString(p.user.role))) +
                          ") bearbeitet keine Meldungen. Beteiligungs- und Redaktionsinhalte "
                          "folgen in einer eigenen Ansicht.</p>");
  }
  const Filter f = filterOf(req, p);
  auto rows = store_.listTickets(f.q);
  auto counts = store_.statusCounts(f.q);
  auto staff = store_.listStaff();
  auto unread = store_.unreadCount(f.q);
  if (!rows || !counts || !staff || !unread) { return desk_.unavailable(&p); }
  // The list comes first (on a phone the map follows it); the map sits beside it on wide screens.
  const std::string body =
      "<h1>" + std::string(f.q.unassigned ? "Nicht zugewiesene Meldungen" : "Meldungen") +
      "</h1>" + statusTabs(f, *counts) + unreadFilter(f, *unread) + filterForm(f, p, *staff) +
      areaNotice(f) + "<div class=\"list-grid\"><div class=\"list-main\">" + table(rows->rows) +
      pager(f, *rows) +
      "<p class=\"legend\">Alter in Arbeitstagen (Mo–Fr) seit Eingang; rot: über dem Ziel der "
      "Kategorie, gelb: Ziel bald erreicht.</p></div>" + mapPanel(f) + "</div>";
  return desk_.page(200, "Meldungen", &p, body);
}

ListPage::Filter ListPage::filterOf(const HttpRequest& req, const Principal& p) const {
  Filter f;
  TicketQuery& q = f.q;
  q.all_departments = p.user.role == StaffRole::Admin;
  q.departments = p.user.departments;
  q.limit = page_size_;
  f.status = req.hasParam("status") ? req.param("status") : "open";
  if (f.status != "open" && f.status != "closed" && f.status != "all" &&
      !findTicketStatus(f.status)) {
    f.status = "open";
  }
  q.status = f.status == "all" ? "" : f.status;
  const std::string category = req.param("category");
  if (flows_.category(category) != nullptr) { q.category = category; }
  const std::string department = req.param("department");
  if (std::find(departments_.begin(), departments_.end(), department) != departments_.end()) {
    q.department = department;
  }
  const std::string channel = req.param("channel");
  if (channelFromString(channel)) { q.channel = channel; }
  f.assignee = req.param("assignee");
  if (f.assignee == "none") {
    q.unassigned = true;
  } else if (f.assignee == "me") {
    q.assignee = p.user.id;
  } else if (auto id = parseId(f.assignee)) {
    q.assignee = *id;
  }
  f.unread = req.param("neu") == "1" ? "1" : "";
  q.unread = !f.unread.empty();
  if (auto area = map::parseArea(req.param("gebiet"))) {
    q.area = area;
    f.area = map::formatArea(*area);
  }
  f.age = req.param("age");
  if (auto days = parseId(f.age); days && *days > 0 && *days < 3650) {
    q.created_before = clock_.now() - std::chrono::hours(24 * *days);
  }
  q.search = ellipsize(views::trim(req.param("q")), 100);
  f.sort = req.param("sort");
  q.sort = f.sort == "oldest"    ? TicketSort::Oldest
           : f.sort == "updated" ? TicketSort::Updated
                                 : TicketSort::Newest;
  if (auto after = parseId(req.param("after"))) { q.after_id = *after; }
  if (auto after_u = parseId(req.param("after_u"))) { q.after_updated_ms = *after_u; }
  return f;
}

std::string ListPage::statusTabs(
    const Filter& f, const std::vector<std::pair<std::string, std::int64_t>>& counts) const {
  std::int64_t open_total = 0;
  std::int64_t all_total = 0;
  for (const auto& [st, n] : counts) {
    all_total += n;
    const auto* s = findTicketStatus(st);
    if (s != nullptr && !s->closed) { open_total += n; }
  }
  std::string tabs = "<ul class=\"counts\" aria-label=\"Anzahl je Status\">";
  auto tab = [&](const std::string& value, const std::string& label, std::int64_t n) {
    tabs += std::string("<li") + (f.status == value ? " class=\"current\"" : "") + "><a href=\"" +
            escapeHtml(f.url({{"status", value}})) + "\"" +
            (f.status == value ? " aria-current=\"page\"" : "") + "><span class=\"dot st-" +
            escapeHtml(value) + "\"></span>" + escapeHtml(label) + " <b>" + std::to_string(n) +
            "</b></a></li>";
  };
  tab("open", "Offen", open_total);
  for (const auto& s : ticketStatuses()) {
    std::int64_t n = 0;
    for (const auto& [st, c] : counts) {
      if (st == s.id) { n = c; }
    }
    tab(s.id, views::statusLabel(flows_, s.id), n);
  }
  tab("all", "Alle", all_total);
  return tabs + "</ul>";
}

std::string ListPage::filterForm(const Filter& f, const Principal& p,
                                 const std::vector<StaffUser>& staff) const {
  Options status_opts = {{"open", "Offen"}, {"all", "Alle"}, {"closed", "Abgeschlossen"}};
  for (const auto& s : ticketStatuses()) {
    status_opts.emplace_back(s.id, views::statusLabel(flows_, s.id));
  }
  Options cat_opts = {{"", "Alle Kategorien"}};
  for (const auto& c : flows_.categories) {
    cat_opts.emplace_back(c.id, views::categoryLabel(flows_, c.id));
  }
  Options dep_opts = {{"", "Alle Abteilungen"}};
  for (const auto& d : departments_) {
    if (canSee(p.user, d)) { dep_opts.emplace_back(d, desk_.departmentName(d)); }
  }
  Options as_opts = {{"", "Alle"}, {"none", "Nicht zugewiesen"}, {"me", "Mir zugewiesen"}};
  for (const auto& u : staff) {
    if (worksTickets(u) && !u.disabled) { as_opts.emplace_back(std::to_string(u.id), u.login); }
  }
  Options ch_opts = {{"", "Alle Kanäle"}};
  for (auto c : {Channel::WhatsApp, Channel::Telegram, Channel::Matrix, Channel::WebChat}) {
    ch_opts.emplace_back(toString(c), views::channelLabel(c));
  }
  const Options age_opts = {{"", "Jedes Alter"},        {"2", "älter als 2 Tage"},
                            {"7", "älter als 7 Tage"},  {"14", "älter als 14 Tage"},
                            {"30", "älter als 30 Tage"}};
  const Options sort_opts = {
      {"newest", "Neueste zuerst"}, {"oldest", "Älteste zuerst"}, {"updated", "Zuletzt geändert"}};
  const TicketQuery& q = f.q;
  return "<form class=\"filters\" method=\"get\" action=\"/inbox\" role=\"search\">" +
         (f.area.empty() ? std::string() : views::hidden("gebiet", f.area)) +
         "<label class=\"search\">Suche<input type=\"search\" name=\"q\" accesskey=\"s\" "
         "placeholder=\"Nummer oder Text\" value=\"" + escapeHtml(q.search) + "\"></label>"
         "<label>Status<select name=\"status\">" + views::options(status_opts, f.status) +
         "</select></label><label>Kategorie<select name=\"category\">" +
         views::options(cat_opts, q.category) + "</select></label><label>Abteilung"
         "<select name=\"department\">" + views::options(dep_opts, q.department) +
         "</select></label><label>Zuständig<select name=\"assignee\">" +
         views::options(as_opts, f.assignee) + "</select></label><label>Kanal"
         "<select name=\"channel\">" + views::options(ch_opts, q.channel) +
         "</select></label><label>Alter<select name=\"age\">" + views::options(age_opts, f.age) +
         "</select></label><label>Sortierung<select name=\"sort\">" +
         views::options(sort_opts, f.sort.empty() ? "newest" : f.sort) + "</select></label>"
         "<button type=\"submit\">Filtern</button> <a class=\"reset\" href=\"/inbox\">"
         "Zurücksetzen</a></form>";
}

//! "neue Antwort": the tickets whose citizen wrote since staff last opened them.
std::string ListPage::unreadFilter(const Filter& f, std::int64_t unread) const {
  const bool on = !f.unread.empty();
  return "<p class=\"unread-filter\"><a class=\"new-reply-filter" +
         std::string(on ? " current\" aria-current=\"page" : "") + "\" href=\"" +
         escapeHtml(f.url({{"neu", on ? "" : "1"}, {"after", ""}, {"after_u", ""}})) +
         "\">neue Antwort <span class=\"count\">" + std::to_string(unread) + "</span></a>" +
         (on ? " <a class=\"reset\" href=\"" + escapeHtml(f.url({{"neu", ""}})) +
                   "\">alle zeigen</a>"
             : "") +
         "</p>";
}

std::string ListPage::table(const std::vector<InboxTicket>& rows) const {
  const SysTime now = clock_.now();
  std::string out = "<table class=\"tickets\"><thead><tr><th scope=\"col\">Nr.</th>"
                    "<th scope=\"col\">Status</th><th scope=\"col\">Kategorie</th>"
                    "<th scope=\"col\">Beschreibung</th><th scope=\"col\">Abteilung</th>"
                    "<th scope=\"col\">Kanal</th><th scope=\"col\">Zuständig</th>"
                    "<th scope=\"col\">Alter</th></tr></thead><tbody>";
  for (const auto& row : rows) {
    const auto& t = row.ticket;
    const auto* cat = flows_.category(t.category_id);
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
    const std::string marker =
        row.unread_since ? " <span class=\"badge new-reply\" title=\"Die Bürger:in hat seit " +
                               views::formatTime(*row.unread_since) +
                               " geschrieben\">neue Antwort</span>"
                         : "";
    out += "<tr" + std::string(row.unread_since ? " class=\"unread\"" : "") +
           "><td class=\"num\"><a href=\"" + href + "\">" + std::to_string(t.number) +
           "</a>" + marker + "</td><td>" + views::statusBadge(t.status, views::statusLabel(flows_, t.status)) +
           "</td><td>" + escapeHtml(views::categoryLabel(flows_, t.category_id)) +
           "</td><td class=\"desc\">" +
           escapeHtml(ellipsize(t.description.empty() ? t.address_text : t.description, 90)) +
           "</td><td>" + escapeHtml(desk_.departmentName(t.department)) + "</td><td>" +
           escapeHtml(views::channelLabel(t.channel)) + "</td><td>" +
           (row.assignee_login.empty() ? "<span class=\"muted\">–</span>"
                                       : escapeHtml(row.assignee_login)) +
           "</td><td class=\"" + age_class + "\">" + views::workingDaysLabel(age_wd) +
           escapeHtml(age_note) + "</td></tr>";
  }
  if (rows.empty()) {
    out += "<tr><td colspan=\"8\" class=\"empty\">Keine Meldungen für diese Auswahl.</td></tr>";
  }
  return out + "</tbody></table>";
}

std::string ListPage::pager(const Filter& f, const TicketPage& page) const {
  std::string out = "<nav class=\"pager\" aria-label=\"Seiten\">";
  if (f.q.after_id > 0) { out += "<a href=\"" + escapeHtml(f.url({})) + "\">« Erste Seite</a>"; }
  if (page.has_more && !page.rows.empty()) {
    const auto& last = page.rows.back().ticket;
    std::map<std::string, std::string> next = {{"after", std::to_string(last.id)}};
    if (f.q.sort == TicketSort::Updated) {
      next["after_u"] = std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(last.updated_at.time_since_epoch())
              .count());
    }
    out += "<a rel=\"next\" href=\"" + escapeHtml(f.url(next)) + "\">Weitere »</a>";
  }
  return out + "</nav>";
}

//! Shown while a map cluster narrowed the list: what is filtered and the way back.
std::string ListPage::areaNotice(const Filter& f) const {
  if (f.area.empty()) { return ""; }
  return "<p class=\"area-filter\">Nur Meldungen im gewählten Kartenausschnitt. <a class=\"reset\" "
         "href=\"" + escapeHtml(f.url({{"gebiet", ""}})) + "\">Ganze Stadt zeigen</a></p>";
}

//! The map of every ticket of the filter (all pages), beside the list.
std::string ListPage::mapPanel(const Filter& f) const {
  if (map_ == nullptr) { return ""; }
  auto places = store_.ticketPlaces(f.q, InboxMap::kMaxPlaces);
  if (!places) { return ""; }  // the list still works; the map is an addition
  const std::string section = map_->listSection(
      *places, f.q.area, [&f](const MapArea& a) { return f.url({{"gebiet", map::formatArea(a)}}); });
  return section.empty() ? "" : "<div class=\"list-map\">" + section + "</div>";
}

}  // namespace bb::web
