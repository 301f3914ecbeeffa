// OutboundMessage → Bot API calls (channels.md §2.5), the file and update calls (§2.2, §2.4),
// the secret check and the reply classification. Every URL holds the bot token: HttpCalls are
// never logged.

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "bot/http/http.hpp"
#include "webhooks/telegram/telegram.hpp"
#include "webhooks/whatsapp/text_limits.hpp"  // UTF-16 aware splitting, shared with WhatsApp

namespace bb::webhooks::telegram {

namespace {

using json = nlohmann::json;

constexpr std::size_t kApiReplyMaxBytes = 256 * 1024;
constexpr std::chrono::milliseconds kDownloadTimeout{60000};
//! The extra time a getUpdates call gets on top of its long-poll timeout.
constexpr std::chrono::seconds kPollSlack{10};
constexpr const char* kLocationOnly = "\xF0\x9F\x93\x8D";  // "📍" after a choices message
constexpr const char* kEmptyText = "\xE2\x80\xA6";         // "…": Telegram refuses empty text

std::string methodUrl(const Settings& settings, const char* method) {
  return settings.api_base + "/bot" + settings.bot_token + "/" + method;
}

HttpCall postJson(const Settings& settings, const char* method, const json& body) {
  HttpCall call;
  call.method = "POST";
  call.url = methodUrl(settings, method);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  call.max_response_bytes = kApiReplyMaxBytes;
  return call;
}

//! chat_id as a JSON integer when it is one (Telegram accepts both; numbers are canonical).
json chatIdValue(const std::string& chat_id) {
  if (!chat_id.empty() && chat_id.size() <= 20) {
    std::size_t i = chat_id[0] == '-' ? 1 : 0;
    bool digits = i < chat_id.size();
    for (; i < chat_id.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(chat_id[i])) == 0) { digits = false; }
    }
    if (digits) {
      try {
        return json(static_cast<std::int64_t>(std::stoll(chat_id)));
      } catch (const std::exception&) {
        return json(chat_id);
      }
    }
  }
  return json(chat_id);
}

HttpCall sendMessage(const Settings& settings, const std::string& chat_id, const std::string& text,
                     const json* reply_markup) {
  json body = {{"chat_id", chatIdValue(chat_id)}, {"text", text.empty() ? kEmptyText : text}};
  if (reply_markup != nullptr) { body["reply_markup"] = *reply_markup; }
  return postJson(settings, "sendMessage", body);
}

json inlineKeyboard(const std::vector<Choice>& choices) {
  json rows = json::array();
  json row = json::array();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const std::string label = choices[i].label.empty() ? choices[i].id : choices[i].label;
    row.push_back({{"text", label}, {"callback_data", callbackData(choices[i], i + 1)}});
    if (row.size() == kButtonsPerRow) {
      rows.push_back(std::move(row));
      row = json::array();
    }
  }
  if (!row.empty()) { rows.push_back(std::move(row)); }
  return json{{"inline_keyboard", std::move(rows)}};
}

json locationKeyboard(const Settings& settings) {
  return json{{"keyboard", json::array({json::array({json{{"text", settings.location_button_label},
                                                          {"request_location", true}}})})},
              {"one_time_keyboard", true},
              {"resize_keyboard", true}};
}

//! Splits long text: every piece but the last becomes a plain message; returns the last piece.
std::string leadingTexts(std::vector<HttpCall>& calls, const std::string& text,
                         const std::string& chat_id, const Settings& settings) {
  std::vector<std::string> pieces = whatsapp::text::split(text, kMaxTextUnits);
  if (pieces.empty()) { return {}; }
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    calls.push_back(sendMessage(settings, chat_id, pieces[i], nullptr));
  }
  return pieces.back();
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

}  // namespace

bool verifySecret(std::string_view header_value, std::string_view expected) {
  const auto a = digest(header_value);
  const auto b = digest(expected);
  const bool same = CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return same && !expected.empty();
}

std::string callbackData(const Choice& choice, std::size_t position) {
  if (!choice.id.empty() && choice.id.size() <= kMaxCallbackData) { return choice.id; }
  return "#" + std::to_string(position);
}

std::vector<HttpCall> renderMessage(const OutboundMessage& message, const std::string& chat_id,
                                    const Settings& settings) {
  std::vector<HttpCall> calls;
  try {
    std::string text = message.text;
    if (!message.follow_url.empty()) {
      text += (text.empty() ? "" : "\n") + message.follow_url;
    }
    if (text.empty() && message.choices.empty() && !message.request_location) { return calls; }
    const std::string last = leadingTexts(calls, text, chat_id, settings);
    if (!message.choices.empty()) {
      const json keyboard = inlineKeyboard(message.choices);
      calls.push_back(sendMessage(settings, chat_id, last, &keyboard));
      if (message.request_location) {
        const json location = locationKeyboard(settings);
        calls.push_back(sendMessage(settings, chat_id, kLocationOnly, &location));
      }
      return calls;
    }
    if (message.request_location) {
      const json location = locationKeyboard(settings);
      calls.push_back(sendMessage(settings, chat_id, last.empty() ? kLocationOnly : last,
                                  &location));
      return calls;
    }
    calls.push_back(sendMessage(settings, chat_id, last, nullptr));
  } catch (const std::exception&) {  // bad_alloc only: nothing half-rendered leaves
    calls.clear();
  }
  return calls;
}

HttpCall answerCallbackCall(const std::string& callback_query_id, const Settings& settings) {
  return postJson(settings, "answerCallbackQuery", json{{"callback_query_id", callback_query_id}});
}

