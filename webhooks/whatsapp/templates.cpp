#include "webhooks/whatsapp/templates.hpp"

#include <cctype>
#include <chrono>

#include <nlohmann/json.hpp>

namespace bb::webhooks::whatsapp {
namespace {

using json = nlohmann::json;
using ordered = nlohmann::ordered_json;  //!< keys in Meta's documented order, for people reading

ordered createBody(const WhatsAppTemplate& tmpl, const TemplateLanguage& language) {
  ordered body = {{"type", "BODY"}, {"text", language.body}};
  if (!language.examples.empty()) {
    body["example"] = {{"body_text", ordered::array({language.examples})}};
  }
  const ordered buttons = {
      {"type", "BUTTONS"},
      {"buttons", ordered::array({{{"type", "QUICK_REPLY"}, {"text", language.button}}})}};
  return {{"name", tmpl.name},
          {"language", language.code},
          {"category", tmpl.category},
          {"components", ordered::array({body, buttons})}};
}

//! "https://host:port" of a URL ("" when it has no scheme).
std::string origin(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) { return {}; }
  const auto path = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, path);
}

std::string percentEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char ch : text) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0x0F];
    }
  }
  return out;
}

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string templateCreateBody(const WhatsAppTemplate& tmpl, const TemplateLanguage& language) {
  return createBody(tmpl, language).dump();
}

std::string templateCreateBodies(const TemplateCatalogue& catalogue) {
  ordered all = ordered::array();
  for (const auto& t : catalogue.templates) {
    for (const auto& lang : t.languages) { all.push_back(createBody(t, lang)); }
  }
  return all.dump(2);
}

std::string templateListUrl(const std::string& api_base, const std::string& waba_id) {
  std::string base = api_base;
  while (!base.empty() && base.back() == '/') { base.pop_back(); }
  return base + "/" + waba_id + "/message_templates?fields=name,language,status,category&limit=100";
}

HttpCall templateListCall(const std::string& url, const std::string& access_token) {
  HttpCall call;
  call.method = "GET";
  call.url = url;
  call.headers = {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}};
  call.timeout = std::chrono::milliseconds(30000);
  return call;
}

Result<TemplatePage> parseTemplatePage(const HttpReply& reply) {
  const json root = json::parse(reply.body, nullptr, false);
  if (reply.status != 200) {
    std::string why = reply.status == 0 ? "no answer (" + reply.transport_error + ")"
                                        : "HTTP " + std::to_string(reply.status);
    if (root.is_object() && root.contains("error") && root["error"].is_object()) {
      const json& e = root["error"];
      if (e.contains("code") && e["code"].is_number_integer()) {
        why += ", Graph error " + std::to_string(e["code"].get<long long>());
      }
      if (const std::string message = text(e, "message"); !message.empty()) {
        why += ": " + message.substr(0, 200);
      }
    }
    return fail(ErrorCode::Upstream, why);
  }
  if (!root.is_object() || !root.contains("data") || !root["data"].is_array()) {
    return fail(ErrorCode::Upstream, "the answer is not a template list (no data array)");
  }
  TemplatePage page;
  for (const json& t : root["data"]) {
    if (!t.is_object()) { continue; }
    page.templates.push_back({text(t, "name"), text(t, "language"), text(t, "status"), text(t, "category")});
  }
  if (const auto paging = root.find("paging"); paging != root.end() && paging->is_object()) {
    page.next = text(*paging, "next");
    if (const auto cursors = paging->find("cursors"); cursors != paging->end() && cursors->is_object()) {
      page.after = text(*cursors, "after");
    }
  }
  return page;
}

std::optional<std::string> nextTemplatePageUrl(const TemplatePage& page, const std::string& api_base,
                                               const std::string& first_url) {
  if (page.next.empty()) { return std::nullopt; }
  if (!origin(api_base).empty() && origin(page.next) == origin(api_base)) { return page.next; }
  if (page.after.empty()) { return std::nullopt; }
  return first_url + "&after=" + percentEncode(page.after);
}

}  // namespace bb::webhooks::whatsapp
