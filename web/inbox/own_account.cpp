#include "web/inbox/own_account.hpp"

#include "bot/log.hpp"
#include "bot/staff/digest.hpp"
#include "bot/staff/staff_accounts.hpp"
#include "bot/text/local_time.hpp"
#include "config/config.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;

//! Where to go after the password form: the page the member asked for, else the start page.
std::string nextOrStart(const std::string& next) {
  auto path = returnPath(next);
  return path ? *path : std::string("/inbox");
}

}  // namespace

OwnAccountPage::OwnAccountPage(StaffDesk& desk, InboxStore& store, int password_iterations,
                               int digest_hour)
    : desk_(desk), store_(store), password_iterations_(password_iterations),
      digest_hour_(digest_hour) {}

std::string OwnAccountPage::digestSection(const Principal& p, const std::string& csrf) {
  if (digest_hour_ < 0 || !digestOffered(p.user)) { return {}; }
  auto stored = store_.digestSetting(p.user.id);
  const DigestSetting d = stored && *stored ? **stored : DigestSetting{};
  std::string state;
  if (!d.last_error.empty() && d.failed_at) {
    state = "<p class=\"error\" role=\"alert\">Die Übersicht konnte am " +
            localDateTime(*d.failed_at) + " Uhr nicht gesendet werden (" +
            escapeHtml(d.last_error) + "). " +
            (d.failed_tries >= kDigestMaxTries ? std::string("Nächster Versuch morgen.")
                                 : std::string("Sie wird bald erneut versucht.")) +
            " Bitte prüfen Sie die Adresse; bleibt es dabei, hilft der IT-Betrieb.</p>";
  } else if (d.sent_at) {
    state = "<p class=\"hint\">Zuletzt gesendet: " + localDateTime(*d.sent_at) + " Uhr.</p>";
  }
  return "<section class=\"action\" id=\"uebersicht\"><h2>Tägliche Übersicht per E-Mail</h2>"
         "<p>Einmal am Tag ab " + std::to_string(digest_hour_) +
         " Uhr, nur wenn es Neues gibt: wie viele neue Meldungen und ungelesene Nachrichten in "
         "Ihren Bereichen warten, mit einem Link hierher. Die E-Mail nennt keine Inhalte.</p>" +
         state + "<form method=\"post\" action=\"/inbox/konto/uebersicht\" class=\"digest\">" + csrf +
         "<label>E-Mail-Adresse<input name=\"email\" type=\"email\" maxlength=\"254\" "
         "autocomplete=\"email\" value=\"" + escapeHtml(d.email) + "\"></label>"
         "<label class=\"check\"><input name=\"enabled\" type=\"checkbox\" value=\"1\"" +
         (d.enabled ? std::string(" checked") : std::string()) +
         "> Übersicht schicken</label><button type=\"submit\">Speichern</button></form></section>";
}

HttpResponse OwnAccountPage::page(const Principal& p, const std::string& next,
                                  const std::string& error, int status) {
  const std::string csrf = views::hidden("csrf", p.session.csrf_token);
  const bool pending = p.user.must_change_password;
  std::string body = "<h1>Mein Konto</h1>";
  if (pending) {
    body += "<p class=\"notice\" role=\"alert\">Bitte legen Sie jetzt ein eigenes Passwort fest. "
            "Das bisherige Passwort war nur vorläufig; erst danach geht es weiter.</p>";
  }
  body += error;
  body += "<section class=\"action\"><h2>Passwort ändern</h2><form method=\"post\" "
          "action=\"/inbox/konto/passwort\" class=\"password-change\">" + csrf +
          (returnPath(next) ? views::hidden("next", next) : std::string()) +
          "<label>Aktuelles Passwort<input name=\"current\" type=\"password\" required "
          "maxlength=\"256\" autocomplete=\"current-password\"></label>"
          "<label>Neues Passwort (mind. 10 Zeichen)<input name=\"password\" type=\"password\" "
          "required minlength=\"10\" maxlength=\"256\" autocomplete=\"new-password\"></label>"
          "<label>Neues Passwort wiederholen<input name=\"password2\" type=\"password\" required "
          "minlength=\"10\" maxlength=\"256\" autocomplete=\"new-password\"></label>"
          "<button type=\"submit\" class=\"primary\">Passwort ändern</button></form>"
          "<p class=\"hint\">Danach sind Sie in allen anderen Browsern abgemeldet.</p></section>";
  if (!pending) {
    body += "<section class=\"action\"><h2>Überall abmelden</h2><p>Beendet jede Sitzung dieses "
            "Kontos – auch auf anderen Geräten, etwa einem vergessenen Rechner.</p>"
            "<form method=\"post\" action=\"/inbox/konto/abmelden\">" + csrf +
            "<button type=\"submit\">Überall abmelden</button></form></section>";
    body += digestSection(p, csrf);
  }
  return desk_.page(status, "Mein Konto", &p, body);
}

