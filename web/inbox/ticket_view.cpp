#include "web/inbox/ticket_view.hpp"

#include <algorithm>
#include <map>

#include "bot/cases/ticket_status.hpp"
#include "bot/conversation/citizen_message.hpp"
#include "bot/conversation/codec.hpp"
#include "bot/log.hpp"
#include "bot/text/utf8.hpp"
#include "web/html.hpp"
#include "web/image_response.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;
using views::hidden;

constexpr std::size_t kMaxReplyChars = 2000;
constexpr std::size_t kMaxNoteChars = 4000;
constexpr std::size_t kMaxStatusNoteChars = 1000;

std::string actorLabel(const std::string& actor) {
  if (actor.rfind("staff:", 0) == 0) { return actor.substr(6); }
  if (actor == "citizen") { return "Bürger:in"; }
  if (actor == "bot") { return "Bot"; }
  if (actor == "system") { return "System"; }
  return actor;
}

std::string coordinates(double lat, double lon) {
  char coords[64];
  std::snprintf(coords, sizeof coords, "%.5f, %.5f", lat, lon);
  return std::string("<span class=\"coords\">") + coords + "</span>";
}

std::string replyPrefix(flows::Lang lang, std::int64_t number) {
  return lang == flows::Lang::En
             ? "Message from the city about report " + std::to_string(number) + ":\n"
             : "Nachricht der Stadt zu Meldung " + std::to_string(number) + ":\n";
}

std::string actionBase(const TicketRecord& t) {
  return "/inbox/tickets/" + std::to_string(t.number) + "/";
}

//! Where a successful action leads: the ticket, with the action's confirmation.
HttpResponse done(const TicketRecord& t, const std::string& what) {
  return redirect("/inbox/tickets/" + std::to_string(t.number) + "?ok=" + what);
}

//! The headline and text of one thread entry as staff read them.
struct EntryText {
  std::string head;
  std::string text;
};

EntryText describe(const ThreadEntry& e, const FlowData& flows) {
  EntryText out{e.kind, e.body};
  if (e.kind == "created") {
    out.head = "Meldung eingegangen";
  } else if (e.kind == "bot_message") {
    out.head = "Nachricht des Bots";
    if (auto m = decodeOutbound(e.outbox_payload)) { out.text = m->text; }
  } else if (e.kind == "staff_reply") {
    out.head = "Antwort von " + actorLabel(e.actor);
    if (e.status == "withheld") {
      out.head += " – nicht per Chat gesendet (Benachrichtigungen abbestellt)";
    }
  } else if (e.kind == "notifications_withheld") {
    out = {"Nicht benachrichtigt: " + e.body +
               (e.body == "1" ? " Person hat" : " Personen haben") +
               " Benachrichtigungen abbestellt",
           ""};
  } else if (e.kind == "status_changed") {
    out.head = "Status: " + views::statusLabel(flows, e.status) + " (" + actorLabel(e.actor) + ")";
  } else if (e.kind == "internal_note") {
    out.head = "Interne Notiz von " + actorLabel(e.actor) + " – wird nie gesendet";
  } else if (e.kind == "assigned") {
    out = {e.body.empty() ? "Zuweisung entfernt" : "Zugewiesen an " + e.body, ""};
  } else if (e.kind == "recategorized") {
    out = {"Kategorie/Abteilung geändert: " + e.body, ""};
  } else if (e.kind == "merged_into") {
    out = {"Als Duplikat zusammengeführt mit Meldung " + e.body, ""};
  } else if (e.kind == "merged_from") {
    out = {"Duplikat " + e.body + " hierher zusammengeführt", ""};
  } else if (e.kind == "follower_added") {
    out.head = "Eine weitere Person folgt dieser Meldung";
  } else if (e.kind == "citizen_message") {
    out.head = "Nachricht der Bürger:in";
  }
  return out;
}

