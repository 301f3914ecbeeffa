#include "app/channels/whatsapp.hpp"

namespace bb::app {

webhooks::whatsapp::Settings whatsAppSettings(const config::Config& c) {
  webhooks::whatsapp::Settings s;
  s.api_base = c.whatsapp.api_base;
  s.phone_number_id = c.whatsapp.phone_number_id;
  s.access_token = c.whatsapp.access_token;
  s.app_secret = c.whatsapp.app_secret;
  s.verify_token = c.whatsapp.verify_token;
  s.template_name = c.whatsapp.template_name;
  s.template_language = c.whatsapp.template_language;
  s.list_button_label = c.whatsapp.list_button_label;
  return s;
}

}  // namespace bb::app
