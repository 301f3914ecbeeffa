#include "web/participation/public_page.hpp"

#include <cstdio>

#include "bot/text/local_time.hpp"
#include "bot/text/timestamp.hpp"
#include "web/html.hpp"
#include "web/image_response.hpp"

namespace bb::web {
namespace {

constexpr const char* kStylesheet = R"css(
:root { color-scheme: light; --ink: #1b1f24; --muted: #5a6370; --line: #d7dce2; --accent: #005a9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: #f6f7f9; }
header.top, main, footer { max-width: 52rem; margin: 0 auto; padding: 1rem; }
header.top { border-bottom: 3px solid var(--accent); background: #fff; }
header.top a { color: var(--accent); font-weight: 700; text-decoration: none; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
.phase { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; background: #e3effa; }
.rules, .dates { color: var(--muted); }
ol.proposals { list-style: none; padding: 0; }
ol.proposals li { background: #fff; border: 1px solid var(--line); border-radius: .5rem;
  padding: .75rem 1rem; margin: .5rem 0; }
.counts { color: var(--muted); font-size: .95rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: .3rem; background: #e6f4ea;
  color: #14532d; font-size: .85rem; }
.comment { border-left: 3px solid var(--line); padding: .25rem .75rem; margin: .5rem 0; background: #fff; }
.outcome { background: #fff; border: 1px solid var(--line); padding: .5rem .75rem; margin: .5rem 0; }
nav.pages a, nav.sort a { margin-right: 1rem; }
figure.photo { margin: 1rem 0; }
figure.photo img { max-width: 100%; height: auto; border-radius: .5rem; border: 1px solid var(--line); }
a { color: var(--accent); }
footer { color: var(--muted); font-size: .9rem; }
)css";

std::optional<std::int64_t> number(const std::string& s) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(s);
}

std::string euros(std::int64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) { out += '.'; }
    out += digits[i];
  }
  return out + " €";
}

//! Paragraphs from plain text: escaped, line breaks kept.
std::string paragraphs(const std::string& text) {
  std::string out = "<p>";
  for (const char c : escapeHtml(text)) {
    if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
  return out + "</p>";
}

}  // namespace

PublicParticipation::PublicParticipation(Participation& participation, const Clock& clock,
                                         PublicParticipationOptions options,
                                         const media::MediaStore* media)
    : participation_(participation), clock_(clock), options_(std::move(options)), media_(media) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') {
    options_.public_url.pop_back();
  }
}

std::vector<Route> PublicParticipation::routes() {
  auto bind = [this](HttpResponse (PublicParticipation::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  return {
      Route{"GET", "/beteiligung", "participation_page", bind(&PublicParticipation::overview)},
      Route{"GET", R"(/beteiligung/vorschlag/([0-9]{1,15}))", "participation_proposal",
            bind(&PublicParticipation::proposal)},
      Route{"GET", R"(/beteiligung/vorschlag/([0-9]{1,15})/foto)", "participation_photo",
            bind(&PublicParticipation::photo)},
      Route{"GET", "/beteiligung/feed.atom", "participation_feed", bind(&PublicParticipation::feed)},
      Route{"GET", "/beteiligung/beteiligung.css", "participation_css",
            bind(&PublicParticipation::stylesheet)},
  };
}

std::string PublicParticipation::label(const std::string& key) const {
  return participation_.flowData().texts.render(flows::Lang::De, key);
}

std::optional<Campaign> PublicParticipation::shownCampaign(const std::string& requested) {
  if (auto id = number(requested)) {
    auto c = participation_.store().campaign(*id);
    if (c && *c) { return **c; }
  }
  auto all = participation_.store().campaigns();  // newest start first
  if (!all || all->empty()) { return std::nullopt; }
  const SysTime now = clock_.now();
  for (const auto& c : *all) {
    if (c.dates.collecting_from <= now) { return c; }
  }
  return all->back();  // only future campaigns: the next one to start
}

HttpResponse PublicParticipation::page(int status, const std::string& title,
                                       const std::string& body) const {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\">"
           "<title>" + escapeHtml(title) + " – Bürgerbeteiligung</title>"
           "<link rel=\"stylesheet\" href=\"/beteiligung/beteiligung.css\">"
           "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Vorschläge (Atom)\" "
           "href=\"/beteiligung/feed.atom\"></head><body>"
           "<header class=\"top\"><a href=\"/beteiligung\">Bürgerbeteiligung</a></header>"
           "<main id=\"main\">" + body + "</main>"
           "<footer><p>Alle Vorschläge und Kommentare werden vor der Veröffentlichung "
           "moderiert. Wer sie eingereicht hat, zeigen wir nicht. Diese Seite setzt keine "
           "Cookies und lädt nichts von anderen Servern. Mitmachen: im Chat „Bürgerhaushalt“ "
           "wählen (<a href=\"/chat\">Web-Chat</a>). <a href=\"/beteiligung/feed.atom\">"
           "Atom-Feed</a></p></footer></body></html>";
  r.header("Content-Security-Policy", kContentSecurityPolicy);
  r.header("Cache-Control", "no-cache");
  r.header("Referrer-Policy", "no-referrer");
  r.header("X-Content-Type-Options", "nosniff");
  r.header("X-Frame-Options", "DENY");
  return r;
}

HttpResponse PublicParticipation::stylesheet(const HttpRequest&) {
  HttpResponse r;
  r.content_type = "text/css; charset=utf-8";
  r.body = kStylesheet;
  r.header("Cache-Control", "public, max-age=300");
  r.header("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse PublicParticipation::overview(const HttpRequest& req) {
  const auto campaign = shownCampaign(req.param("kampagne"));
  if (!campaign) {
    return page(200, "Bürgerhaushalt",
                "<h1>Bürgerbeteiligung</h1><p>Zurzeit gibt es keine Beteiligung.</p>");
  }
  const Campaign& c = *campaign;
  const flows::Phase phase = participation_.phaseOf(c);
  const std::string order = req.param("sort") == "unterstuetzt" ? "top" : "new";
  const int pageNo = static_cast<int>(std::min<std::int64_t>(number(req.param("seite")).value_or(1), 10000));
  const int offset = (std::max(pageNo, 1) - 1) * options_.page_size;
  auto proposals = participation_.store().published(c.id, order, offset, options_.page_size);
  if (!proposals) { return page(503, "Nicht verfügbar", "<h1>Gerade nicht verfügbar</h1>"); }

  std::string body = "<h1>" + escapeHtml(c.title) + "</h1>";
  if (!c.description.empty()) { body += paragraphs(c.description); }
  body += "<p>Aktuelle Phase: <span class=\"phase\" data-phase=\"" +
          std::string(flows::toString(phase)) + "\">" +
          escapeHtml(label(std::string("participation.phase.") + flows::toString(phase))) +
          "</span></p>";
  body += "<p class=\"dates\">Vorschläge sammeln ab " + localDate(c.dates.collecting_from) +
          " · Kommentieren und unterstützen ab " + localDate(c.dates.supporting_from) +
          " · Fachausschuss ab " + localDate(c.dates.review_from) + " · Stadtrat ab " +
          localDate(c.dates.decision_from) + " · Umsetzung ab " +
          localDate(c.dates.implementation_from) + "</p>";
  body += "<p class=\"rules\">Bis zu " + std::to_string(c.max_proposals_per_citizen) +
          " Vorschläge pro Person. Vorschläge mit mindestens " +
          std::to_string(c.support_threshold) + " Unterstützungen prüft der Fachausschuss.</p>";
  body += "<h2>Vorschläge</h2><nav class=\"sort\" aria-label=\"Sortierung\">";
  const std::string base = "/beteiligung?kampagne=" + std::to_string(c.id);
  body += order == "new" ? "<strong>Neueste</strong>"
                         : "<a href=\"" + escapeHtml(base) + "\">Neueste</a>";
  body += " ";
  body += order == "top" ? "<strong>Meistunterstützt</strong>"
                         : "<a href=\"" + escapeHtml(base + "&sort=unterstuetzt") +
                               "\">Meistunterstützt</a>";
  body += "</nav>";
  if (proposals->items.empty()) {
    body += "<p class=\"empty\">Noch keine veröffentlichten Vorschläge.</p>";
  } else {
    body += "<ol class=\"proposals\">";
    for (const auto& p : proposals->items) {
      body += "<li data-proposal-id=\"" + std::to_string(p.id) + "\"><a class=\"title\" href=\"" +
              "/beteiligung/vorschlag/" + std::to_string(p.id) + "\">" + escapeHtml(p.title) +
              "</a><div class=\"counts\"><span class=\"supports\" data-count=\"" +
              std::to_string(p.supports) + "\">" + std::to_string(p.supports) +
              " Unterstützungen</span> · <span class=\"comments\" data-count=\"" +
              std::to_string(p.comments) + "\">" + std::to_string(p.comments) +
              " Kommentare</span>";
      if (!p.topic.empty()) { body += " · " + escapeHtml(p.topic); }
      if (p.cost_eur) { body += " · " + euros(*p.cost_eur); }
      if (c.support_threshold > 0 && p.supports >= c.support_threshold) {
        body += " <span class=\"badge\">Schwelle erreicht</span>";
      }
      body += "</div>";
      if (auto outcomes = participation_.store().outcomes(p.id); outcomes) {
        for (const auto& o : *outcomes) {
          body += "<div class=\"counts outcome-line\">" +
                  escapeHtml(label("participation.stage." + o.stage)) + ": " +
                  escapeHtml(label("participation.decision." + o.decision)) + "</div>";
        }
      }
      body += "</li>";
    }
    body += "</ol>";
  }
  body += "<nav class=\"pages\" aria-label=\"Seiten\">";
  const std::string sortParam = order == "top" ? "&sort=unterstuetzt" : "";
  if (pageNo > 1) {
    body += "<a href=\"" + escapeHtml(base + sortParam + "&seite=" + std::to_string(pageNo - 1)) +
            "\">Zurück</a>";
  }
  if (proposals->more) {
    body += "<a href=\"" + escapeHtml(base + sortParam + "&seite=" + std::to_string(pageNo + 1)) +
            "\">Weiter</a>";
  }
  body += "</nav>";
  return page(200, c.title, body);
}

HttpResponse PublicParticipation::proposal(const HttpRequest& req) {
  const auto id = req.matches.empty() ? std::nullopt : number(req.matches[0]);
  auto p = id ? participation_.store().proposal(*id)
              : Result<std::optional<Proposal>>(std::optional<Proposal>());
  if (!p) { return page(503, "Nicht verfügbar", "<h1>Gerade nicht verfügbar</h1>"); }
  // Only moderated proposals exist publicly; a merged one points to where it went.
  if (!*p || ((*p)->status != "published" && (*p)->status != "merged")) {
    return page(404, "Nicht gefunden", "<h1>Nicht gefunden</h1><p>Diesen Vorschlag gibt es "
                                       "nicht.</p><p><a href=\"/beteiligung\">Alle Vorschläge</a></p>");
  }
  const Proposal& pr = **p;
  if (pr.status == "merged") {
    return page(200, pr.title,
                "<h1>" + escapeHtml(pr.title) + "</h1><p>Dieser Vorschlag wurde mit einem "
                "ähnlichen zusammengeführt: <a href=\"/beteiligung/vorschlag/" +
                    std::to_string(pr.merged_into) + "\">zum Vorschlag</a>.</p>");
  }
  auto campaign = participation_.store().campaign(pr.campaign_id);
  const int threshold = campaign && *campaign ? (*campaign)->support_threshold : 0;
  std::string body = "<p><a href=\"/beteiligung?kampagne=" + std::to_string(pr.campaign_id) +
                     "\">← Alle Vorschläge</a></p><article data-proposal-id=\"" +
                     std::to_string(pr.id) + "\"><h1>" + escapeHtml(pr.title) + "</h1>";
  body += paragraphs(pr.description);
  body += "<p class=\"counts\"><span class=\"supports\" data-count=\"" +
          std::to_string(pr.supports) + "\">" + std::to_string(pr.supports) +
          " Unterstützungen</span>";
  if (threshold > 0) { body += " (Schwelle: " + std::to_string(threshold) + ")"; }
  body += " · <span class=\"comments\" data-count=\"" + std::to_string(pr.comments) + "\">" +
          std::to_string(pr.comments) + " Kommentare</span></p><dl>";
  if (pr.cost_eur) { body += "<dt>Geschätzte Kosten</dt><dd>" + euros(*pr.cost_eur) + "</dd>"; }
  if (!pr.topic.empty()) { body += "<dt>Thema</dt><dd>" + escapeHtml(pr.topic) + "</dd>"; }
  if (!pr.public_address.empty()) {
    body += "<dt>Ort</dt><dd>" + escapeHtml(pr.public_address) + "</dd>";
  }
  if (pr.lat && pr.lon) {
    char coords[64];
    std::snprintf(coords, sizeof coords, "%.3f, %.3f", roundForPublic(*pr.lat),
                  roundForPublic(*pr.lon));
    body += std::string("<dt>Ort (gerundet)</dt><dd>") + coords + "</dd>";
  }
  if (pr.published_at) {
    body += "<dt>Veröffentlicht</dt><dd>" + localDate(*pr.published_at) + "</dd>";
  }
  body += "</dl>";
  if (media_ != nullptr && pr.photo_public && !pr.photo_content_id.empty()) {
    body += "<figure class=\"photo\"><img src=\"/beteiligung/vorschlag/" + std::to_string(pr.id) +
            "/foto\" alt=\"Foto zum Vorschlag\" loading=\"lazy\"></figure>";
  }
  if (auto outcomes = participation_.store().outcomes(pr.id); outcomes && !outcomes->empty()) {
    body += "<h2>Ergebnisse</h2>";
    for (const auto& o : *outcomes) {
      body += "<div class=\"outcome\" data-stage=\"" + escapeHtml(o.stage) + "\"><strong>" +
              escapeHtml(label("participation.stage." + o.stage)) + ": " +
              escapeHtml(label("participation.decision." + o.decision)) + "</strong> (" +
              localDate(o.decided_at) + ")" + paragraphs(o.text) + "</div>";
    }
  }
  auto comments = participation_.store().publishedComments(pr.id);
  body += "<h2>Kommentare</h2>";
  if (comments && !comments->empty()) {
    for (const auto& k : *comments) {
      body += "<div class=\"comment\">" + paragraphs(k.body) + "<div class=\"counts\">" +
              (k.published_at ? localDate(*k.published_at) : std::string()) + "</div></div>";
    }
  } else {
    body += "<p>Noch keine Kommentare.</p>";
  }
  body += "</article>";
  return page(200, pr.title, body);
}

HttpResponse PublicParticipation::photo(const HttpRequest& req) {
  const auto id = req.matches.empty() ? std::nullopt : number(req.matches[0]);
  if (!id || media_ == nullptr) { return HttpResponse::text(404, "not found"); }
  auto p = participation_.store().proposal(*id);
  if (!p) { return HttpResponse::text(503, "unavailable"); }
  // Exactly what the proposal page shows: a published proposal's approved, cleaned photo.
  if (!*p || (*p)->status != "published" || !(*p)->photo_public ||
      (*p)->photo_content_id.empty()) {
    return HttpResponse::text(404, "not found");
  }
  return imageResponse(*media_, (*p)->photo_content_id, false, "public, max-age=300");
}

HttpResponse PublicParticipation::feed(const HttpRequest& req) {
  const auto campaign = shownCampaign(req.param("kampagne"));
  const std::string self = options_.public_url + "/beteiligung/feed.atom";
  std::string entries;
  SysTime updated = SysTime{} + std::chrono::hours(24 * 365 * 30);
  std::string title = "Bürgerbeteiligung";
  if (campaign) {
    title = campaign->title;
    auto page = participation_.store().published(campaign->id, "new", 0, 50);
    if (!page) { return HttpResponse::text(503, "unavailable"); }
    for (const auto& p : page->items) {
      const SysTime at = p.published_at.value_or(p.created_at);
      updated = std::max(updated, at);
      const std::string link = options_.public_url + "/beteiligung/vorschlag/" + std::to_string(p.id);
      std::string summary = p.description + "\n\n" + std::to_string(p.supports) +
                            " Unterstützungen, " + std::to_string(p.comments) + " Kommentare.";
      if (auto outcomes = participation_.store().outcomes(p.id); outcomes) {
        for (const auto& o : *outcomes) {
          summary += "\n" + label("participation.stage." + o.stage) + ": " +
                     label("participation.decision." + o.decision) + ". " + o.text;
          updated = std::max(updated, o.decided_at);
        }
      }
      entries += "<entry><title>" + escapeHtml(p.title) + "</title><id>" + escapeHtml(link) +
                 "</id><link href=\"" + escapeHtml(link) + "\"/><updated>" + rfc3339Utc(at) +
                 "</updated><summary>" + escapeHtml(summary) + "</summary></entry>";
    }
  }
  HttpResponse r;
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
           "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" + escapeHtml(title) +
           "</title><id>" + escapeHtml(self) + "</id><link rel=\"self\" href=\"" +
           escapeHtml(self) + "\"/><link href=\"" + escapeHtml(options_.public_url) +
           "/beteiligung\"/><updated>" + rfc3339Utc(updated) +
           "</updated><author><name>Stadtverwaltung</name></author>" + entries + "</feed>";
  r.header("Cache-Control", "no-cache");
  r.header("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace bb::web