std::string noteForm(const std::string& base, const std::string& csrf) {
  return "<section class=\"action\"><h2>Interne Notiz</h2><form method=\"post\" action=\"" + base +
         "note\">" + csrf + "<label for=\"note-text\">Nur für die Verwaltung sichtbar</label>"
         "<textarea id=\"note-text\" name=\"text\" rows=\"3\" maxlength=\"4000\" required>"
         "</textarea><button type=\"submit\">Notiz speichern</button></form></section>";
}

std::string mergeForm(const std::string& base, const std::string& csrf,
                      const std::string& duplicate_label) {
  return "<section class=\"action\"><h2>Duplikat zusammenführen</h2><form method=\"post\" "
         "action=\"" + base + "merge\">" + csrf +
         "<label>Diese Meldung ist ein Duplikat von Nr.<input name=\"target\" "
         "inputmode=\"numeric\" pattern=\"[0-9]+\" required></label><p class=\"hint\">Diese "
         "Meldung bekommt den Status „" + escapeHtml(duplicate_label) + "“; ihre "
         "Folgenden folgen dann der Zielmeldung und erhalten deren Neuigkeiten.</p>"
         "<button type=\"submit\">Zusammenführen</button></form></section>";
}

}  // namespace

TicketView::TicketView(StaffDesk& desk, Engine& engine, Store& store, InboxStore& inbox,
                       media::MediaStore& media, const Clock& clock,
                       const std::vector<std::string>& departments)
    : desk_(desk),
      engine_(engine),
      store_(store),
      inbox_(inbox),
      media_(media),
      clock_(clock),
      departments_(departments) {}

// ---- the page ----

HttpResponse TicketView::show(const HttpRequest& req) {
  auto in = desk_.admitPage(req, anyRole);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto number = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  if (!number) { return desk_.notFound(&p); }
  static const std::map<std::string, std::string> kFlash = {
      {"reply", "Die Antwort ist in der Warteschlange des Kanals."},
      {"reply_unsent", "Die Antwort ist im Verlauf gespeichert. Die meldende Person hat "
                       "Benachrichtigungen abbestellt und erhält sie nicht per Chat."},
      {"status", "Status geändert; alle Folgenden werden benachrichtigt."},
      {"note", "Interne Notiz gespeichert."},
      {"assign", "Zuweisung gespeichert."},
      {"category", "Kategorie und Abteilung gespeichert."},
      {"merge", "Zusammengeführt; die Folgenden erhalten Neuigkeiten der Zielmeldung."}};
  auto it = kFlash.find(req.param("ok"));
  return render(p, *number, it == kFlash.end() ? "" : it->second, "", 200);
}

HttpResponse TicketView::render(const Principal& p, std::int64_t number, const std::string& flash,
                                const std::string& error, int status) {
  if (!worksTickets(p.user)) { return desk_.notFound(&p); }
  auto found = inbox_.inboxTicket(number);
  if (!found) { return desk_.unavailable(&p); }
  if (!*found || !canSee(p.user, (*found)->ticket.department)) { return desk_.notFound(&p); }
  const InboxTicket& row = **found;
  const TicketRecord& t = row.ticket;
  const std::string csrf = hidden("csrf", p.session.csrf_token);
  std::string body = "<p class=\"crumbs\"><a href=\"/inbox\">« Meldungen</a></p>";
  if (!flash.empty()) { body += "<p class=\"flash\" role=\"status\">" + escapeHtml(flash) + "</p>"; }
  if (!error.empty()) { body += "<p class=\"error\" role=\"alert\">" + escapeHtml(error) + "</p>"; }
  if (row.unread_since && flash.empty() && error.empty()) {
    // The first staff member to open the ticket reads the citizen's answer for the team.
    if (!inbox_.markCitizenMessagesRead(number)) {
      log::warn("inbox_mark_read_failed", {{"ticket", std::to_string(number)}});
    }
  }
  const std::string left = details(t) + thread(t) + trail(number);
  const std::optional<CitizenRecord> reporter = reporterOf(t);
  const std::string right =
      replyForm(t, reporter, csrf) + statusForms(t, reporter, csrf) + noteForm(actionBase(t), csrf) +
      assignForm(row, csrf) + categoryForm(t, csrf) +
      mergeForm(actionBase(t), csrf, views::statusLabel(engine_.flowData(), "duplikat"));
  body += head(row, reporter) + "<div class=\"ticket-grid\"><div class=\"main-col\">" + left +
          "</div><aside class=\"side-col\">" + right + "</aside></div>";
  return desk_.page(status, "Meldung " + std::to_string(t.number), &p, body);
}

