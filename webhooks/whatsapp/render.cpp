// Outbound: OutboundMessage → Graph API calls (channels.md §1.5, §1.6). Limits per Meta's
// OpenAPI description v23.0 and the interactive-message docs; counted in UTF-16 code units.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "webhooks/whatsapp/text_limits.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::webhooks::whatsapp {

namespace {

using nlohmann::json;

constexpr std::size_t kTextMax = 4096;
constexpr std::size_t kInteractiveBodyMax = 1024;
constexpr std::size_t kMaxButtons = 3;
constexpr std::size_t kButtonTitleMax = 20;
constexpr std::size_t kButtonIdMax = 256;
constexpr std::size_t kRowsPerList = 10;
constexpr std::size_t kRowTitleMax = 24;
constexpr std::size_t kRowDescriptionMax = 72;
constexpr std::size_t kListButtonMax = 20;
constexpr std::size_t kTemplateParamMax = 1024;
constexpr std::size_t kMediaInfoMaxBytes = 64 * 1024;
constexpr std::chrono::milliseconds kDownloadTimeout{30000};

constexpr const char* kEmptyBody = "\xE2\x80\xA6";            // "…": Meta requires a body text
constexpr const char* kLocationBody = "\xF0\x9F\x93\x8D";     // "📍" after a choices message
constexpr const char* kDefaultListButton = "\xE2\x98\xB0";    // "☰"

std::string apiUrl(const Settings& settings, std::string_view path) {
  std::string base = settings.api_base;
  while (!base.empty() && base.back() == '/') { base.pop_back(); }
  return base + "/" + std::string(path);
}

//! Percent-encodes everything but RFC 3986 unreserved characters.
std::string urlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                            (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

void addBearer(HttpCall& call, const Settings& settings) {
  call.headers.emplace_back("Authorization", "Bearer " + settings.access_token);
}

json envelope(const std::string& to, const char* type) {
  return json{{"messaging_product", "whatsapp"},
              {"recipient_type", "individual"},
              {"to", to},
              {"type", type}};
}

HttpCall postMessage(const json& body, const Settings& settings) {
  HttpCall call;
  call.method = "POST";
  call.url = apiUrl(settings, urlEncode(settings.phone_number_id) + "/messages");
  addBearer(call, settings);
  call.headers.emplace_back("Content-Type", "application/json");
  // Invalid UTF-8 in a text is replaced (U+FFFD) instead of throwing.
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  call.max_response_bytes = kMediaInfoMaxBytes;
  return call;
}

void trimTrailingSpace(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r')) { s.pop_back(); }
}

void appendText(std::vector<HttpCall>& calls, std::string_view text, const std::string& to,
                const Settings& settings) {
  for (const std::string& piece : text::split(text, kTextMax)) {
    json body = envelope(to, "text");
    body["text"] = json{{"preview_url", false}, {"body", piece}};
    calls.push_back(postMessage(body, settings));
  }
}

//! Sends all but the last `body_max` units of `text` as text messages; returns the rest.
std::string leadingTextAndBody(std::vector<HttpCall>& calls, std::string_view text,
                               std::size_t body_max, const std::string& to,
                               const Settings& settings) {
  std::vector<std::string> pieces = text::split(text, kTextMax);
  if (pieces.empty()) { return {}; }
  std::string last = std::move(pieces.back());
  pieces.pop_back();
  const std::size_t cut = text::tailStart(last, body_max);
  std::string lead = last.substr(0, cut);
  trimTrailingSpace(lead);
  if (!lead.empty()) { pieces.push_back(std::move(lead)); }
  for (const std::string& piece : pieces) { appendText(calls, piece, to, settings); }
  return last.substr(cut);
}

json interactive(const std::string& to, const char* itype, const std::string& body_text) {
  json body = envelope(to, "interactive");
  body["interactive"] = json{{"type", itype}, {"body", {{"text", body_text}}}};
  return body;
}

bool fitsReplyButtons(const std::vector<Choice>& choices) {
  if (choices.empty() || choices.size() > kMaxButtons) { return false; }
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const Choice& c = choices[i];
    if (c.label.empty() || text::units(c.label) > kButtonTitleMax || c.id.empty() ||
        c.id.size() > kButtonIdMax) {
      return false;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (choices[j].label == c.label) { return false; }  // titles must be unique
    }
  }
  return true;
}

void appendButtons(std::vector<HttpCall>& calls, const std::vector<Choice>& choices,
                   const std::string& body_text, const std::string& to,
                   const Settings& settings) {
  json buttons = json::array();
  for (const Choice& c : choices) {
    buttons.push_back({{"type", "reply"}, {"reply", {{"id", c.id}, {"title", c.label}}}});
  }
  json body = interactive(to, "button", body_text);
  body["interactive"]["action"] = json{{"buttons", std::move(buttons)}};
  calls.push_back(postMessage(body, settings));
}

void appendLists(std::vector<HttpCall>& calls, const std::vector<Choice>& choices,
                 const std::string& body_text, const std::string& to, const Settings& settings) {
  const std::size_t pages = (choices.size() + kRowsPerList - 1) / kRowsPerList;
  std::string button = text::shorten(settings.list_button_label, kListButtonMax);
  if (button.empty()) { button = kDefaultListButton; }
  for (std::size_t page = 0; page < pages; ++page) {
    json rows = json::array();
    const std::size_t end = std::min(choices.size(), (page + 1) * kRowsPerList);
    for (std::size_t i = page * kRowsPerList; i < end; ++i) {
      const Choice& c = choices[i];
      const std::string& label = c.label.empty() ? c.id : c.label;
      json row = {{"id", c.id}, {"title", text::shorten(label, kRowTitleMax)}};
      if (text::units(label) > kRowTitleMax) {
        row["description"] = text::shorten(label, kRowDescriptionMax);
      }
      rows.push_back(std::move(row));
    }
    const std::string page_body = page == 0 ? body_text
                                            : "(" + std::to_string(page + 1) + "/" +
                                                  std::to_string(pages) + ")";
    json body = interactive(to, "list", page_body);
    body["interactive"]["action"] =
        json{{"button", button}, {"sections", json::array({json{{"rows", std::move(rows)}}})}};
    calls.push_back(postMessage(body, settings));
  }
}

void appendLocationRequest(std::vector<HttpCall>& calls, const std::string& body_text,
                           const std::string& to, const Settings& settings) {
  json body = interactive(to, "location_request_message", body_text);
  body["interactive"]["action"] = json{{"name", "send_location"}};
  calls.push_back(postMessage(body, settings));
}

//! Meta rejects template parameters with newlines, tabs or more than 4 consecutive spaces.
std::string templateParam(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const char d = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (d == ' ' && (out.empty() || out.back() == ' ')) { continue; }
    out += d;
  }
  trimTrailingSpace(out);
  out = text::shorten(out, kTemplateParamMax);
  return out.empty() ? std::string("-") : out;
}

