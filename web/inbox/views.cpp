#include "web/inbox/views.hpp"

#include <algorithm>

#include "bot/text/local_time.hpp"
#include "web/html.hpp"

namespace bb::web::views {

std::string formatTime(SysTime t) { return localDateTime(t); }

std::string channelLabel(Channel c) {
  switch (c) {
    case Channel::WhatsApp: return "WhatsApp";
    case Channel::Telegram: return "Telegram";
    case Channel::Matrix: return "Matrix";
    case Channel::WebChat: return "Web-Chat";
  }
  return "?";
}

std::string roleLabel(const std::string& role) {
  if (role == "admin") { return "Administration"; }
  if (role == "agent") { return "Sachbearbeitung"; }
  if (role == "moderator") { return "Moderation"; }
  if (role == "editor") { return "Redaktion"; }
  return role;
}

std::string deliveryLabel(const std::string& s) {
  static const std::map<std::string, std::string> kLabels = {
      {"queued", "in Warteschlange"}, {"held", "wartet auf Antwort (24-h-Fenster)"},
      {"sent", "gesendet"},           {"delivered", "zugestellt"},
      {"read", "gelesen"},            {"failed", "fehlgeschlagen"},
      {"dead", "aufgegeben"},        {"withheld", "nicht gesendet (Benachrichtigungen abbestellt)"},
      {"parked", "Verarbeitung angehalten"}};
  auto it = kLabels.find(s);
  return it == kLabels.end() ? s : it->second;
}

std::string deliveryReasonLabel(const std::string& reason) {
  // WhatsApp's codes after Meta's error-code page; ours from the outbox and the sender.
  static const std::vector<std::pair<std::string, std::string>> kReasons = {
      {"outside_window", "letzte Nachricht der Person älter als 24 Stunden"},
      {"no_template", "keine Vorlage für diese Art Nachricht – sie wartet, bis die Person schreibt"},
      {"template_params", "Parameter passen nicht zur Vorlage"},
      {"132000", "Anzahl der Vorlagen-Parameter passt nicht"},
      {"132001", "Vorlage fehlt in dieser Sprache oder ist nicht freigegeben"},
      {"132005", "Vorlagentext mit Parametern zu lang"},
      {"132007", "Vorlage verstößt gegen Metas Richtlinien"},
      {"132012", "Vorlagen-Parameter im falschen Format"},
      {"132015", "Vorlage pausiert (geringe Qualität)"},
      {"132016", "Vorlage dauerhaft deaktiviert"},
      {"131026", "nicht zustellbar (kein WhatsApp, alte App oder Bedingungen nicht angenommen)"},
      {"131047", "24-Stunden-Fenster geschlossen"},
      {"131049", "von Meta zurückgehalten (Begrenzung für Marketing-Nachrichten)"},
      {"131050", "Person hat Marketing-Nachrichten abbestellt"},
  };
  std::string words;
  for (const auto& [code, label] : kReasons) {
    if (reason.find(code) == std::string::npos) { continue; }
    if (code == "outside_window" && reason.find("131047") != std::string::npos) { continue; }
    words += (words.empty() ? "" : "; ") + label;
  }
  if (reason.find("notice:") != std::string::npos) {
    words += (words.empty() ? "" : "; ") + std::string("Ankündigung per Vorlage nicht zugestellt");
  }
  return words.empty() ? reason : words + " (" + reason + ")";
}

std::string auditActionLabel(const std::string& action) {
  static const std::map<std::string, std::string> kLabels = {
      {"login", "Angemeldet"},
      {"login_failed", "Anmeldung fehlgeschlagen"},
      {"logout", "Abgemeldet"},
      {"reply", "Antwort an die meldende Person gesendet"},
      {"status", "Status geändert"},
      {"note", "Interne Notiz geschrieben"},
      {"assign", "Zuständigkeit geändert"},
      {"category", "Kategorie geändert"},
      {"merge", "Meldungen zusammengeführt"},
      {"staff_create", "Konto angelegt"},
      {"staff_update", "Konto geändert"},
      {"password_change", "Eigenes Passwort geändert"},
      {"password_change_failed", "Passwortänderung abgelehnt (aktuelles Passwort falsch)"},
      {"password_change_throttled", "Passwortänderung gesperrt (zu viele falsche Versuche)"},
      {"password_reset", "Passwort zurückgesetzt (vorläufiges Passwort)"},
      {"logout_all", "Überall abgemeldet"},
      {"digest_on", "Tägliche E-Mail-Übersicht eingeschaltet"},
      {"digest_off", "Tägliche E-Mail-Übersicht ausgeschaltet"},
      {"broadcast_draft", "Rundschreiben-Entwurf gespeichert"},
      {"broadcast_save", "Rundschreiben gespeichert"},
      {"broadcast_send", "Rundschreiben versendet"},
      {"broadcast_schedule", "Rundschreiben geplant"},
      {"broadcast_cancel", "Rundschreiben abgebrochen"},
      {"campaign_save", "Beteiligungskampagne gespeichert"},
      {"proposal_publish", "Vorschlag veröffentlicht"},
      {"proposal_reject", "Vorschlag abgelehnt"},
      {"proposal_merge", "Vorschläge zusammengeführt"},
      {"proposal_outcome", "Ergebnis zu einem Vorschlag eingetragen"},
      {"comment_publish", "Kommentar veröffentlicht"},
      {"comment_reject", "Kommentar abgelehnt"},
      {"delivery_retry", "Zustellung erneut angestoßen"},
      {"delivery_discard", "Zustellung verworfen"}};
  auto it = kLabels.find(action);
  return it == kLabels.end() ? action : it->second;
}

std::string auditAction(const std::string& action) {
  return "<span data-action=\"" + escapeHtml(action) + "\">" +
         escapeHtml(auditActionLabel(action)) + "</span>";
}

std::string workingDaysLabel(int days) {
  return std::to_string(days) + (days == 1 ? " Arbeitstag" : " Arbeitstage");
}

std::string options(const std::vector<std::pair<std::string, std::string>>& values,
                    const std::string& selected) {
  std::string out;
  for (const auto& [value, label] : values) {
    out += "<option value=\"" + escapeHtml(value) + "\"" +
           (value == selected ? " selected" : "") + ">" + escapeHtml(label) + "</option>";
  }
  return out;
}

std::string hidden(const std::string& name, const std::string& value) {
  return "<input type=\"hidden\" name=\"" + escapeHtml(name) + "\" value=\"" + escapeHtml(value) +
         "\">";
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) { return {}; }
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::string formValue(const std::multimap<std::string, std::string>& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::vector<std::string> formValues(const std::multimap<std::string, std::string>& form,
                                    const std::string& name) {
  std::vector<std::string> out;
  auto [begin, end] = form.equal_range(name);
  for (auto it = begin; it != end; ++it) { out.push_back(it->second); }
  return out;
}

std::string statusBadge(const std::string& id, const std::string& label) {
  return "<span class=\"badge st-" + escapeHtml(id) + "\">" + escapeHtml(label) + "</span>";
}

std::string statusLabel(const FlowData& flows, const std::string& status) {
  return flows.texts.render(flows::Lang::De, "status." + status);
}

std::string categoryLabel(const FlowData& flows, const std::string& id) {
  if (const auto* c = flows.category(id)) {
    auto it = c->label.find(flows::Lang::De);
    if (it != c->label.end()) { return it->second; }
  }
  return id;
}

std::string cannedNote(const std::string& status) {
  static const std::map<std::string, std::string> kNotes = {
      {"in_pruefung", "Wir prüfen Ihre Meldung und melden uns wieder."},
      {"in_bearbeitung", "Wir kümmern uns darum."},
      {"eingeplant", "Die Arbeiten sind eingeplant."},
      {"erledigt", "Der Mangel ist behoben. Vielen Dank für Ihre Meldung!"},
      {"nicht_zustaendig",
       "Dafür ist die Stadt leider nicht zuständig. Wir haben die Meldung weitergeleitet."},
      {"duplikat", "Das wurde bereits gemeldet; wir bearbeiten es dort."},
      {"geschlossen", "Wir haben die Meldung geschlossen."},
      {"eingegangen", ""}};
  auto it = kNotes.find(status);
  return it == kNotes.end() ? std::string() : it->second;
}

}  // namespace bb::web::views