HttpCall getFileCall(const std::string& file_id, const Settings& settings) {
  return postJson(settings, "getFile", json{{"file_id", file_id}});
}

Result<std::string> parseFilePath(const HttpReply& reply) {
  if (reply.status != 200) {
    return fail(ErrorCode::Upstream, reply.status == 0 ? "transport"
                                                       : "http_" + std::to_string(reply.status));
  }
  const json root = json::parse(reply.body, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.value("ok", false)) {
    return fail(ErrorCode::Upstream, "getfile_not_ok");
  }
  const auto result = root.find("result");
  if (result == root.end() || !result->is_object()) {
    return fail(ErrorCode::Upstream, "getfile_no_result");
  }
  if (const auto size = result->find("file_size");
      size != result->end() && size->is_number_unsigned() &&
      size->get<std::uint64_t>() > kMaxFileBytes) {
    return fail(ErrorCode::TooLarge, "too_large");
  }
  const auto path = result->find("file_path");
  if (path == result->end() || !path->is_string() || path->get<std::string>().empty()) {
    return fail(ErrorCode::Upstream, "getfile_no_path");  // e.g. over 20 MB: no path given
  }
  const std::string p = path->get<std::string>();
  if (p.find("..") != std::string::npos || p.front() == '/' ||
      p.find_first_of("?#\\ \r\n") != std::string::npos) {
    return fail(ErrorCode::Upstream, "getfile_bad_path");
  }
  return p;
}

HttpCall fileDownloadCall(const std::string& file_path, const Settings& settings) {
  HttpCall call;
  call.method = "GET";
  call.url = settings.api_base + "/file/bot" + settings.bot_token + "/" + file_path;
  call.timeout = kDownloadTimeout;
  call.max_response_bytes = kMaxFileBytes;
  return call;
}

HttpCall getUpdatesCall(std::int64_t offset, int timeout_s, const Settings& settings) {
  json body = {{"timeout", timeout_s}, {"limit", 100}, {"allowed_updates", allowedUpdates()}};
  if (offset > 0) { body["offset"] = offset; }
  HttpCall call = postJson(settings, "getUpdates", body);
  call.timeout = std::chrono::seconds(timeout_s) + kPollSlack;
  call.max_response_bytes = 8 * 1024 * 1024;
  return call;
}

HttpCall setWebhookCall(const std::string& url, const Settings& settings) {
  json body = {{"url", url}, {"allowed_updates", allowedUpdates()}};
  if (!settings.secret_token.empty()) { body["secret_token"] = settings.secret_token; }
  return postJson(settings, "setWebhook", body);
}

HttpCall deleteWebhookCall(const Settings& settings) {
  return postJson(settings, "deleteWebhook", json::object());
}

SendOutcome classifyReply(const HttpReply& reply) {
  SendOutcome out;
  if (reply.status == 0) {
    out.kind = SendOutcome::Kind::Retry;
    out.error_code = "transport";
    return out;
  }
  out.error_code = "http_" + std::to_string(reply.status);
  const json root = json::parse(reply.body, nullptr, false);
  const bool is_object = !root.is_discarded() && root.is_object();
  if (reply.status == 200) {
    if (!is_object) {
      out.kind = SendOutcome::Kind::Retry;  // a proxy's page, a cut answer
      out.error_code = "bad_reply";
      return out;
    }
    if (root.value("ok", false)) {
      out.kind = SendOutcome::Kind::Sent;
      out.error_code.clear();
      const auto result = root.find("result");
      if (result != root.end() && result->is_object()) {
        const auto id = result->find("message_id");
        if (id != result->end() && id->is_number_integer()) {
          out.message_id = std::to_string(id->get<std::int64_t>());
        }
      }
      return out;
    }
    out.kind = SendOutcome::Kind::Permanent;
    out.error_code = "not_ok";
    return out;
  }
  if (reply.status == 429) {
    out.kind = SendOutcome::Kind::RateLimited;
    std::int64_t seconds = 0;
    if (is_object) {
      const auto params = root.find("parameters");
      if (params != root.end() && params->is_object()) {
        const auto after = params->find("retry_after");
        if (after != params->end() && after->is_number_integer()) {
          seconds = after->get<std::int64_t>();
        }
      }
    }
    if (seconds <= 0) {
      if (const auto h = reply.headers.find("retry-after"); h != reply.headers.end()) {
        try {
          seconds = std::stoll(h->second);
        } catch (const std::exception&) {
          seconds = 0;
        }
      }
    }
    constexpr std::int64_t kMaxRetryAfter = 24 * 3600;
    out.retry_after = std::chrono::seconds(std::clamp<std::int64_t>(seconds, 0, kMaxRetryAfter));
    return out;
  }
  if (reply.status >= 500 || reply.status == 408) {
    out.kind = SendOutcome::Kind::Retry;
    return out;
  }
  std::string description = is_object ? root.value("description", std::string()) : std::string();
  for (char& c : description) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool gone = description.find("chat not found") != std::string::npos ||
                    description.find("user is deactivated") != std::string::npos ||
                    description.find("blocked") != std::string::npos ||
                    description.find("kicked") != std::string::npos;
  if (reply.status == 403 || gone) {
    out.kind = SendOutcome::Kind::Unreachable;
    return out;
  }
  out.kind = SendOutcome::Kind::Permanent;
  return out;
}

}  // namespace bb::webhooks::telegram
