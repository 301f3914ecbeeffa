#include "web/inbox/accounts_page.hpp"

#include <algorithm>

#include "bot/staff/staff_accounts.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;

constexpr int kAuditPageSize = 100;

const std::vector<std::pair<std::string, std::string>>& roleOptions() {
  static const std::vector<std::pair<std::string, std::string>> kRoles = {
      {"agent", "Sachbearbeitung (Meldungen ihrer Abteilungen)"},
      {"admin", "Administration (alles)"},
      {"moderator", "Moderation (Beteiligung)"},
      {"editor", "Redaktion (Rundbriefe)"}};
  return kRoles;
}

}  // namespace

AccountsPage::AccountsPage(StaffDesk& desk, InboxStore& store, const Clock& clock,
                           const std::vector<std::string>& departments, int password_iterations)
    : desk_(desk),
      store_(store),
      clock_(clock),
      departments_(departments),
      password_iterations_(password_iterations) {}

std::string AccountsPage::departmentBoxes(const std::vector<std::string>& chosen) const {
  std::string out = "<fieldset class=\"deps\"><legend>Abteilungen</legend>";
  for (const auto& d : departments_) {
    const bool on = std::find(chosen.begin(), chosen.end(), d) != chosen.end();
    out += "<label class=\"check\"><input type=\"checkbox\" name=\"department\" value=\"" +
           escapeHtml(d) + "\"" + (on ? " checked" : "") + "> " + escapeHtml(desk_.departmentName(d)) +
           "</label>";
  }
  return out + "</fieldset>";
}

std::vector<std::string> AccountsPage::knownDepartments(const Form& form) const {
  std::vector<std::string> out;
  for (const auto& d : views::formValues(form, "department")) {
    if (std::find(departments_.begin(), departments_.end(), d) != departments_.end()) {
      out.push_back(d);
    }
  }
  return out;
}

HttpResponse AccountsPage::show(const HttpRequest& req) {
  auto in = desk_.admitPage(req, isAdmin);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto staff = store_.listStaff();
  if (!staff) { return desk_.unavailable(&p); }
  const std::string csrf = views::hidden("csrf", p.session.csrf_token);
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
            views::options(roleOptions(), toString(u.role)) + "</select></label>" +
            departmentBoxes(u.departments) +
            "<label class=\"check\"><input type=\"checkbox\" name=\"disabled\" value=\"1\"" +
            (u.disabled ? " checked" : "") + "> gesperrt</label><button type=\"submit\">"
            "Speichern</button></form>" + (u.id == p.user.id ? std::string() : resetForm(u, csrf)) +
            "</td></tr>";
  }
  body += "</tbody></table><section class=\"action\"><h2>Neues Konto</h2><form method=\"post\" "
          "action=\"/inbox/admin/staff\">" + csrf +
          "<label>Login<input name=\"login\" required maxlength=\"64\" pattern=\"[a-z0-9._\\-]{2,64}\" "
          "autocomplete=\"off\"></label><label>Rolle<select name=\"role\">" +
          views::options(roleOptions(), "agent") + "</select></label>" + departmentBoxes({}) +
          "<label>Erstes Passwort (mind. 10 Zeichen)<input name=\"password\" type=\"password\" "
          "minlength=\"10\" required autocomplete=\"new-password\"></label>"
          "<p class=\"hint\">Bei der ersten Anmeldung wählt die Person ein eigenes Passwort.</p>"
          "<button type=\"submit\" class=\"primary\">Anlegen</button></form></section>";
  return desk_.page(200, "Konten", &p, body);
}

HttpResponse AccountsPage::create(const HttpRequest& req) {
  auto in = desk_.admitPost(req, isAdmin);
  if (!in.who) { return in.refusal; }
  auth::NewAccount a;
  a.login = views::trim(formValue(in.form, "login"));
  a.role = formValue(in.form, "role");
  a.departments = knownDepartments(in.form);
  a.password = formValue(in.form, "password");
  a.iterations = password_iterations_;
  // The admin knows this password: the member replaces it before any other page.
  a.must_change_password = true;
  auto id = auth::createAccount(store_, a, clock_.now());
  if (!id) { return redirect("/inbox/admin/staff?e=create"); }
  desk_.audit(*in.who, "staff_create", 0, "staff=" + std::to_string(*id) + " role=" + a.role);
  return redirect("/inbox/admin/staff?ok=1");
}

