#include "app/channels/channels.hpp"

#include "webhooks/matrix/channel.hpp"

namespace bb::app {
namespace {

namespace mx = webhooks::matrix;

DeliveryLimits matrixLimits(const config::MatrixConfig& m) {
  return {.rate_per_second = static_cast<double>(m.rate_per_second),
          .recipient_interval_ms = m.recipient_interval_ms,
          .max_tries = m.max_tries, .retry_base_ms = m.retry_base_ms,
          .max_image_bytes = mx::kMaxImageBytes};
}

ChannelParts build(const ChannelContext& context) {
  mx::Settings settings = matrixSettings(context.config);
  // Sent into a room that turned on encryption: the bot cannot read it (both languages).
  const auto& texts = context.engine.flowData().texts;
  settings.encrypted_notice = texts.render(flows::Lang::De, "matrix.encrypted_room") + "\n\n" +
                              texts.render(flows::Lang::En, "matrix.encrypted_room");
  settings.group_notice = texts.render(flows::Lang::De, "matrix.group_room") + "\n\n" +
                          texts.render(flows::Lang::En, "matrix.group_room");
  ChannelParts parts;
  parts.http = makeCurlHttpClient();
  parts.sender = std::make_unique<mx::Sender>(settings, *parts.http);
  parts.fetcher = std::make_unique<mx::MediaFetcher>(settings, *parts.http);
  parts.routes = mx::routes(settings, context.ingest(), context.matrix_transactions, *parts.http,
                            context.maxBodyBytes());
  parts.limits = matrixLimits(context.config.matrix);
  const auto& m = context.config.matrix;
  parts.log_fields = {{"rate_per_second", std::to_string(m.rate_per_second)},
                      {"as_token", config::maskSecret(m.as_token)},
                      {"hs_token", config::maskSecret(m.hs_token)}};
  return parts;
}

}  // namespace

webhooks::matrix::Settings matrixSettings(const config::Config& c) {
  mx::Settings s;
  s.homeserver_url = c.matrix.homeserver_url;
  s.server_name = c.matrix.server_name;
  s.sender_localpart = c.matrix.sender_localpart;
  s.as_token = c.matrix.as_token;
  s.hs_token = c.matrix.hs_token;
  s.registration_id = c.matrix.registration_id;
  s.bridge_bots = config::splitKeyList(c.matrix.bridge_bots);
  s.public_url = c.server.public_url;
  return s;
}

ChannelSpec matrixChannel() {
  return {Channel::Matrix, "matrix",
          [](const config::Config& c) { return c.matrix.enabled; }, build};
}

}  // namespace bb::app
