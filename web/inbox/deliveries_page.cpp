#include "web/inbox/deliveries_page.hpp"

#include "bot/text/local_time.hpp"
#include "web/html.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

constexpr int kMaxListed = 500;

bool seesDelivery(const StaffUser& u, const DeliveryProblem& p) {
  if (p.department.empty()) { return isAdmin(u); }
  return canSee(u, p.department);
}

std::string row(const DeliveryProblem& p, const std::string& csrf, SysTime now,
                const StaffDesk& desk) {
  const std::string ref = deliveryRef(p);
  const std::string ticket =
      p.ticket_number > 0 ? "<a href=\"/inbox/tickets/" + std::to_string(p.ticket_number) +
                                "\">" + std::to_string(p.ticket_number) + "</a>"
                          : "–";
  auto button = [&](const std::string& action, const std::string& label) {
    return "<form method=\"post\" action=\"/inbox/deliveries/" + action + "\" class=\"inline\">" +
           csrf + views::hidden("ref", ref) + "<button type=\"submit\">" + label +
           "</button></form>";
  };
  return "<tr id=\"" + ref + "\"><td>" + escapeHtml(ref) + "</td><td>" +
         escapeHtml(deliveryKindLabel(p)) + "</td><td>" + ticket + "</td><td>" +
         escapeHtml(p.department.empty() ? "–" : desk.departmentName(p.department)) + "</td><td>" +
         escapeHtml(views::deliveryLabel(p.state)) + "</td><td>" + escapeHtml(views::deliveryReasonLabel(p.reason)) + "</td><td>" +
         std::to_string(p.tries) + "</td><td title=\"" + escapeHtml(localDateTime(p.since)) +
         "\">" + escapeHtml(deliveryAge(p.since, now)) + "</td><td>" +
         button("retry", "Erneut senden") + button("discard", "Verwerfen") + "</td></tr>";
}

}  // namespace

DeliveriesPage::DeliveriesPage(StaffDesk& desk, CaseStore& cases) : desk_(desk), cases_(cases) {
  desk_.setDeliveryCount([this](const StaffUser& u) -> std::int64_t {
    auto problems = visible(u);
    return problems ? static_cast<std::int64_t>(problems->size()) : 0;
  });
}

std::vector<Route> DeliveriesPage::routes() {
  auto bind = [this](HttpResponse (DeliveriesPage::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& req) { return (this->*fn)(req); };
  };
  return {
      Route{"GET", "/inbox/deliveries", "inbox_deliveries", bind(&DeliveriesPage::show)},
      Route{"POST", "/inbox/deliveries/retry", "inbox_deliveries_retry",
            bind(&DeliveriesPage::retry)},
      Route{"POST", "/inbox/deliveries/retry-all", "inbox_deliveries_retry_all",
            bind(&DeliveriesPage::retryAll)},
      Route{"POST", "/inbox/deliveries/discard", "inbox_deliveries_discard",
            bind(&DeliveriesPage::discard)},
  };
}

std::optional<std::vector<DeliveryProblem>> DeliveriesPage::visible(const StaffUser& u) {
  auto all = cases_.deliveryProblems(kMaxListed);
  if (!all) { return std::nullopt; }
  std::vector<DeliveryProblem> out;
  for (auto& p : *all) {
    if (seesDelivery(u, p)) { out.push_back(std::move(p)); }
  }
  return out;
}

