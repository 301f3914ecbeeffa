#include "web/inbox/broadcast_composer.hpp"

#include <algorithm>

#include "bot/text/local_time.hpp"
#include "bot/text/utf8.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {

namespace {

using views::formValue;
using views::hidden;

constexpr std::size_t kMaxTitleChars = 120;
constexpr std::size_t kMaxLinkChars = 500;

const char* statusLabel(BroadcastStatus s) {
  switch (s) {
    case BroadcastStatus::Draft: return "Entwurf";
    case BroadcastStatus::Scheduled: return "geplant";
    case BroadcastStatus::Sent: return "versendet";
    case BroadcastStatus::Cancelled: return "abgebrochen";
  }
  return "";
}

std::string progressJson(const BroadcastProgress& p) {
  return "{\"queued\":" + std::to_string(p.queued) + ",\"sent\":" + std::to_string(p.sent) +
         ",\"delivered\":" + std::to_string(p.delivered) + ",\"failed\":" +
         std::to_string(p.failed) + "}";
}

std::string button(const Principal& p, const std::string& action, const std::string& label,
                   const std::string& extra = "") {
  return "<form method=\"post\" action=\"" + escapeHtml(action) + "\" class=\"inline\">" +
         hidden("csrf", p.session.csrf_token) + extra + "<button type=\"submit\">" +
         escapeHtml(label) + "</button></form>";
}

}  // namespace

BroadcastComposer::BroadcastComposer(StaffDesk& desk, BroadcastService& service,
                                     BroadcastStore& store, const FlowData& flows,
                                     BroadcastOptions preview_options)
    : desk_(desk),
      service_(service),
      store_(store),
      flows_(flows),
      preview_options_(std::move(preview_options)) {}

std::vector<Route> BroadcastComposer::routes() {
  return {
      Route{"GET", "/inbox/rundschreiben", "inbox_broadcasts",
            [this](const HttpRequest& r) { return overview(r); }},
      Route{"POST", "/inbox/rundschreiben", "inbox_broadcast_create",
            [this](const HttpRequest& r) { return create(r); }},
      Route{"GET", R"(/inbox/rundschreiben/([0-9]{1,15}))", "inbox_broadcast",
            [this](const HttpRequest& r) { return detail(r); }},
      Route{"GET", R"(/inbox/rundschreiben/([0-9]{1,15})/progress)", "inbox_broadcast_progress",
            [this](const HttpRequest& r) { return progress(r); }},
      Route{"POST", R"(/inbox/rundschreiben/([0-9]{1,15})/(save|send|schedule|cancel))",
            "inbox_broadcast_action", [this](const HttpRequest& r) { return action(r); }},
  };
}

std::string BroadcastComposer::topicLabel(const std::string& id) const {
  return flows_.topicLabel(id, flows::Lang::De);
}

std::string BroadcastComposer::composeForm(const Principal& p, const BroadcastRecord* b) const {
  const std::string action =
      b == nullptr ? "/inbox/rundschreiben" : "/inbox/rundschreiben/" + std::to_string(b->id) + "/save";
  std::string options;
  for (const auto& t : flows_.topics) {
    const bool selected = b != nullptr && b->topic == t.id;
    options += "<option value=\"" + escapeHtml(t.id) + "\"" + (selected ? " selected" : "") + ">" +
               escapeHtml(topicLabel(t.id)) + "</option>";
  }
  std::string limits;
  for (const auto& l : broadcastChannelLimits()) {
    limits += std::string(limits.empty() ? "" : ", ") + toString(l.channel) + " " +
              std::to_string(l.max_chars);
  }
  return "<form method=\"post\" action=\"" + escapeHtml(action) + "\" class=\"compose\">" +
         hidden("csrf", p.session.csrf_token) + "<label>Thema<select name=\"topic\" required>" +
         options + "</select></label><label>Titel (für die Liste und Korrekturen)<input name=\"title\" "
         "maxlength=\"" + std::to_string(kMaxTitleChars) + "\" required value=\"" +
         escapeHtml(b != nullptr ? b->title : "") + "\"></label><label>Text<textarea name=\"body\" "
         "maxlength=\"" + std::to_string(kMaxTextChars) + "\" required>" +
         escapeHtml(b != nullptr ? b->body : "") + "</textarea></label><p class=\"hint\">Höchstens " +
         std::to_string(kMaxTextChars) + " Zeichen (Grenzen je Kanal: " + escapeHtml(limits) +
         "; WhatsApp nach 24 Stunden ohne Nachricht erst als Vorlage angekündigt).</p><label>Link (z. B. Ratsinformationssystem)"
         "<input name=\"link\" type=\"url\" maxlength=\"" + std::to_string(kMaxLinkChars) +
         "\" value=\"" + escapeHtml(b != nullptr ? b->link : "") + "\"></label><button "
         "type=\"submit\">Entwurf speichern</button></form>";
}