HttpResponse OwnAccountPage::show(const HttpRequest& req) {
  auto in = desk_.admitPage(req, anyRole, true);
  if (!in.who) { return in.refusal; }
  std::string flash;
  if (req.param("ok") == "1") {
    flash = "<p class=\"flash\" role=\"status\">Ihr Passwort ist geändert.</p>";
  } else if (req.param("ok") == "uebersicht") {
    flash = "<p class=\"flash\" role=\"status\">Ihre Einstellung zur Übersicht ist gespeichert.</p>";
  }
  return page(*in.who, req.param("next"), flash, 200);
}

HttpResponse OwnAccountPage::changePassword(const HttpRequest& req) {
  auto in = desk_.admitPost(req, anyRole, true);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  const std::string next = formValue(in.form, "next");
  const std::string current = formValue(in.form, "current");
  const std::string password = formValue(in.form, "password");
  auto refuse = [&](const std::string& why) {
    return page(p, next, "<p class=\"error\" role=\"alert\">" + why + "</p>", 400);
  };
  if (blocked_ && blocked_(p.user.login)) {
    desk_.audit(p, "password_change_throttled");
    return page(p, next, "<p class=\"error\" role=\"alert\">Zu viele falsche Versuche. Bitte "
                         "warten Sie eine Minute und versuchen Sie es dann erneut.</p>", 429);
  }
  if (current.size() > 256 || !auth::verifyPassword(current, p.user.password_hash)) {
    if (failed_) { failed_(p.user.login); }
    desk_.audit(p, "password_change_failed");
    return refuse("Das aktuelle Passwort stimmt nicht.");
  }
  if (password != formValue(in.form, "password2")) {
    return refuse("Die beiden neuen Passwörter sind verschieden.");
  }
  if (password == current) { return refuse("Das neue Passwort muss ein anderes sein."); }
  auto hash = auth::hashChosenPassword(password, password_iterations_);
  if (!hash) {
    if (hash.error().code != ErrorCode::InvalidInput) { return desk_.unavailable(&p); }
    return refuse("Das neue Passwort braucht mindestens 10 Zeichen.");
  }
  // This browser stays signed in; every other session of the account ends.
  if (!store_.setPassword(p.user.id, *hash, false, p.session.id_hash,
                          desk_.auditEntry(p, "password_change"))) {
    return desk_.unavailable(&p);
  }
  log::info("inbox_password_changed", {{"staff_id", std::to_string(p.user.id)}});
  if (p.user.must_change_password) { return redirect(nextOrStart(next)); }
  return redirect(std::string(kOwnAccountPath) + "?ok=1");
}

HttpResponse OwnAccountPage::logoutEverywhere(const HttpRequest& req) {
  auto in = desk_.admitPost(req, anyRole);
  if (!in.who) { return in.refusal; }
  if (!store_.endAllSessions(in.who->user.id, desk_.auditEntry(*in.who, "logout_all"))) {
    return desk_.unavailable(&*in.who);
  }
  log::info("inbox_logout_all", {{"staff_id", std::to_string(in.who->user.id)}});
  HttpResponse r = redirect("/inbox/login");
  r.header("Set-Cookie", desk_.sessionCookie(""));
  return r;
}

HttpResponse OwnAccountPage::saveDigest(const HttpRequest& req) {
  auto in = desk_.admitPost(req, anyRole);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  if (digest_hour_ < 0 || !digestOffered(p.user)) {
    return page(p, {}, "<p class=\"error\" role=\"alert\">Auf diesem Server ist keine "
                       "E-Mail-Übersicht eingerichtet.</p>", 400);
  }
  std::string email = formValue(in.form, "email");
  const auto first = email.find_first_not_of(" \t");
  const auto last = email.find_last_not_of(" \t");
  email = first == std::string::npos ? std::string() : email.substr(first, last - first + 1);
  const bool enabled = formValue(in.form, "enabled") == "1";
  if ((enabled || !email.empty()) && !config::isMailAddress(email)) {
    return page(p, {}, "<p class=\"error\" role=\"alert\">Bitte geben Sie eine gültige "
                       "E-Mail-Adresse an, etwa name@stadt.de.</p>", 400);
  }
  if (!store_.setDigest(p.user.id, email, enabled,
                        desk_.auditEntry(p, enabled ? "digest_on" : "digest_off"))) {
    return desk_.unavailable(&p);
  }
  return redirect(std::string(kOwnAccountPath) + "?ok=uebersicht#uebersicht");
}

}  // namespace bb::web
