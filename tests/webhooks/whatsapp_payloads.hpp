#pragma once
// Builders of signed WhatsApp webhook payloads for route and integration tests, shaped like the
// fixtures in tests/fixtures/whatsapp (Meta's documented examples).

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "bot/security/crypto.hpp"

namespace bb::test::wa {

inline constexpr const char* kPhoneNumberId = "106540352242922";

inline nlohmann::json message(const std::string& from, const std::string& wamid,
                              std::int64_t timestamp, const std::string& type) {
  return {{"from", from}, {"id", wamid}, {"timestamp", std::to_string(timestamp)}, {"type", type}};
}

inline nlohmann::json textMessage(const std::string& from, const std::string& wamid,
                                  std::int64_t ts, const std::string& body) {
  auto m = message(from, wamid, ts, "text");
  m["text"] = {{"body", body}};
  return m;
}

inline nlohmann::json buttonReply(const std::string& from, const std::string& wamid,
                                  std::int64_t ts, const std::string& id, const std::string& title) {
  auto m = message(from, wamid, ts, "interactive");
  m["context"] = {{"from", "15550783881"}, {"id", "wamid.ctx"}};
  m["interactive"] = {{"type", "button_reply"}, {"button_reply", {{"id", id}, {"title", title}}}};
  return m;
}

//! The tap on a template's quick-reply button (type "button", not "interactive"), as Meta's
//! webhook reference shows it: the payload set when sending, the label as text.
inline nlohmann::json templateButton(const std::string& from, const std::string& wamid,
                                     std::int64_t ts, const std::string& payload,
                                     const std::string& text,
                                     const std::string& template_wamid = "wamid.tpl") {
  auto m = message(from, wamid, ts, "button");
  m["context"] = {{"from", "15550783881"}, {"id", template_wamid}};
  m["button"] = {{"payload", payload}, {"text", text}};
  return m;
}

inline nlohmann::json listReply(const std::string& from, const std::string& wamid,
                                std::int64_t ts, const std::string& id, const std::string& title) {
  auto m = message(from, wamid, ts, "interactive");
  m["context"] = {{"from", "15550783881"}, {"id", "wamid.ctx"}};
  m["interactive"] = {{"type", "list_reply"},
                      {"list_reply", {{"id", id}, {"title", title}, {"description", ""}}}};
  return m;
}

inline nlohmann::json locationMessage(const std::string& from, const std::string& wamid,
                                      std::int64_t ts, double lat, double lon) {
  auto m = message(from, wamid, ts, "location");
  m["location"] = {{"latitude", lat}, {"longitude", lon}};
  return m;
}

inline nlohmann::json imageMessage(const std::string& from, const std::string& wamid,
                                   std::int64_t ts, const std::string& media_id) {
  auto m = message(from, wamid, ts, "image");
  m["image"] = {{"id", media_id},
                {"mime_type", "image/jpeg"},
                {"sha256", "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="}};
  return m;
}

//! One notification POST body holding `messages` (an array) from `from`.
inline std::string envelope(const std::string& from, const nlohmann::json& messages) {
  nlohmann::json value = {{"messaging_product", "whatsapp"},
                          {"metadata",
                           {{"display_phone_number", "15550783881"},
                            {"phone_number_id", kPhoneNumberId}}},
                          {"contacts", {{{"profile", {{"name", "Test Person"}}}, {"wa_id", from}}}},
                          {"messages", messages}};
  nlohmann::json body = {
      {"object", "whatsapp_business_account"},
      {"entry", {{{"id", "102290129340398"},
                  {"changes", {{{"field", "messages"}, {"value", value}}}}}}}};
  return body.dump();
}

//! A statuses[] notification for one of our wamids.
//! With `error_code`, a "failed" status carries it as Meta sends it (errors[0].code and title).
inline std::string statusEnvelope(const std::string& wamid, const std::string& status,
                                  const std::string& recipient, std::int64_t ts,
                                  int error_code = 0) {
  nlohmann::json st = {{"id", wamid},
                       {"status", status},
                       {"timestamp", std::to_string(ts)},
                       {"recipient_id", recipient}};
  if (error_code != 0) {
    st["errors"] = {{{"code", error_code},
                     {"title", "Error " + std::to_string(error_code)},
                     {"error_data", {{"details", "Message failed to send."}}}}};
  }
  nlohmann::json value = {{"messaging_product", "whatsapp"},
                          {"metadata",
                           {{"display_phone_number", "15550783881"},
                            {"phone_number_id", kPhoneNumberId}}},
                          {"statuses", {st}}};
  nlohmann::json body = {
      {"object", "whatsapp_business_account"},
      {"entry", {{{"id", "102290129340398"},
                  {"changes", {{{"field", "messages"}, {"value", value}}}}}}}};
  return body.dump();
}

inline std::string signature(const std::string& body, const std::string& app_secret) {
  return "sha256=" + crypto::toHex(crypto::hmacSha256(app_secret, body));
}

}  // namespace bb::test::wa
