#include "app/channels/channels.hpp"

#include "webhooks/telegram/channel.hpp"

namespace bb::app {
namespace {

namespace tg = webhooks::telegram;

//! The callback answerer and, in polling mode, the getUpdates loop.
class TelegramThreads final : public ChannelExtras {
public:
  std::unique_ptr<tg::CallbackAnswerer> answerer;
  std::unique_ptr<tg::Poller> poller;  //!< null in webhook mode

  void start() override {
    answerer->start();
    if (poller) { poller->start(); }
  }
  void stop() override {
    if (poller) { poller->stop(); }
    answerer->stop();
  }
};

DeliveryLimits telegramLimits(const config::TelegramConfig& t) {
  return {.rate_per_second = static_cast<double>(t.rate_per_second),
          .recipient_interval_ms = t.per_chat_interval_ms,
          .max_tries = t.max_tries, .retry_base_ms = t.retry_base_ms,
          .max_image_bytes = tg::kMaxFileBytes};
}

ChannelParts build(const ChannelContext& context) {
  const auto& c = context.config;
  const tg::Settings settings = telegramSettings(c);
  ChannelParts parts;
  parts.http = makeCurlHttpClient();
  auto threads = std::make_unique<TelegramThreads>();
  threads->answerer = std::make_unique<tg::CallbackAnswerer>(settings, *parts.http);
  parts.sender = std::make_unique<tg::Sender>(settings, *parts.http, context.store);
  parts.fetcher = std::make_unique<tg::MediaFetcher>(settings, *parts.http);
  if (c.telegram.mode == "polling") {
    tg::PollerOptions p;
    p.timeout_s = c.telegram.poll_timeout_s;
    threads->poller = std::make_unique<tg::Poller>(settings, *parts.http, context.telegram_offsets,
                                                   context.ingest(), threads->answerer.get(), p);
  } else {
    parts.routes = tg::routes(settings, context.ingest(), threads->answerer.get(),
                              context.maxBodyBytes());
  }
  parts.extras = std::move(threads);
  parts.limits = telegramLimits(c.telegram);
  parts.log_fields = {{"mode", c.telegram.mode},
                      {"rate_per_second", std::to_string(c.telegram.rate_per_second)},
                      {"bot_token", config::maskSecret(c.telegram.bot_token)}};
  return parts;
}

}  // namespace

webhooks::telegram::Settings telegramSettings(const config::Config& c) {
  tg::Settings s;
  s.api_base = c.telegram.api_base;
  while (!s.api_base.empty() && s.api_base.back() == '/') { s.api_base.pop_back(); }
  s.bot_token = c.telegram.bot_token;
  s.secret_token = c.telegram.secret_token;
  return s;
}

ChannelSpec telegramChannel() {
  return {Channel::Telegram, "telegram",
          [](const config::Config& c) { return c.telegram.enabled; }, build};
}

}  // namespace bb::app