NewBroadcast BroadcastComposer::draftFrom(const Form& form) {
  NewBroadcast b;
  b.topic = views::trim(formValue(form, "topic"));
  b.title = views::trim(formValue(form, "title"));
  b.body = views::trim(formValue(form, "body"));
  b.link = views::trim(formValue(form, "link"));
  return b;
}

bool BroadcastComposer::acceptable(const NewBroadcast& b) const {
  const bool known = std::any_of(flows_.topics.begin(), flows_.topics.end(),
                                 [&b](const flows::Topic& t) { return t.id == b.topic; });
  return known && !b.title.empty() && !b.body.empty() && codePoints(b.body) <= kMaxTextChars &&
         codePoints(b.title) <= kMaxTitleChars && b.link.size() <= kMaxLinkChars;
}

std::string BroadcastComposer::previews(const BroadcastRecord& b) const {
  std::string out;
  for (const auto& limit : broadcastChannelLimits()) {
    CitizenRecord subscriber;  // what a German-reading subscriber on this channel gets
    subscriber.channel = limit.channel;
    auto preview = CitizenMessage::broadcast(subscriber);
    const auto& m = renderBroadcast(b, flows_.texts, preview_options_, preview).message();
    const std::size_t length = codePoints(m.text);
    const bool over = length > limit.max_chars;
    out += "<h3>" + std::string(toString(limit.channel)) + " – " + std::to_string(length) + " / " +
           std::to_string(limit.max_chars) + " Zeichen" + (over ? " (zu lang)" : "") + "</h3>";
    if (limit.channel == Channel::WhatsApp) {
      out += "<p class=\"hint\">Nur an Personen mit Einwilligung für dieses Thema. Wer länger "
             "als 24 Stunden nicht geschrieben hat, bekommt zuerst die Vorlage des Themas („" +
             escapeHtml(m.notice_params.empty() ? b.topic : m.notice_params.front()) +
             "“ – „" + escapeHtml(b.title) + "“); der Text folgt auf „Nachricht anzeigen“.</p>";
    }
    out += "<pre class=\"preview\">" + escapeHtml(m.text) + "</pre>";
  }
  return out;
}

HttpResponse BroadcastComposer::overview(const HttpRequest& req) {
  auto in = desk_.admitPage(req, composesBroadcasts);
  if (!in.who) { return in.refusal; }
  auto list = store_.recentBroadcasts(100);
  if (!list) { return desk_.unavailable(&*in.who); }
  std::string body = "<h1>Rundschreiben</h1>";
  if (req.param("error") == "invalid") {
    body += "<p class=\"error\" role=\"alert\">Bitte Thema, Titel und Text angeben (Text höchstens " +
            std::to_string(kMaxTextChars) + " Zeichen, Link mit http(s)://).</p>";
  }
  body += "<h2>Neues Rundschreiben</h2>" + composeForm(*in.who, nullptr);
  body += "<h2>Zuletzt</h2><table><thead><tr><th>Nr.</th><th>Thema</th><th>Titel</th><th>Quelle"
          "</th><th>Status</th><th>Empfänger</th></tr></thead><tbody>";
  for (const auto& b : *list) {
    body += "<tr><td><a href=\"/inbox/rundschreiben/" + std::to_string(b.id) + "\">" +
            std::to_string(b.id) + "</a></td><td>" + escapeHtml(topicLabel(b.topic)) + "</td><td>" +
            escapeHtml(b.title) + (b.corrects_id > 0 ? " (Korrektur)" : "") + "</td><td>" +
            escapeHtml(b.source) + "</td><td>" + statusLabel(b.status) + "</td><td>" +
            std::to_string(b.recipients) + "</td></tr>";
  }
  body += "</tbody></table>";
  return desk_.page(200, "Rundschreiben", &*in.who, body);
}

HttpResponse BroadcastComposer::create(const HttpRequest& req) {
  auto in = desk_.admitPost(req, composesBroadcasts);
  if (!in.who) { return in.refusal; }
  NewBroadcast b = draftFrom(in.form);
  b.source = "staff:" + in.who->user.login;
  const bool link_ok = b.link.empty() || b.link.rfind("https://", 0) == 0 ||
                       b.link.rfind("http://", 0) == 0;
  if (!acceptable(b) || !link_ok) { return redirect("/inbox/rundschreiben?error=invalid"); }
  auto id = service_.createDraft(b);
  if (!id) { return desk_.page(503, "Störung", &*in.who, "<h1>Nicht gespeichert.</h1>"); }
  desk_.audit(*in.who, "broadcast_draft", 0, "broadcast=" + std::to_string(*id));
  return redirect("/inbox/rundschreiben/" + std::to_string(*id));
}

