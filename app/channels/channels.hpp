#pragma once
// The messenger channels, one entry each in channelSpecs(). Each channel's file (whatsapp.cpp,
// telegram.cpp, matrix.cpp) builds its parts from its own config section.

#include "app/channels/channel_module.hpp"
#include "config/config.hpp"
#include "webhooks/matrix/matrix.hpp"
#include "webhooks/telegram/telegram.hpp"

namespace bb::app {

ChannelSpec whatsAppChannel();
ChannelSpec telegramChannel();
ChannelSpec matrixChannel();

//! Also for `telegram set-webhook|delete-webhook`; api_base without a trailing slash (the Bot
//! API paths start with one).
webhooks::telegram::Settings telegramSettings(const config::Config& c);
//! Also for `matrix registration`.
webhooks::matrix::Settings matrixSettings(const config::Config& c);

}  // namespace bb::app