HttpCall renderTemplate(const OutboundMessage& message, const std::string& to,
                        const Settings& settings) {
  return renderTemplateNotice(
      TemplateNotice{message.template_name,
                     settings.template_language.empty() ? "de" : settings.template_language,
                     message.template_params, {}},
      to, settings);
}

}  // namespace

HttpCall renderTemplateNotice(const TemplateNotice& notice, const std::string& to,
                              const Settings& settings) {
  json tmpl = {{"name", notice.name},
               {"language", {{"policy", "deterministic"}, {"code", notice.language}}}};
  json components = json::array();
  if (!notice.params.empty()) {
    json params = json::array();
    for (const std::string& p : notice.params) {
      params.push_back({{"type", "text"}, {"text", templateParam(p)}});
    }
    components.push_back({{"type", "body"}, {"parameters", std::move(params)}});
  }
  if (!notice.button_payload.empty()) {
    components.push_back({{"type", "button"},
                          {"sub_type", "quick_reply"},
                          {"index", "0"},
                          {"parameters", json::array({json{{"type", "payload"},
                                                           {"payload", notice.button_payload}}})}});
  }
  if (!components.empty()) { tmpl["components"] = std::move(components); }
  json body = envelope(to, "template");
  body["template"] = std::move(tmpl);
  return postMessage(body, settings);
}

std::vector<HttpCall> renderMessage(const OutboundMessage& message, const std::string& to,
                                    const Settings& settings) {
  std::vector<HttpCall> calls;
  try {
    if (!message.template_name.empty()) {
      calls.push_back(renderTemplate(message, to, settings));
      return calls;
    }
    if (!message.choices.empty()) {
      std::string body = leadingTextAndBody(calls, message.text, kInteractiveBodyMax, to,
                                            settings);
      if (body.empty()) { body = kEmptyBody; }
      if (fitsReplyButtons(message.choices)) {
        appendButtons(calls, message.choices, body, to, settings);
      } else {
        appendLists(calls, message.choices, body, to, settings);
      }
      if (message.request_location) { appendLocationRequest(calls, kLocationBody, to, settings); }
      return calls;
    }
    if (message.request_location) {
      std::string body = leadingTextAndBody(calls, message.text, kInteractiveBodyMax, to,
                                            settings);
      appendLocationRequest(calls, body.empty() ? std::string(kLocationBody) : body, to,
                            settings);
      return calls;
    }
    appendText(calls, message.text, to, settings);
  } catch (const std::exception&) {  // bad_alloc only: nothing half-rendered leaves
    calls.clear();
  }
  return calls;
}

HttpCall mediaInfoCall(const std::string& media_id, const Settings& settings) {
  HttpCall call;
  call.method = "GET";
  call.url = apiUrl(settings, urlEncode(media_id));
  if (!settings.phone_number_id.empty()) {
    call.url += "?phone_number_id=" + urlEncode(settings.phone_number_id);
  }
  addBearer(call, settings);
  call.max_response_bytes = kMediaInfoMaxBytes;
  return call;
}

HttpCall mediaDownloadCall(const std::string& url, const Settings& settings) {
  HttpCall call;
  call.method = "GET";
  call.url = url;
  addBearer(call, settings);  // "If you omit your token, the request will fail."
  call.timeout = kDownloadTimeout;
  call.max_response_bytes = kMaxImageBytes;
  return call;
}

}  // namespace bb::webhooks::whatsapp