HttpResponse BroadcastComposer::detail(const HttpRequest& req) {
  auto in = desk_.admitPage(req, composesBroadcasts);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  const auto id = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  auto found = id ? store_.broadcast(*id) : Result<std::optional<BroadcastRecord>>(std::nullopt);
  if (!found || !*found) { return desk_.notFound(&p); }
  const BroadcastRecord& b = **found;
  auto pr = store_.progress(b.id);
  const BroadcastProgress progress = pr ? *pr : BroadcastProgress{};
  std::string body = "<h1>Rundschreiben " + std::to_string(b.id) + ": " + escapeHtml(b.title) +
                     "</h1><p>Thema: " + escapeHtml(topicLabel(b.topic)) + " · Status: " +
                     statusLabel(b.status) + " · Quelle: " + escapeHtml(b.source) + "</p>";
  const std::string flash = req.param("ok");
  if (!flash.empty()) {
    body += "<p class=\"flash\" role=\"status\">" +
            escapeHtml(flash == "send" ? "Wird versendet." : flash == "schedule" ? "Geplant." :
                       flash == "cancel" ? "Abgebrochen." : "Gespeichert.") + "</p>";
  }
  if (req.param("error") == "state") {
    body += "<p class=\"error\" role=\"alert\">Das geht in diesem Zustand nicht.</p>";
  }
  if (b.status == BroadcastStatus::Sent || b.status == BroadcastStatus::Cancelled) {
    body += "<h2>Fortschritt</h2><table><tbody><tr><th>wartend</th><td id=\"queued\">" +
            std::to_string(progress.queued) + "</td></tr><tr><th>gesendet</th><td id=\"sent\">" +
            std::to_string(progress.sent) + "</td></tr><tr><th>zugestellt</th><td id=\"delivered\">" +
            std::to_string(progress.delivered) + "</td></tr><tr><th>fehlgeschlagen</th><td "
            "id=\"failed\">" + std::to_string(progress.failed) + "</td></tr></tbody></table>";
  }
  body += "<h2>Vorschau je Kanal</h2>" + previews(b);
  const std::string base = "/inbox/rundschreiben/" + std::to_string(b.id);
  if (b.status == BroadcastStatus::Draft || b.status == BroadcastStatus::Scheduled) {
    body += "<h2>Bearbeiten</h2>" + composeForm(p, &b);
    body += "<h2>Versand</h2>" + button(p, base + "/send", "Jetzt senden") +
            button(p, base + "/schedule", "Planen",
                   "<label>Zeitpunkt<input type=\"datetime-local\" name=\"at\" required></label>") +
            button(p, base + "/cancel", "Verwerfen");
  } else if (b.status == BroadcastStatus::Sent && progress.queued > 0) {
    body += button(p, base + "/cancel", "Versand abbrechen");
  }
  HttpResponse r = desk_.page(200, "Rundschreiben", &p, body);
  if (b.status == BroadcastStatus::Sent && progress.queued > 0) {
    r.header("Refresh", "5");  // live progress while rows wait (no script needed under the CSP)
  }
  return r;
}

HttpResponse BroadcastComposer::progress(const HttpRequest& req) {
  auto p = desk_.authenticate(req);
  if (!p || !composesBroadcasts(p->user)) {
    return HttpResponse::json(403, "{\"error\":\"forbidden\"}");
  }
  const auto id = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  if (!id) { return HttpResponse::json(404, "{\"error\":\"not found\"}"); }
  auto pr = store_.progress(*id);
  if (!pr) { return HttpResponse::json(503, "{\"error\":\"unavailable\"}"); }
  HttpResponse r = HttpResponse::json(200, progressJson(*pr));
  r.header("Cache-Control", "no-store");
  return r;
}

HttpResponse BroadcastComposer::action(const HttpRequest& req) {
  auto in = desk_.admitPost(req, composesBroadcasts);
  if (!in.who) { return in.refusal; }
  const Form& form = in.form;
  const auto id = parseId(req.matches.empty() ? std::string() : req.matches[0]);
  const std::string what = req.matches.size() > 1 ? req.matches[1] : std::string();
  if (!id) { return desk_.notFound(&*in.who); }
  const std::string base = "/inbox/rundschreiben/" + std::to_string(*id);
  Result<void> done;
  if (what == "send") {
    auto sent = service_.send(*id);
    if (!sent) { done = fail(sent.error().code, sent.error().detail); }
  } else if (what == "schedule") {
    const auto at = parseLocalDateTime(formValue(form, "at"));
    if (!at) { return redirect(base + "?error=state"); }
    done = service_.schedule(*id, *at);
  } else if (what == "cancel") {
    done = service_.cancel(*id);
  } else {
    const NewBroadcast b = draftFrom(form);
    if (!acceptable(b)) { return redirect(base + "?error=state"); }
    done = store_.updateBroadcast(*id, b, desk_.now());
  }
  if (!done) { return redirect(base + "?error=state"); }
  desk_.audit(*in.who, "broadcast_" + what, 0, "broadcast=" + std::to_string(*id));
  return redirect(base + "?ok=" + what);
}

}  // namespace bb::web