std::string TicketView::head(const InboxTicket& row,
                             const std::optional<CitizenRecord>& reporter) const {
  const TicketRecord& t = row.ticket;
  const auto& flows = engine_.flowData();
  // The citizen chose "stop" -> everything: nothing about this ticket reaches them by chat.
  std::string stopped;
  if (reporter && reporter->notifications_stopped_at) {
    stopped = "<dt>Benachrichtigungen</dt><dd class=\"notifications-stopped\">"
              "Benachrichtigungen abbestellt (seit " +
              views::formatTime(*reporter->notifications_stopped_at) + ")</dd>";
  }
  // Who works on it comes first: the team sees at once whether a citizen's answer has someone.
  return "<header class=\"ticket-head\"><h1>Meldung <span class=\"number\">" +
         std::to_string(t.number) + "</span></h1>" +
         views::statusBadge(t.status, views::statusLabel(flows, t.status)) +
         "<dl class=\"facts\"><dt>Zuständig</dt><dd class=\"assignee\">" +
         (row.assignee_login.empty() ? "niemand" : escapeHtml(row.assignee_login)) +
         "</dd><dt>Kategorie</dt><dd>" +
         escapeHtml(views::categoryLabel(flows, t.category_id)) + "</dd><dt>Abteilung</dt><dd>" +
         escapeHtml(desk_.departmentName(t.department)) + "</dd><dt>Kanal</dt><dd>" +
         escapeHtml(views::channelLabel(t.channel)) + "</dd><dt>Eingang</dt><dd>" +
         views::formatTime(t.created_at) + "</dd><dt>Meldende Person</dt><dd class=\"pseudonym\" title=\"Pseudonym\">" +
         (t.reporter.empty() ? "anonymisiert" : escapeHtml(t.reporter.substr(0, 12))) +
         "</dd>" + stopped + "</dl></header>";
}

std::string TicketView::details(const TicketRecord& t) const {
  std::string out = "<section class=\"details\"><h2>Details</h2>";
  out += "<div class=\"citizen-text\">" + escapeHtml(t.description) + "</div>";
  if (!t.extra_answer.empty()) {
    out += "<p><b>Zusatzangabe:</b> <span class=\"citizen-text\">" + escapeHtml(t.extra_answer) +
           "</span></p>";
  }
  out += place(t);
  if (!t.address_text.empty()) {
    out += "<p><b>Angabe:</b> <span class=\"citizen-text\">" + escapeHtml(t.address_text) +
           "</span></p>";
  }
  if (!t.photo_media_ids.empty()) {
    out += "<div class=\"photos\">";
    for (const auto& id : t.photo_media_ids) {
      out += "<a href=\"/inbox/media/" + escapeHtml(id) + "\" target=\"_blank\"><img src=\"/inbox/media/" +
             escapeHtml(id) + "/thumb\" alt=\"Foto " + escapeHtml(id) + "\" loading=\"lazy\"></a>";
    }
    out += "</div>";
  }
  return out + "</section>";
}

//! The point on a map drawn here (no tiles, no link to another site) and as coordinates.
std::string TicketView::place(const TicketRecord& t) const {
  if (!t.lat || !t.lon) { return ""; }
  return "<p class=\"location\"><b>Ort:</b> " + coordinates(*t.lat, *t.lon) + "</p>" +
         (map_ != nullptr ? map_->placeFigure(t) : "");
}