HttpResponse AccountsPage::update(const HttpRequest& req) {
  auto in = desk_.admitPost(req, isAdmin);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto id = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  if (!id) { return desk_.notFound(&p); }
  auto role = staffRoleFromString(formValue(in.form, "role"));
  if (!role) { return redirect("/inbox/admin/staff?e=create"); }
  const bool disabled = formValue(in.form, "disabled") == "1";
  if (*id == p.user.id && (disabled || *role != StaffRole::Admin)) {
    return redirect("/inbox/admin/staff?e=self");
  }
  std::vector<std::string> deps = knownDepartments(in.form);
  std::sort(deps.begin(), deps.end());
  const std::string detail = "staff=" + std::to_string(*id) + " role=" + toString(*role) +
                             (disabled ? " disabled" : "");
  auto r = store_.updateStaff(*id, *role, deps, disabled,
                              desk_.auditEntry(p, "staff_update", 0, detail));
  if (!r) { return r.error().code == ErrorCode::NotFound ? desk_.notFound(&p) : desk_.forbidden(&p); }
  return redirect("/inbox/admin/staff?ok=1");
}

std::string AccountsPage::resetForm(const StaffUser& u, const std::string& csrf) {
  return "<form method=\"post\" action=\"/inbox/admin/staff/" + std::to_string(u.id) +
         "/passwort\" class=\"staff-reset\">" + csrf +
         "<button type=\"submit\">Passwort zurücksetzen</button>" +
         (u.must_change_password ? " <span class=\"muted\">(vorläufiges Passwort)</span>" : "") +
         "</form>";
}

HttpResponse AccountsPage::resetPassword(const HttpRequest& req) {
  auto in = desk_.admitPost(req, isAdmin);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto id = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  if (!id) { return desk_.notFound(&p); }
  // One's own password is changed with the current one (Mein Konto), never reset.
  if (*id == p.user.id) { return redirect(kOwnAccountPath); }
  auto user = store_.staffById(*id);
  if (!user) { return desk_.unavailable(&p); }
  if (!*user) { return desk_.notFound(&p); }
  const std::string temporary = auth::temporaryPassword();
  auto hash = auth::hashPassword(temporary, password_iterations_);
  if (!hash) { return desk_.unavailable(&p); }
  auto r = store_.setPassword(*id, *hash, true, "",
                              desk_.auditEntry(p, "password_reset", 0, "staff=" + std::to_string(*id)));
  if (!r) { return r.error().code == ErrorCode::NotFound ? desk_.notFound(&p) : desk_.unavailable(&p); }
  HttpResponse page = desk_.page(
      200, "Passwort zurückgesetzt", &p,
      "<h1>Passwort zurückgesetzt</h1><p>Vorläufiges Passwort für <strong>" +
          escapeHtml((*user)->login) + "</strong>:</p><p class=\"temporary-password\"><code>" +
          escapeHtml(temporary) + "</code></p><p class=\"hint\">Es wird nur jetzt angezeigt. "
          "Geben Sie es der Person persönlich oder am Telefon weiter; bei der nächsten Anmeldung "
          "muss sie ein eigenes Passwort festlegen. Alle ihre Sitzungen sind beendet.</p>"
          "<p><a href=\"/inbox/admin/staff\">Zurück zu den Konten</a></p>");
  return page;
}

HttpResponse AccountsPage::auditLog(const HttpRequest& req) {
  auto in = desk_.admitPage(req, isAdmin);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  const std::int64_t before = parseId(req.param("before")).value_or(0);
  auto entries = store_.auditLog(before, kAuditPageSize);
  if (!entries) { return desk_.unavailable(&p); }
  std::string body = "<h1>Protokoll</h1><p class=\"hint\">Jede Aktion des Personals: wer, was, "
                     "wann, welche Meldung – ohne Nachrichteninhalte.</p><table class=\"audit\">"
                     "<thead><tr><th>Zeit</th><th>Wer</th><th>Aktion</th><th>Meldung</th>"
                     "<th>Angaben</th></tr></thead><tbody>";
  for (const auto& e : *entries) {
    const std::string n = std::to_string(e.ticket_number);
    body += "<tr><td>" + views::formatTime(e.at) + "</td><td>" + escapeHtml(e.actor) + "</td><td>" +
            views::auditAction(e.action) + "</td><td>" +
            (e.ticket_number > 0 ? "<a href=\"/inbox/tickets/" + n + "\">" + n + "</a>" : "") +
            "</td><td>" + escapeHtml(e.detail) + "</td></tr>";
  }
  body += "</tbody></table>";
  if (entries->size() == static_cast<std::size_t>(kAuditPageSize)) {
    body += "<nav class=\"pager\"><a rel=\"next\" href=\"/inbox/audit?before=" +
            std::to_string(entries->back().id) + "\">Ältere »</a></nav>";
  }
  return desk_.page(200, "Protokoll", &p, body);
}

}  // namespace bb::web
