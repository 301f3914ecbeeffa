#include "app/channels/channels.hpp"

#include "bot/log.hpp"
#include "webhooks/whatsapp/channel.hpp"

namespace bb::app {
namespace {

namespace wa = webhooks::whatsapp;

wa::Settings whatsAppSettings(const config::Config& c) {
  wa::Settings s;
  s.api_base = c.whatsapp.api_base;
  s.phone_number_id = c.whatsapp.phone_number_id;
  s.access_token = c.whatsapp.access_token;
  s.app_secret = c.whatsapp.app_secret;
  s.verify_token = c.whatsapp.verify_token;
  if (!c.whatsapp.templates_file.empty()) {
    // check-config refuses a broken catalogue; here it only costs the notices their template.
    if (auto catalogue = loadTemplateCatalogue(c.whatsapp.templates_file)) {
      s.templates = std::move(*catalogue);
    } else {
      log::error("whatsapp_templates_unreadable", {{"detail", catalogue.error().detail}});
    }
  }
  s.template_name = c.whatsapp.template_name;
  s.template_language = c.whatsapp.template_language;
  s.list_button_label = c.whatsapp.list_button_label;
  return s;
}

DeliveryLimits whatsAppLimits(const config::WhatsAppConfig& w) {
  return {.rate_per_second = static_cast<double>(w.rate_per_second),
          .recipient_interval_ms = w.recipient_interval_ms,
          .max_tries = w.max_tries, .retry_base_ms = w.retry_base_ms,
          .concurrency = w.send_concurrency, .max_image_bytes = wa::kMaxImageBytes};
}

ChannelParts build(const ChannelContext& context) {
  const wa::Settings settings = whatsAppSettings(context.config);
  ChannelParts parts;
  parts.http = makeCurlHttpClient();
  parts.sender = std::make_unique<wa::Sender>(settings, *parts.http, context.store, context.clock);
  parts.fetcher = std::make_unique<wa::MediaFetcher>(settings, *parts.http);
  parts.routes = wa::routes(settings, context.ingest(), context.maxBodyBytes());
  parts.limits = whatsAppLimits(context.config.whatsapp);
  const auto& w = context.config.whatsapp;
  parts.log_fields = {{"rate_per_second", std::to_string(w.rate_per_second)},
                      {"access_token", config::maskSecret(w.access_token)}};
  return parts;
}

}  // namespace

ChannelSpec whatsAppChannel() {
  return {Channel::WhatsApp, "whatsapp",
          [](const config::Config& c) { return c.whatsapp.enabled; }, build};
}

}  // namespace bb::app