HttpResponse DeliveriesPage::show(const HttpRequest& req) {
  auto in = desk_.admitPage(req, worksTickets);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto problems = visible(p.user);
  if (!problems) { return desk_.unavailable(&p); }
  const std::string csrf = views::hidden("csrf", p.session.csrf_token);
  std::string body = "<h1>Zustellungen</h1><p class=\"hint\">Back-office-Einträge, die nach "
                     "allen Versuchen nicht angenommen wurden, und Nachrichten an Bürgerinnen "
                     "und Bürger, die nicht zugestellt werden konnten, sowie eingegangene "
                     "Nachrichten, deren Verarbeitung wiederholt scheiterte (Eingang; spätere "
                     "Nachrichten derselben Person warten dahinter). Erneut senden stellt sie "
                     "wieder in die Warteschlange; Verwerfen gibt sie auf (beides im Protokoll)."
                     "</p>";
  const std::string done = req.param("ok");
  if (done == "retry") { body += "<p class=\"flash\" role=\"status\">Wird erneut gesendet.</p>"; }
  if (done == "discard") { body += "<p class=\"flash\" role=\"status\">Verworfen.</p>"; }
  if (req.param("e") == "gone") {
    body += "<p class=\"error\" role=\"alert\">Diese Zustellung gibt es nicht mehr (oder die "
            "Person wurde gelöscht).</p>";
  }
  if (problems->empty()) {
    body += "<p class=\"empty\">Keine offenen Zustellungsprobleme.</p>";
    return desk_.page(200, "Zustellungen", &p, body);
  }
  // One entry has its own button in its row: "Alle 1 erneut senden" would only repeat it.
  if (problems->size() > 1) {
    body += "<form method=\"post\" action=\"/inbox/deliveries/retry-all\">" + csrf +
            "<button type=\"submit\" class=\"primary\">Alle " +
            std::to_string(problems->size()) + " erneut senden</button></form>";
  }
  body += "<table class=\"deliveries\"><thead><tr><th>Nr.</th>"
          "<th>Art</th><th>Meldung</th><th>Abteilung</th><th>Zustand</th><th>Grund</th>"
          "<th>Versuche</th><th>Alter</th><th></th></tr></thead><tbody>";
  const SysTime now = desk_.now();
  for (const auto& d : *problems) { body += row(d, csrf, now, desk_); }
  body += "</tbody></table>";
  return desk_.page(200, "Zustellungen", &p, body);
}

HttpResponse DeliveriesPage::act(const HttpRequest& req, bool discard) {
  auto in = desk_.admitPost(req, worksTickets);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  const std::string ref = views::formValue(in.form, "ref");
  auto parsed = parseDeliveryRef(ref);
  if (!parsed) { return desk_.notFound(&p); }
  auto problems = visible(p.user);
  if (!problems) { return desk_.unavailable(&p); }
  // Another department's delivery answers like a missing one.
  bool found = false;
  for (const auto& d : *problems) {
    found = found || (d.kind == parsed->first && d.id == parsed->second);
  }
  if (!found) { return redirect("/inbox/deliveries?e=gone"); }
  const auto audit = desk_.auditEntry(p, discard ? "delivery_discard" : "delivery_retry", 0, ref);
  auto r = discard ? cases_.discardDelivery(parsed->first, parsed->second, desk_.now(), audit)
                   : cases_.retryDelivery(parsed->first, parsed->second, desk_.now(), audit);
  if (!r) {
    if (r.error().code == ErrorCode::NotFound) { return redirect("/inbox/deliveries?e=gone"); }
    return desk_.unavailable(&p);
  }
  return redirect(std::string("/inbox/deliveries?ok=") + (discard ? "discard" : "retry"));
}

HttpResponse DeliveriesPage::retry(const HttpRequest& req) { return act(req, false); }

HttpResponse DeliveriesPage::discard(const HttpRequest& req) { return act(req, true); }

HttpResponse DeliveriesPage::retryAll(const HttpRequest& req) {
  auto in = desk_.admitPost(req, worksTickets);
  if (!in.who) { return in.refusal; }
  const Principal& p = *in.who;
  auto problems = visible(p.user);
  if (!problems) { return desk_.unavailable(&p); }
  for (const auto& d : *problems) {
    const auto audit = desk_.auditEntry(p, "delivery_retry", 0, deliveryRef(d));
    (void)cases_.retryDelivery(d.kind, d.id, desk_.now(), audit);  // a gone one stays gone
  }
  return redirect("/inbox/deliveries?ok=retry");
}

}  // namespace bb::web
