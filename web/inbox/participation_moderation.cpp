#include "web/inbox/participation_moderation.hpp"

#include "bot/log.hpp"
#include "bot/text/local_time.hpp"
#include "bot/text/utf8.hpp"
#include "web/html.hpp"
#include "web/image_response.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

using views::formValue;
using views::hidden;

constexpr std::size_t kMaxReasonChars = 1000;
constexpr std::size_t kMaxPublicAddressChars = 200;
constexpr std::size_t kMaxOutcomeChars = 4000;
constexpr std::size_t kMaxCampaignTitleChars = 120;
constexpr std::size_t kMaxCampaignTextChars = 4000;
constexpr int kQueueLimit = 100;

std::string inlineForm(const Principal& p, const std::string& action, const std::string& inner,
                       const std::string& button, const std::string& cls = "") {
  return "<form method=\"post\" action=\"" + escapeHtml(action) + "\" class=\"inline " + cls +
         "\">" + hidden("csrf", p.session.csrf_token) + inner + "<button type=\"submit\">" +
         escapeHtml(button) + "</button></form>";
}

//! The form that records a committee, council or implementation outcome for proposal `id`.
std::string outcomeForm(const Principal& p, std::int64_t id) {
  return inlineForm(p, "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/outcome",
                    "<select name=\"stage\">" +
                        views::options({{"committee", "Fachausschuss"},
                                        {"council", "Stadtrat"},
                                        {"implementation", "Umsetzung"}},
                                       "") +
                        "</select><select name=\"decision\">" +
                        views::options({{"accepted", "angenommen"},
                                        {"rejected", "abgelehnt"},
                                        {"deferred", "zurückgestellt"},
                                        {"in_progress", "in Arbeit"},
                                        {"done", "umgesetzt"}},
                                       "") +
                        "</select><textarea name=\"text\" maxlength=\"4000\" "
                        "placeholder=\"Öffentliche Begründung\"></textarea>",
                    "Ergebnis speichern und mitteilen", "outcome");
}

std::string rejectForm(const Principal& p, const std::string& base) {
  return inlineForm(p, base + "/reject",
                    "<label>Begründung<input name=\"reason\" required maxlength=\"1000\"></label>",
                    "Ablehnen", "reject");
}

}  // namespace

ParticipationModeration::ParticipationModeration(StaffDesk& desk, Participation& participation,
                                                 const media::MediaStore& media)
    : desk_(desk), participation_(participation), media_(media) {}

