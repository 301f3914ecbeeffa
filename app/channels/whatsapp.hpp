#pragma once
// The WhatsApp channel module: its settings from the config.

#include "config/config.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::app {

webhooks::whatsapp::Settings whatsAppSettings(const config::Config& c);

}  // namespace bb::app
