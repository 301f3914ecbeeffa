#include <iostream>
#include <optional>

#include "app/channels/channels.hpp"
#include "app/commands/commands.hpp"
#include "bot/ports.hpp"

namespace bb::app {
namespace {

namespace tg = webhooks::telegram;

//! setWebhook for the URL argument (else telegram.webhook_url); nullopt after printing why not.
std::optional<HttpCall> setWebhook(const Args& args, const config::Config& config,
                                   const tg::Settings& settings) {
  std::string url = config.telegram.webhook_url;
  if (args.size() >= 3 && args[2].rfind("--", 0) != 0) { url = args[2]; }
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    std::cerr << "telegram set-webhook: a URL is required (argument or telegram.webhook_url)\n";
    return std::nullopt;
  }
  if (settings.secret_token.empty()) {
    std::cerr << "telegram set-webhook: telegram.secret_token is not set "
                 "(BUERGERBOX_TELEGRAM_SECRET_TOKEN); without it anyone could post updates\n";
    return std::nullopt;
  }
  if (url.rfind("https://", 0) != 0) {
    std::cerr << "telegram set-webhook: warning: Telegram accepts only https URLs\n";
  }
  return tg::setWebhookCall(url, settings);
}

}  // namespace

int runTelegram(const Args& args) {
  const bool set = args.size() >= 2 && args[1] == "set-webhook";
  const bool remove = args.size() >= 2 && args[1] == "delete-webhook";
  if (!set && !remove) { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  const auto settings = telegramSettings(config);
  if (settings.bot_token.empty()) {
    std::cerr << "telegram: telegram.bot_token is not set (BUERGERBOX_TELEGRAM_BOT_TOKEN)\n";
    return 2;
  }
  const auto call = set ? setWebhook(args, config, settings) : tg::deleteWebhookCall(settings);
  if (!call) { return 2; }
  auto http = makeCurlHttpClient();
  const auto outcome = tg::classifyReply(http->send(*call));
  if (outcome.kind != tg::SendOutcome::Kind::Sent) {
    // Only the status code: the request URL holds the bot token.
    std::cerr << "telegram " << args[1] << ": failed (" << outcome.error_code << ")\n";
    return 1;
  }
  std::cout << "telegram " << args[1] << ": ok\n";
  return 0;
}

}  // namespace bb::app
