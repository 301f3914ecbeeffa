#pragma once
// The template catalogue on the wire of Meta's WhatsApp Business Management API:
// - the request bodies of POST /{waba-id}/message_templates, one per template and language;
// - GET /{waba-id}/message_templates?fields=name,language,status,category and its pages.
// Format: developers.facebook.com/documentation/business-messaging/whatsapp/templates/
// utility-templates/utility-templates and .../templates/template-management (docs/channels/whatsapp.md).

#include <optional>
#include <string>
#include <vector>

#include "bot/channels/whatsapp_templates.hpp"
#include "bot/ports.hpp"
#include "bot/result.hpp"

namespace bb::webhooks::whatsapp {

//! One create request body: {"name", "language", "category", "components": [BODY with text and
//! example.body_text, BUTTONS with one QUICK_REPLY]} as compact JSON.
std::string templateCreateBody(const WhatsAppTemplate& tmpl, const TemplateLanguage& language);
//! Every template and language of the catalogue, as a JSON array (indented for reading).
std::string templateCreateBodies(const TemplateCatalogue& catalogue);

//! The first page: {api_base}/{waba_id}/message_templates?fields=name,language,status,category&limit=100.
std::string templateListUrl(const std::string& api_base, const std::string& waba_id);
//! GET `url` with `Authorization: Bearer <token>`.
HttpCall templateListCall(const std::string& url, const std::string& access_token);

struct TemplatePage {
  std::vector<AccountTemplate> templates;
  std::string next;   //!< paging.next (empty on the last page)
  std::string after;  //!< paging.cursors.after
};

//! Reads one page. A non-200 reply is an Upstream error naming the HTTP status and the Graph
//! error code and message (Graph's message, never the request); a body that is not the list
//! is an Upstream error too.
Result<TemplatePage> parseTemplatePage(const HttpReply& reply);

//! The URL of the page after `page`: paging.next when it lies on api_base's scheme, host and
//! port (the bearer token is never sent elsewhere), else the first page's URL with &after=
//! cursor; nullopt on the last page.
std::optional<std::string> nextTemplatePageUrl(const TemplatePage& page, const std::string& api_base,
                                               const std::string& first_url);

}  // namespace bb::webhooks::whatsapp
