#include "app/channels/telegram.hpp"

namespace bb::app {

webhooks::telegram::Settings telegramSettings(const config::Config& c) {
  webhooks::telegram::Settings s;
  s.api_base = c.telegram.api_base;
  while (!s.api_base.empty() && s.api_base.back() == '/') { s.api_base.pop_back(); }
  s.bot_token = c.telegram.bot_token;
  s.secret_token = c.telegram.secret_token;
  return s;
}

}  // namespace bb::app
