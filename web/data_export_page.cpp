#include "web/data_export_page.hpp"

#include "bot/log.hpp"
#include "bot/text/local_time.hpp"
#include "web/html.hpp"

namespace bb::web {
namespace {

constexpr const char* kTokenPattern = R"(/meine-daten/([0-9a-f]{32}))";

HttpResponse htmlPage(int status, const std::string& title, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">"
           "<title>" + escapeHtml(title) + " – Bürgerbox</title>"
           "<link rel=\"stylesheet\" href=\"/chat/static/chat.css\"></head>"
           "<body class=\"follow\"><main><h1>" + escapeHtml(title) + "</h1>" + body +
           "</main></body></html>";
  r.header("Content-Security-Policy", kContentSecurityPolicy);
  r.header("Cache-Control", "no-store");
  return r;
}

HttpResponse gone() {
  return htmlPage(404, "Link nicht mehr gültig",
                  "<p>Dieser Link ist abgelaufen oder wurde schon benutzt. Schreiben Sie "
                  "„meine daten“ in den Chat, dann bekommen Sie einen neuen.</p>");
}

HttpResponse unavailable() {
  return htmlPage(503, "Gerade nicht möglich",
                  "<p>Bitte versuchen Sie es in ein paar Minuten noch einmal. Der Link bleibt "
                  "gültig.</p>");
}

}  // namespace

std::vector<Route> DataExportPage::routes() {
  return {
      Route{"GET", kTokenPattern, "data_export_page",
            [this](const HttpRequest& r) { return page(r); }},
      Route{"POST", kTokenPattern, "data_export_download",
            [this](const HttpRequest& r) { return download(r); }},
  };
}

HttpResponse DataExportPage::page(const HttpRequest& req) {
  if (req.matches.empty()) { return gone(); }
  auto link = store_.exportLink(exportTokenHash(req.matches[0]), clock_.now());
  if (!link) { return unavailable(); }
  if (!*link) { return gone(); }
  // The form posts to this same path, so the token never appears in a query string.
  return htmlPage(
      200, "Ihre Daten",
      "<p>Hier laden Sie alles herunter, was die Stadt über Sie in der Bürgerbox gespeichert "
      "hat: Ihre Meldungen mit Ort, Adresse, Angaben und Fotos, alle Nachrichten in beide "
      "Richtungen, Abos, Einwilligungen und Beiträge zum Bürgerhaushalt – als eine Datei im "
      "JSON-Format.</p><p>Der Link gilt bis " + escapeHtml(localDateTime((*link)->expires_at)) +
          " Uhr und lässt sich einmal abrufen.</p>"
          "<form method=\"post\"><button type=\"submit\" class=\"btn\">Datei herunterladen"
          "</button></form>");
}

HttpResponse DataExportPage::download(const HttpRequest& req) {
  if (req.matches.empty()) { return gone(); }
  const std::string token_hash = exportTokenHash(req.matches[0]);
  const SysTime now = clock_.now();
  auto link = store_.exportLink(token_hash, now);
  if (!link) { return unavailable(); }
  if (!*link) { return gone(); }
  // Built before the link is used up, so a failure leaves the link valid; of two concurrent
  // requests only the one that uses the link up gets the file.
  auto document = store_.exportDocument((*link)->pseudonym, now);
  if (!document) {
    log::warn("data_export_failed", {{"detail", document.error().detail}});
    return unavailable();
  }
  auto used = store_.useExportLink(token_hash, now);
  if (!used) { return unavailable(); }
  if (!*used) { return gone(); }
  log::info("data_export_downloaded", {});
  HttpResponse r = HttpResponse::json(200, std::move(*document));
  r.header("Content-Disposition",
           "attachment; filename=\"meine-daten-" + localIsoDate(now) + ".json\"");
  r.header("Cache-Control", "no-store");
  r.header("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace bb::web