std::string TicketView::thread(const TicketRecord& t) const {
  std::string out = "<section class=\"thread\"><h2>Verlauf</h2><ol>";
  auto entries = inbox_.thread(t.number);
  if (!entries) { return out + "</ol></section>"; }
  for (const auto& e : *entries) {
    EntryText shown = describe(e, engine_.flowData());
    if (e.kind == "citizen_message") { shown.head += " über " + views::channelLabel(t.channel); }
    out += "<li class=\"ev ev-" + escapeHtml(e.kind) + "\"><div class=\"ev-head\"><span>" +
           escapeHtml(shown.head) + "</span><time>" + views::formatTime(e.at) + "</time></div>";
    if (!shown.text.empty()) {
      out += "<div class=\"ev-body citizen-text\">" + escapeHtml(shown.text) + "</div>";
    }
    if (e.media_id > 0) {
      const std::string id = std::to_string(e.media_id);
      out += "<div class=\"photos\"><a href=\"/inbox/media/" + id +
             "\" target=\"_blank\"><img src=\"/inbox/media/" + id + "/thumb\" alt=\"Foto " + id +
             "\" loading=\"lazy\"></a></div>";
    }
    if (e.outbox_id > 0) {
      out += "<div class=\"delivery dl-" + escapeHtml(e.outbox_status) + "\">Zustellung: " +
             escapeHtml(views::deliveryLabel(e.outbox_status));
      if (!e.outbox_error.empty()) {
        out += " – " + escapeHtml(views::deliveryReasonLabel(e.outbox_error));
      }
      out += "</div>";
    }
    out += "</li>";
  }
  return out + "</ol></section>";
}

std::string TicketView::trail(std::int64_t number) const {
  auto entries = inbox_.auditOfTicket(number);
  if (!entries || entries->empty()) { return ""; }
  std::string out = "<section class=\"trail\"><h2>Protokoll dieser Meldung</h2><table><thead><tr>"
                    "<th>Zeit</th><th>Wer</th><th>Aktion</th><th>Angaben</th></tr></thead>"
                    "<tbody>";
  for (const auto& a : *entries) {
    out += "<tr><td>" + views::formatTime(a.at) + "</td><td>" + escapeHtml(a.actor) +
           "</td><td>" + views::auditAction(a.action) + "</td><td>" + escapeHtml(a.detail) + "</td></tr>";
  }
  return out + "</tbody></table></section>";
}

std::optional<CitizenRecord> TicketView::reporterOf(const TicketRecord& t) const {
  if (t.reporter.empty()) { return std::nullopt; }
  if (auto c = store_.citizen(t.reporter); c && *c) { return **c; }
  return std::nullopt;
}

