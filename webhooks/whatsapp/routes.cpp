// The WhatsApp webhook endpoints (channels.md §1.1–1.2). Logs carry counts and Graph error codes
// only: never bodies, numbers, wa_ids, signatures or tokens.
#include <memory>

#include "bot/log.hpp"
#include "webhooks/whatsapp/channel.hpp"

namespace bb::webhooks::whatsapp {
namespace {

constexpr const char* kPath = "/webhooks/whatsapp";

HttpResponse verifyHandshake(const Settings& settings, const HttpRequest& req) {
  auto challenge = verifyChallenge(req.param("hub.mode"), req.param("hub.verify_token"),
                                   req.param("hub.challenge"), settings.verify_token);
  if (!challenge) {
    log::warn("whatsapp_verify_refused");
    return HttpResponse::text(403, "forbidden");
  }
  log::info("whatsapp_verify_ok");
  return HttpResponse::text(200, *challenge);
}

HttpResponse notification(const Settings& settings, const IngestFn& ingest,
                          std::size_t max_body_bytes, const HttpRequest& req) {
  if (req.body.size() > max_body_bytes) {
    log::warn("whatsapp_webhook_too_large", {{"bytes", std::to_string(req.body.size())}});
    return HttpResponse::json(413, R"({"error":"request too large"})");
  }
  // Authenticity before anything else: nothing is parsed or stored for a bad signature.
  if (!verifySignature(req.body, req.header("x-hub-signature-256"), settings.app_secret)) {
    log::warn("whatsapp_bad_signature");
    return HttpResponse::json(401, R"({"error":"bad signature"})");
  }
  auto parsed = parseWebhook(req.body);
  if (!parsed) {
    log::warn("whatsapp_webhook_unparsable");
    return HttpResponse::json(400, R"({"error":"bad request"})");
  }
  for (const std::string& code : parsed->error_codes) {
    log::warn("whatsapp_webhook_error", {{"code", code}});
  }
  IngestReport report;
  if (!parsed->events.empty()) {
    auto stored = ingest(parsed->events);
    if (!stored) {
      // Not acknowledged, so Meta delivers it again later.
      log::error("whatsapp_webhook_not_stored", {{"code", toString(stored.error().code)}});
      return HttpResponse::json(503, R"({"error":"unavailable"})");
    }
    report = *stored;
  }
  log::debug("whatsapp_webhook", {{"events", std::to_string(parsed->events.size())},
                                  {"accepted", std::to_string(report.accepted)},
                                  {"duplicates", std::to_string(report.duplicates)},
                                  {"skipped", std::to_string(parsed->skipped)}});
  return HttpResponse::json(200, R"({"ok":true})");
}

}  // namespace

std::vector<Route> routes(const Settings& settings, IngestFn ingest, std::size_t max_body_bytes) {
  auto s = std::make_shared<const Settings>(settings);
  auto in = std::make_shared<const IngestFn>(std::move(ingest));
  std::vector<Route> out;
  out.push_back(Route{"GET", kPath, "whatsapp_verify",
                      [s](const HttpRequest& req) { return verifyHandshake(*s, req); }});
  out.push_back(Route{"POST", kPath, "whatsapp_webhook",
                      [s, in, max_body_bytes](const HttpRequest& req) {
                        return notification(*s, *in, max_body_bytes, req);
                      }});
  return out;
}

}  // namespace bb::webhooks::whatsapp