std::vector<Route> ParticipationModeration::routes() {
  auto bind = [this](HttpResponse (ParticipationModeration::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  return {
      Route{"GET", "/inbox/beteiligung", "inbox_participation",
            bind(&ParticipationModeration::overview)},
      Route{"POST", R"(/inbox/beteiligung/vorschlag/([0-9]{1,15})/(publish|reject|merge|outcome))",
            "inbox_participation_proposal", bind(&ParticipationModeration::proposalAction)},
      Route{"GET", R"(/inbox/beteiligung/vorschlag/([0-9]{1,15})/foto(/thumb)?)",
            "inbox_participation_photo", bind(&ParticipationModeration::photo)},
      Route{"POST", R"(/inbox/beteiligung/kommentar/([0-9]{1,15})/(publish|reject))",
            "inbox_participation_comment", bind(&ParticipationModeration::commentAction)},
      Route{"POST", R"(/inbox/beteiligung/kampagne(?:/([0-9]{1,15}))?)",
            "inbox_participation_campaign", bind(&ParticipationModeration::saveCampaign)},
  };
}

// ---- the page ----

std::string ParticipationModeration::campaignForm(const Principal& p, const Campaign* c) const {
  Campaign blank;
  const Campaign& v = c != nullptr ? *c : blank;
  auto dateField = [&](const char* name, const char* label, SysTime value) {
    return std::string("<label>") + label + "<input type=\"date\" name=\"" + name +
           "\" required value=\"" + (c != nullptr ? localIsoDate(value) : std::string()) + "\"></label>";
  };
  std::string topics;
  for (const auto& t : v.topics) { topics += (topics.empty() ? "" : ", ") + t; }
  const std::string action =
      c != nullptr ? "/inbox/beteiligung/kampagne/" + std::to_string(c->id) : "/inbox/beteiligung/kampagne";
  return "<form method=\"post\" action=\"" + action + "\" class=\"campaign\">" +
         hidden("csrf", p.session.csrf_token) +
         "<label>Titel<input name=\"title\" required maxlength=\"120\" value=\"" +
         escapeHtml(v.title) + "\"></label><label>Beschreibung<textarea name=\"description\" "
         "maxlength=\"4000\">" + escapeHtml(v.description) + "</textarea></label>" +
         dateField("collecting_from", "Vorschläge sammeln ab", v.dates.collecting_from) +
         dateField("supporting_from", "Kommentieren und unterstützen ab", v.dates.supporting_from) +
         dateField("review_from", "Fachausschuss ab", v.dates.review_from) +
         dateField("decision_from", "Stadtrat ab", v.dates.decision_from) +
         dateField("implementation_from", "Umsetzung ab", v.dates.implementation_from) +
         dateField("closed_from", "Abgeschlossen ab", v.dates.closed_from) +
         "<label>Vorschläge pro Person<input type=\"number\" name=\"max_proposals\" min=\"1\" "
         "max=\"100\" required value=\"" + std::to_string(v.max_proposals_per_citizen) +
         "\"></label><label>Schwelle (Unterstützungen für den Fachausschuss)<input "
         "type=\"number\" name=\"threshold\" min=\"0\" max=\"1000000\" required value=\"" +
         std::to_string(v.support_threshold) + "\"></label><label>Themen (durch Komma "
         "getrennt)<input name=\"topics\" maxlength=\"500\" value=\"" + escapeHtml(topics) +
         "\"></label><button type=\"submit\" class=\"primary\">" +
         (c != nullptr ? "Kampagne speichern" : "Kampagne anlegen") + "</button></form>";
}

HttpResponse ParticipationModeration::render(const Principal& p, const std::string& flash,
                                             const std::string& error, int status) {
  auto& store = participation_.store();
  std::string body = "<h1>Bürgerbeteiligung</h1>";
  if (!flash.empty()) { body += "<p class=\"flash\" role=\"status\">" + escapeHtml(flash) + "</p>"; }
  if (!error.empty()) { body += "<p class=\"error\" role=\"alert\">" + escapeHtml(error) + "</p>"; }
  body += "<p><a href=\"/beteiligung\">Öffentliche Seite ansehen</a></p>";
  auto pending = store.pendingProposals(kQueueLimit);
  auto comments = store.pendingComments(kQueueLimit);
  auto campaigns = store.campaigns();
  if (!pending || !comments || !campaigns) { return desk_.unavailable(&p); }
  body += proposalQueue(p, *pending) + commentQueue(p, *comments);
  for (const auto& c : *campaigns) { body += campaignSection(p, c); }
  if (p.user.role == StaffRole::Admin) {
    body += "<h2>Neue Kampagne</h2>" + campaignForm(p, nullptr);
  }
  return desk_.page(status, "Beteiligung", &p, body);
}

std::string ParticipationModeration::proposalQueue(const Principal& p,
                                                   const std::vector<Proposal>& pending) const {
  std::string out = "<h2>Neue Vorschläge (" + std::to_string(pending.size()) + ")</h2>";
  if (pending.empty()) { out += "<p>Keine neuen Vorschläge.</p>"; }
  for (const auto& pr : pending) {
    const std::string base = "/inbox/beteiligung/vorschlag/" + std::to_string(pr.id);
    out += "<section class=\"card\" data-proposal-id=\"" + std::to_string(pr.id) + "\"><h3>#" +
           std::to_string(pr.id) + " " + escapeHtml(pr.title) + "</h3><p>" +
           escapeHtml(pr.description) + "</p><p class=\"hint\">" +
           (pr.cost_eur ? "Kosten: " + std::to_string(*pr.cost_eur) + " € · " : std::string()) +
           (pr.topic.empty() ? std::string() : "Thema: " + escapeHtml(pr.topic) + " · ") +
           "eingegangen " + views::formatTime(pr.created_at) + "</p>";
    out += publishForm(p, pr);
    out += rejectForm(p, base);
    out += inlineForm(p, base + "/merge",
                      "<label>Zusammenführen mit Nr.<input name=\"target\" inputmode=\"numeric\" "
                      "required maxlength=\"15\"></label>",
                      "Zusammenführen", "merge");
    out += "</section>";
  }
  return out;
}

// The citizen's place and photo are shown here in full; only what the moderator leaves in the
// field and ticks becomes public (the default shows the place as typed, and no photo: a photo can
// show faces or number plates and needs a look first).
std::string ParticipationModeration::publishForm(const Principal& p, const Proposal& pr) const {
  const std::string base = "/inbox/beteiligung/vorschlag/" + std::to_string(pr.id);
  std::string inner;
  if (!pr.address_text.empty()) {
    inner += "<p class=\"hint\">Ortsangabe der Person: <span class=\"citizen-text\">" +
             escapeHtml(pr.address_text) + "</span></p><label>Ort öffentlich als (leer: kein "
             "Ort; Hausnummern und Namen entfernen)<input name=\"public_address\" "
             "maxlength=\"200\" value=\"" + escapeHtml(pr.address_text) + "\"></label>";
  }
  if (!pr.photo_content_id.empty()) {
    inner += "<a href=\"" + base + "/foto\" target=\"_blank\"><img src=\"" + base +
             "/foto/thumb\" alt=\"Foto zum Vorschlag " + std::to_string(pr.id) +
             "\" loading=\"lazy\"></a><label><input type=\"checkbox\" name=\"photo_public\" "
             "value=\"1\"> Foto veröffentlichen</label>";
  } else if (pr.photo_media_id > 0) {
    inner += "<p class=\"hint\">Das Foto wird noch verarbeitet.</p>";
  }
  return inlineForm(p, base + "/publish", inner, "Veröffentlichen", "publish");
}

HttpResponse ParticipationModeration::photo(const HttpRequest& req) {
  auto in = desk_.admitPage(req, moderatesParticipation);
  if (!in.who) { return HttpResponse::text(404, "not found"); }
  const auto id = req.matches.empty() ? std::nullopt : parseId(req.matches[0]);
  if (!id) { return HttpResponse::text(404, "not found"); }
  auto pr = participation_.store().proposal(*id);
  if (!pr || !*pr || (*pr)->photo_content_id.empty()) {
    return HttpResponse::text(404, "not found");
  }
  const bool thumb = req.matches.size() > 1 && req.matches[1] == "/thumb";
  return imageResponse(media_, (*pr)->photo_content_id, thumb, "private, no-store");
}

std::string ParticipationModeration::commentQueue(
    const Principal& p, const std::vector<ProposalComment>& comments) const {
  std::string out = "<h2>Neue Kommentare (" + std::to_string(comments.size()) + ")</h2>";
  if (comments.empty()) { out += "<p>Keine neuen Kommentare.</p>"; }
  for (const auto& k : comments) {
    const std::string base = "/inbox/beteiligung/kommentar/" + std::to_string(k.id);
    out += "<section class=\"card\" data-comment-id=\"" + std::to_string(k.id) +
           "\"><p class=\"hint\">zu Vorschlag #" + std::to_string(k.proposal_id) + " · " +
           views::formatTime(k.created_at) + "</p><p>" + escapeHtml(k.body) + "</p>";
    out += inlineForm(p, base + "/publish", "", "Veröffentlichen", "publish");
    out += rejectForm(p, base);
    out += "</section>";
  }
  return out;
}

std::string ParticipationModeration::campaignSection(const Principal& p, const Campaign& c) {
  auto& store = participation_.store();
  const flows::Phase phase = participation_.phaseOf(c);
  std::string out = "<h2>" + escapeHtml(c.title) + " – Phase: " +
                    escapeHtml(participation_.flowData().texts.render(
                        flows::Lang::De,
                        std::string("participation.phase.") + flows::toString(phase))) +
                    "</h2>";
  auto published = store.published(c.id, "top", 0, 200);
  if (!published || published->items.empty()) {
    out += "<p>Keine veröffentlichten Vorschläge.</p>";
  } else {
    out += "<table><thead><tr><th>Nr.</th><th>Titel</th><th>Unterstützungen</th>"
           "<th>Ergebnisse</th><th>Ergebnis eintragen</th></tr></thead><tbody>";
    for (const auto& pr : published->items) {
      std::string results;
      if (auto outcomes = store.outcomes(pr.id); outcomes) {
        for (const auto& o : *outcomes) {
          results += "<div>" + escapeHtml(o.stage) + ": " + escapeHtml(o.decision) + "</div>";
        }
      }
      out += "<tr data-proposal-id=\"" + std::to_string(pr.id) + "\"><td>" +
             std::to_string(pr.id) + "</td><td><a href=\"/beteiligung/vorschlag/" +
             std::to_string(pr.id) + "\">" + escapeHtml(pr.title) + "</a></td><td>" +
             std::to_string(pr.supports) +
             (pr.supports >= c.support_threshold ? " ✔ Schwelle" : "") + "</td><td>" + results +
             "</td><td>" + outcomeForm(p, pr.id) + "</td></tr>";
    }
    out += "</tbody></table>";
  }
  if (p.user.role == StaffRole::Admin) {
    out += "<details><summary>Kampagne bearbeiten</summary>" + campaignForm(p, &c) + "</details>";
  }
  return out;
}

HttpResponse ParticipationModeration::overview(const HttpRequest& req) {
  auto in = desk_.admitPage(req, moderatesParticipation);
  if (!in.who) { return in.refusal; }
  const std::string ok = req.param("ok");
  std::string flash;
  if (ok == "publish") { flash = "Veröffentlicht."; }
  if (ok == "reject") { flash = "Abgelehnt; die Begründung geht an die einreichende Person."; }
  if (ok == "merge") { flash = "Zusammengeführt."; }
  if (ok == "outcome") { flash = "Ergebnis gespeichert und mitgeteilt."; }
  if (ok == "campaign") { flash = "Kampagne gespeichert."; }
  return render(*in.who, flash, "", 200);
}

// ---- moderation ----

HttpResponse ParticipationModeration::proposalAction(const HttpRequest& req) {
  return onItem(req, &ParticipationModeration::moderateProposal);
}

HttpResponse ParticipationModeration::commentAction(const HttpRequest& req) {
  return onItem(req, &ParticipationModeration::moderateComment);
}

HttpResponse ParticipationModeration::onItem(const HttpRequest& req, ItemAction act) {
  auto in = desk_.admitPost(req, moderatesParticipation);
  if (!in.who) { return in.refusal; }
  const auto id = req.matches.size() >= 2 ? parseId(req.matches[0]) : std::nullopt;
  if (!id) { return desk_.notFound(&*in.who); }
  return (this->*act)(*in.who, in.form, *id, req.matches[1]);
}

HttpResponse ParticipationModeration::moderateProposal(const Principal& p, const Form& form,
                                                       std::int64_t id, const std::string& what) {
  Result<void> r;
  std::string detail = "proposal=" + std::to_string(id);
  if (what == "publish") {
    ProposalPublication publication;
    publication.public_address = views::trim(formValue(form, "public_address"));
    publication.photo_public = formValue(form, "photo_public") == "1";
    if (codePoints(publication.public_address) > kMaxPublicAddressChars) {
      return render(p, "", "Der öffentliche Ort ist zu lang (höchstens 200 Zeichen).", 400);
    }
    r = participation_.publishProposal(id, publication);
    if (publication.photo_public) { detail += " photo=public"; }
  } else if (what == "reject") {
    const std::string reason = views::trim(formValue(form, "reason"));
    if (reason.empty() || codePoints(reason) > kMaxReasonChars) {
      return render(p, "", "Bitte eine Begründung angeben (höchstens 1000 Zeichen).", 400);
    }
    r = participation_.rejectProposal(id, reason);
  } else if (what == "merge") {
    const auto target = parseId(views::trim(formValue(form, "target")));
    if (!target) { return render(p, "", "Bitte die Nummer des Zielvorschlags angeben.", 400); }
    r = participation_.mergeProposal(id, *target);
    detail += " target=" + std::to_string(*target);
  } else {  // outcome
    const std::string stage = formValue(form, "stage");
    const std::string decision = formValue(form, "decision");
    const std::string text = views::trim(formValue(form, "text"));
    if (!Participation::validStage(stage) || !Participation::validDecision(decision) ||
        codePoints(text) > kMaxOutcomeChars) {
      return render(p, "", "Bitte Stufe und Entscheidung wählen (Text höchstens 4000 Zeichen).",
                    400);
    }
    r = participation_.recordOutcome(id, stage, decision, text);
    detail += " stage=" + stage + " decision=" + decision;
  }
  if (!r) {
    if (r.error().code == ErrorCode::NotFound) { return desk_.notFound(&p); }
    if (r.error().code == ErrorCode::Conflict) {
      return render(p, "", "Das ist im aktuellen Zustand des Vorschlags nicht möglich (schon "
                           "bearbeitet?).", 409);
    }
    log::warn("participation_moderation_failed", {{"code", toString(r.error().code)}});
    return render(p, "", "Die Datenbank antwortet gerade nicht.", 503);
  }
  desk_.audit(p, "proposal_" + what, 0, detail);
  return redirect("/inbox/beteiligung?ok=" + what);
}

HttpResponse ParticipationModeration::moderateComment(const Principal& p, const Form& form,
                                                      std::int64_t id, const std::string& what) {
  Result<void> r;
  if (what == "publish") {
    r = participation_.publishComment(id);
  } else {
    const std::string reason = views::trim(formValue(form, "reason"));
    if (reason.empty() || codePoints(reason) > kMaxReasonChars) {
      return render(p, "", "Bitte eine Begründung angeben (höchstens 1000 Zeichen).", 400);
    }
    r = participation_.rejectComment(id, reason);
  }
  if (!r) {
    if (r.error().code == ErrorCode::Conflict) {
      return render(p, "", "Dieser Kommentar ist schon bearbeitet.", 409);
    }
    return render(p, "", "Die Datenbank antwortet gerade nicht.", 503);
  }
  desk_.audit(p, "comment_" + what, 0, "comment=" + std::to_string(id));
  return redirect("/inbox/beteiligung?ok=" + what);
}

// ---- campaigns ----

std::optional<std::string> ParticipationModeration::readCampaign(const Form& form, Campaign& c) {
  c.title = views::trim(formValue(form, "title"));
  c.description = views::trim(formValue(form, "description"));
  if (c.title.empty() || codePoints(c.title) > kMaxCampaignTitleChars ||
      codePoints(c.description) > kMaxCampaignTextChars) {
    return "Bitte einen Titel (höchstens 120 Zeichen) angeben.";
  }
  const std::pair<const char*, SysTime*> dates[] = {
      {"collecting_from", &c.dates.collecting_from},
      {"supporting_from", &c.dates.supporting_from},
      {"review_from", &c.dates.review_from},
      {"decision_from", &c.dates.decision_from},
      {"implementation_from", &c.dates.implementation_from},
      {"closed_from", &c.dates.closed_from}};
  for (const auto& [name, into] : dates) {
    const auto d = parseLocalDate(formValue(form, name));
    if (!d) { return "Bitte alle Daten als Datum angeben."; }
    *into = *d;
  }
  if (!flows::datesOrdered(c.dates)) {
    return "Die Phasen müssen in ihrer Reihenfolge beginnen, jede nach der vorigen.";
  }
  const auto maxProposals = parseId(formValue(form, "max_proposals"));
  const auto threshold = parseId(formValue(form, "threshold"));
  if (!maxProposals || *maxProposals < 1 || *maxProposals > 100 || !threshold ||
      *threshold > 1000000) {
    return "Vorschläge pro Person: 1 bis 100; Schwelle: 0 bis 1.000.000.";
  }
  c.max_proposals_per_citizen = static_cast<int>(*maxProposals);
  c.support_threshold = static_cast<int>(*threshold);
  std::string rest = formValue(form, "topics");
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string topic = views::trim(rest.substr(0, comma));
    if (!topic.empty() && c.topics.size() < 8) { c.topics.push_back(ellipsize(topic, 24)); }
    rest = comma == std::string::npos ? std::string() : rest.substr(comma + 1);
  }
  return std::nullopt;
}

HttpResponse ParticipationModeration::saveCampaign(const HttpRequest& req) {
  auto in = desk_.admitPost(req, isAdmin);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  Campaign c;
  if (!req.matches.empty() && !req.matches[0].empty()) {
    const auto id = parseId(req.matches[0]);
    if (!id) { return desk_.notFound(&p); }
    c.id = *id;
  }
  if (auto error = readCampaign(in.form, c)) { return render(p, "", *error, 400); }
  Result<void> r;
  if (c.id != 0) {
    r = participation_.store().updateCampaign(c);
  } else {
    auto id = participation_.store().createCampaign(c);
    if (id) {
      c.id = *id;
    } else {
      r = fail(id.error().code, id.error().detail);
    }
  }
  if (!r) {
    if (r.error().code == ErrorCode::NotFound) { return desk_.notFound(&p); }
    return render(p, "", "Die Datenbank antwortet gerade nicht.", 503);
  }
  participation_.invalidate();
  desk_.audit(p, "campaign_save", 0, "campaign=" + std::to_string(c.id));
  return redirect("/inbox/beteiligung?ok=campaign");
}

}  // namespace bb::web