std::string TicketView::replyForm(const TicketRecord& t,
                                  const std::optional<CitizenRecord>& citizen,
                                  const std::string& csrf) const {
  // Whether and how a reply reaches the reporter: WhatsApp only within its 24-hour window.
  std::string window;
  std::string button = "Antwort senden";
  if (citizen && !citizen->unreachable && citizen->notifications_stopped_at) {
    window = "<p class=\"window closed notifications-stopped\"><b>Benachrichtigungen "
             "abbestellt</b>: Die meldende Person hat „stop“ → „Alles“ gewählt. Ihre Antwort "
             "wird im Verlauf gespeichert, aber <b>nicht per Chat zugestellt</b>.</p>";
    button = "Im Verlauf speichern (wird nicht gesendet)";
  } else if (!citizen || citizen->unreachable) {
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
  return "<section class=\"action\"><h2>Antworten</h2>" + window +
         "<form method=\"post\" action=\"" + actionBase(t) + "reply\">" + csrf +
         "<label for=\"reply-text\">Nachricht an die meldende Person</label>"
         "<textarea id=\"reply-text\" name=\"text\" rows=\"4\" maxlength=\"2000\" required>"
         "</textarea><button type=\"submit\" class=\"primary\">" + button + "</button>"
         "</form></section>";
}

std::string TicketView::statusForms(const TicketRecord& t,
                                    const std::optional<CitizenRecord>& reporter,
                                    const std::string& csrf) const {
  const auto& flows = engine_.flowData();
  const std::string num = std::to_string(t.number);
  const auto* st = findTicketStatus(t.status);
  std::string out = "<section class=\"action\"><h2>Status ändern</h2>";
  if (reporter && reporter->notifications_stopped_at) {
    out += "<p class=\"hint notifications-stopped\">Die meldende Person hat Benachrichtigungen "
           "abbestellt und erhält die Statusänderung nicht; der Verlauf vermerkt es.</p>";
  }
  if (st != nullptr) {
    out += "<p class=\"hint\">Alle Folgenden erhalten: „" +
           escapeHtml(flows.texts.render(flows::Lang::De, "ticket.status_changed",
                                         {{"number", num}, {"status", "…"}, {"note", ""}})) +
           "“ mit Ihrem Text.</p>";
    for (const auto& next : st->next) {
      const std::string label = views::statusLabel(flows, next);
      out += "<details class=\"status-option\"><summary>" + views::statusBadge(next, label) +
             "</summary><form method=\"post\" action=\"" + actionBase(t) + "status\">" + csrf +
             hidden("status", next) +
             "<label>Text an die Bürger:innen (änderbar)<textarea name=\"note\" rows=\"3\" "
             "maxlength=\"1000\">" + escapeHtml(views::cannedNote(next)) + "</textarea></label>"
             "<p class=\"preview\">" +
             escapeHtml(flows.texts.render(flows::Lang::De, "ticket.status_changed",
                                           {{"number", num}, {"status", label},
                                            {"note", "[Ihr Text]"}})) +
             "</p><button type=\"submit\">Status „" + escapeHtml(label) +
             "“ setzen</button></form></details>";
    }
  }
  return out + "</section>";
}

std::string TicketView::assignForm(const InboxTicket& row, const std::string& csrf) const {
  std::vector<std::pair<std::string, std::string>> opts = {{"0", "niemand"}};
  if (auto staff = inbox_.listStaff()) {
    for (const auto& u : *staff) {
      if (!u.disabled && canSee(u, row.ticket.department)) {
        opts.emplace_back(std::to_string(u.id), u.login);
      }
    }
  }
  return "<section class=\"action\"><h2>Zuweisen</h2><form method=\"post\" action=\"" +
         actionBase(row.ticket) + "assign\">" + csrf +
         "<label>Zuständig<select name=\"assignee\">" +
         views::options(opts, std::to_string(row.assignee_id)) +
         "</select></label><button type=\"submit\">Zuweisen</button></form></section>";
}

std::string TicketView::categoryForm(const TicketRecord& t, const std::string& csrf) const {
  const auto& flows = engine_.flowData();
  std::vector<std::pair<std::string, std::string>> cats;
  for (const auto& c : flows.categories) {
    cats.emplace_back(c.id, views::categoryLabel(flows, c.id));
  }
  std::vector<std::pair<std::string, std::string>> deps = {{"", "wie Kategorie"}};
  for (const auto& d : departments_) { deps.emplace_back(d, desk_.departmentName(d)); }
  return "<section class=\"action\"><h2>Kategorie / Abteilung</h2><form method=\"post\" "
         "action=\"" + actionBase(t) + "category\">" + csrf +
         "<label>Kategorie<select name=\"category\">" + views::options(cats, t.category_id) +
         "</select></label><label>Abteilung<select name=\"department\">" +
         views::options(deps, "") +
         "</select></label><button type=\"submit\">Ändern</button></form></section>";
}

// ---- actions ----

HttpResponse TicketView::act(const HttpRequest& req) {
  auto in = desk_.admitPost(req, worksTickets);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  if (req.matches.size() < 2) { return desk_.notFound(&p); }
  auto number = parseId(req.matches[0]);
  if (!number) { return desk_.notFound(&p); }
  auto found = inbox_.inboxTicket(*number);
  if (!found) { return desk_.unavailable(&p); }
  if (!*found || !canSee(p.user, (*found)->ticket.department)) { return desk_.notFound(&p); }
  const TicketRecord& t = (*found)->ticket;
  using Action = HttpResponse (TicketView::*)(const Principal&, const TicketRecord&, const Form&);
  static const std::map<std::string, Action> kActions = {
      {"reply", &TicketView::reply},   {"status", &TicketView::changeStatus},
      {"note", &TicketView::note},     {"assign", &TicketView::assign},
      {"category", &TicketView::recategorize}, {"merge", &TicketView::merge}};
  auto it = kActions.find(req.matches[1]);
  if (it == kActions.end()) { return desk_.notFound(&p); }
  return (this->*(it->second))(p, t, in.form);
}

HttpResponse TicketView::refuse(const Principal& p, const TicketRecord& t,
                                const std::string& error, int status) {
  return render(p, t.number, "", error, status);
}

HttpResponse TicketView::reply(const Principal& p, const TicketRecord& t, const Form& form) {
  const std::string text = views::trim(formValue(form, "text"));
  if (text.empty()) { return refuse(p, t, "Bitte einen Text eingeben."); }
  if (codePoints(text) > kMaxReplyChars) {
    return refuse(p, t, "Der Text ist zu lang (max. 2000 Zeichen).");
  }
  if (t.reporter.empty()) {
    return refuse(p, t, "Die meldende Person ist anonymisiert; keine Antwort möglich.", 409);
  }
  auto citizen = store_.citizen(t.reporter);
  if (!citizen) { return refuse(p, t, "Die Datenbank antwortet gerade nicht.", 503); }
  if (!*citizen || (*citizen)->unreachable) {
    return refuse(p, t, "Die meldende Person ist nicht mehr erreichbar.", 409);
  }
  const auto& c = **citizen;
  if (c.notifications_stopped_at) {
    // Stored for the team and the back office; the citizen asked for no messages by chat.
    auto r = inbox_.addUnsentStaffReply(
        t.number, text,
        desk_.auditEntry(p, "reply", t.number,
                         std::string("channel=") + toString(c.channel) + " sent=no"));
    if (!r) { return refuse(p, t, "Die Antwort konnte nicht gespeichert werden.", 503); }
    return done(t, "reply_unsent");
  }
  auto message = CitizenMessage::staffReply(c, t.number);
  const NewOutbound o = message.text(replyPrefix(message.lang(), t.number) + text).build();
  auto r = inbox_.addStaffReply(
      t.number, o, text,
      desk_.auditEntry(p, "reply", t.number, std::string("channel=") + toString(c.channel)));
  if (!r) { return refuse(p, t, "Die Antwort konnte nicht gespeichert werden.", 503); }
  return done(t, "reply");
}

HttpResponse TicketView::changeStatus(const Principal& p, const TicketRecord& t,
                                      const Form& form) {
  const std::string next = formValue(form, "status");
  const std::string note = views::trim(formValue(form, "note"));
  if (findTicketStatus(next) == nullptr) { return refuse(p, t, "Unbekannter Status."); }
  if (codePoints(note) > kMaxStatusNoteChars) {
    return refuse(p, t, "Der Text ist zu lang (max. 1000 Zeichen).");
  }
  auto r = engine_.changeTicketStatus(t.number, next, note, "staff:" + p.user.login);
  if (!r) {
    const bool conflict = r.error().code == ErrorCode::Conflict;
    return refuse(p, t,
                  conflict ? "Dieser Statuswechsel ist nicht erlaubt."
                           : "Der Status konnte nicht geändert werden.",
                  conflict ? 409 : 503);
  }
  desk_.audit(p, "status", t.number, "from=" + t.status + " to=" + next);
  return done(t, "status");
}

HttpResponse TicketView::note(const Principal& p, const TicketRecord& t, const Form& form) {
  const std::string text = views::trim(formValue(form, "text"));
  if (text.empty()) { return refuse(p, t, "Bitte einen Text eingeben."); }
  if (codePoints(text) > kMaxNoteChars) { return refuse(p, t, "Die Notiz ist zu lang."); }
  if (!inbox_.addInternalNote(t.number, text, desk_.auditEntry(p, "note", t.number))) {
    return refuse(p, t, "Die Notiz konnte nicht gespeichert werden.", 503);
  }
  return done(t, "note");
}

HttpResponse TicketView::assign(const Principal& p, const TicketRecord& t, const Form& form) {
  auto assignee = parseId(formValue(form, "assignee"));
  if (!assignee) { return refuse(p, t, "Bitte eine Person wählen."); }
  if (*assignee > 0) {
    auto u = inbox_.staffById(*assignee);
    if (!u || !*u || (*u)->disabled || !canSee(**u, t.department)) {
      return refuse(p, t, "Diese Person kann die Meldung nicht bearbeiten.");
    }
  }
  if (!inbox_.assign(t.number, *assignee,
                     desk_.auditEntry(p, "assign", t.number,
                                      "assignee=" + std::to_string(*assignee)))) {
    return refuse(p, t, "Die Zuweisung konnte nicht gespeichert werden.", 503);
  }
  return done(t, "assign");
}

HttpResponse TicketView::recategorize(const Principal& p, const TicketRecord& t,
                                      const Form& form) {
  const std::string category = formValue(form, "category");
  const auto* cat = engine_.flowData().category(category);
  if (cat == nullptr) { return refuse(p, t, "Unbekannte Kategorie."); }
  std::string department = formValue(form, "department");
  if (department.empty()) { department = cat->department; }
  if (std::find(departments_.begin(), departments_.end(), department) == departments_.end()) {
    return refuse(p, t, "Unbekannte Abteilung.");
  }
  if (!inbox_.recategorize(t.number, category, department,
                           desk_.auditEntry(p, "category", t.number,
                                            "category=" + category +
                                                " department=" + department))) {
    return refuse(p, t, "Die Änderung konnte nicht gespeichert werden.", 503);
  }
  if (!canSee(p.user, department)) {
    return redirect("/inbox?ok=forwarded");  // forwarded to a department this agent cannot see
  }
  return done(t, "category");
}

HttpResponse TicketView::merge(const Principal& p, const TicketRecord& t, const Form& form) {
  auto target_number = parseId(views::trim(formValue(form, "target")));
  if (!target_number || *target_number == t.number) {
    return refuse(p, t, "Bitte eine andere Meldungsnummer angeben.");
  }
  auto target = inbox_.inboxTicket(*target_number);
  if (!target || !*target || !canSee(p.user, (*target)->ticket.department)) {
    return refuse(p, t, "Die Zielmeldung gibt es nicht (oder nicht in Ihrer Abteilung).", 404);
  }
  const std::string note = "Ihre Meldung wurde mit Meldung " + std::to_string(*target_number) +
                           " zusammengeführt. Neuigkeiten erhalten Sie ab jetzt von dort.";
  auto r = engine_.changeTicketStatus(t.number, "duplikat", note, "staff:" + p.user.login);
  if (!r) {
    const bool conflict = r.error().code == ErrorCode::Conflict;
    return refuse(p, t,
                  conflict ? "Diese Meldung kann im jetzigen Status nicht als Duplikat markiert "
                             "werden."
                           : "Das Zusammenführen ist fehlgeschlagen.",
                  conflict ? 409 : 503);
  }
  if (!inbox_.mergeFollowers(t.number, *target_number,
                             desk_.auditEntry(p, "merge", t.number,
                                              "target=" + std::to_string(*target_number)))) {
    return refuse(p, t, "Das Zusammenführen ist fehlgeschlagen.", 503);
  }
  return done(t, "merge");
}

// ---- photos ----

HttpResponse TicketView::photo(const HttpRequest& req) {
  auto p = desk_.authenticate(req);
  if (!p) { return HttpResponse::text(404, "not found"); }
  if (req.matches.empty() || !worksTickets(p->user)) { return HttpResponse::text(404, "not found"); }
  auto id = parseId(req.matches[0]);
  if (!id) { return HttpResponse::text(404, "not found"); }
  const bool thumb = req.matches.size() > 1 && req.matches[1] == "/thumb";
  auto m = inbox_.ticketMedia(*id);
  if (!m || !*m || !canSee(p->user, (*m)->department) || (*m)->status != "ready") {
    return HttpResponse::text(404, "not found");
  }
  return imageResponse(media_, (*m)->content_id, thumb, "private, no-store");
}

}  // namespace bb::web
