#pragma once
// The Telegram channel module: its settings from the config.

#include "config/config.hpp"
#include "webhooks/telegram/telegram.hpp"

namespace bb::app {

//! api_base without a trailing slash (the Bot API paths start with one).
webhooks::telegram::Settings telegramSettings(const config::Config& c);

}  // namespace bb::app
