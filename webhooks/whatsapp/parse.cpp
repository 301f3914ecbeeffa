// Inbound notification POST → normalized InboundEvents. Field names per Meta's messages webhook
// reference (channels.md §1.3, §1.4). Never throws: parse errors become Results, missing or
// mistyped fields are skipped.

#include <charconv>
#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "bot/security/json_limits.hpp"
#include "webhooks/json_member.hpp"
#include "webhooks/whatsapp/text_limits.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::webhooks::whatsapp {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxErrorTitleUnits = 200;

//! Graph codes are integers; accept a numeric string too.
std::string codeMember(const json& obj, const char* key) {
  const json* m = member(obj, key);
  if (m == nullptr) { return {}; }
  if (m->is_number_unsigned()) { return std::to_string(m->get<std::uint64_t>()); }
  if (m->is_number_integer()) { return std::to_string(m->get<std::int64_t>()); }
  if (m->is_string()) { return m->get<std::string>(); }
  return {};
}

//! Unix seconds as a string (Meta) or a number; anything else → the epoch (unknown). Bounded so
//! that the nanosecond time_point cannot overflow (year 2255).
SysTime timestampMember(const json& obj) {
  constexpr std::int64_t kMaxSeconds = 9'000'000'000;
  const json* m = member(obj, "timestamp");
  std::int64_t seconds = 0;
  if (m != nullptr && m->is_string()) {
    const std::string& s = m->get_ref<const std::string&>();
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || ptr != s.data() + s.size()) { seconds = 0; }
  } else if (m != nullptr && m->is_number_integer()) {
    seconds = m->get<std::int64_t>();
  }
  if (seconds < 0 || seconds > kMaxSeconds) { seconds = 0; }
  return SysTime{std::chrono::seconds{seconds}};
}

void collectErrorCodes(const json& holder, std::vector<std::string>& codes) {
  const json* errors = arrayMember(holder, "errors");
  if (errors == nullptr) { return; }
  for (const json& error : *errors) {
    std::string code = codeMember(error, "code");
    if (!code.empty()) { codes.push_back(std::move(code)); }
  }
}

//! Fills kind/text/choice/location/media from the type-specific object.
void readContent(const json& message, InboundEvent& event) {
  const std::string type = stringMember(message, "type");
  event.kind = InboundKind::Unsupported;
  if (type == "text") {
    if (const json* text = objectMember(message, "text")) {
      event.kind = InboundKind::Text;
      event.text = stringMember(*text, "body");
    }
  } else if (type == "image") {
    const json* image = objectMember(message, "image");
    if (image != nullptr && !stringMember(*image, "id").empty()) {
      event.kind = InboundKind::Image;
      event.media = MediaRef{stringMember(*image, "id"), stringMember(*image, "mime_type"),
                             stringMember(*image, "sha256")};
      event.text = stringMember(*image, "caption");
    }
  } else if (type == "document") {
    // Sent as a file: the original bytes (an iPhone's HEIC, EXIF and GPS included). An image
    // goes through the media pipeline like a photo; other documents stay unsupported.
    const json* doc = objectMember(message, "document");
    const std::string mime = doc != nullptr ? stringMember(*doc, "mime_type") : "";
    if (doc != nullptr && mime.rfind("image/", 0) == 0 && !stringMember(*doc, "id").empty()) {
      event.kind = InboundKind::Image;
      event.media = MediaRef{stringMember(*doc, "id"), mime, stringMember(*doc, "sha256")};
      event.text = stringMember(*doc, "caption");
    }
  } else if (type == "location") {
    const json* location = objectMember(message, "location");
    const auto lat = location != nullptr ? numberMember(*location, "latitude") : std::nullopt;
    const auto lon = location != nullptr ? numberMember(*location, "longitude") : std::nullopt;
    if (lat && lon && std::fabs(*lat) <= 90.0 && std::fabs(*lon) <= 180.0) {
      event.kind = InboundKind::Location;
      event.location = GeoPoint{*lat, *lon};
    }
  } else if (type == "interactive") {
    const json* interactive = objectMember(message, "interactive");
    const std::string itype = interactive != nullptr ? stringMember(*interactive, "type") : "";
    const json* reply = nullptr;
    if (itype == "button_reply" || itype == "list_reply") {
      reply = objectMember(*interactive, itype.c_str());
    }
    if (reply != nullptr && !stringMember(*reply, "id").empty()) {
      event.kind = InboundKind::Choice;
      event.choice_id = stringMember(*reply, "id");
      event.text = stringMember(*reply, "title");
    }
  } else if (type == "button") {  // quick reply on a template (not `interactive`)
    if (const json* button = objectMember(message, "button")) {
      std::string payload = stringMember(*button, "payload");
      event.text = stringMember(*button, "text");
      event.choice_id = payload.empty() ? event.text : std::move(payload);
      if (!event.choice_id.empty()) {
        event.kind = InboundKind::Choice;
      } else {
        event.text.clear();
      }
    }
  }
}

void readMessages(const json& value, ParsedWebhook& out) {
  const json* messages = arrayMember(value, "messages");
  if (messages == nullptr) { return; }
  for (const json& message : *messages) {
    InboundEvent event;
    event.channel = Channel::WhatsApp;
    event.external_id = stringMember(message, "id");
    event.user_id = stringMember(message, "from");
    if (event.external_id.empty() || event.user_id.empty()) {
      ++out.skipped;
      continue;
    }
    event.chat_id = event.user_id;
    event.sent_at = timestampMember(message);
    // A reply to one of our messages names it (context.id): the engine finds its ticket.
    if (const json* context = objectMember(message, "context")) {
      event.reply_to = stringMember(*context, "id");
    }
    readContent(message, event);
    collectErrorCodes(message, out.error_codes);
    out.events.push_back(std::move(event));
  }
}

void readStatuses(const json& value, ParsedWebhook& out) {
  const json* statuses = arrayMember(value, "statuses");
  if (statuses == nullptr) { return; }
  for (const json& status : *statuses) {
    DeliveryStatus delivery;
    delivery.provider_message_id = stringMember(status, "id");
    delivery.status = stringMember(status, "status");
    if (delivery.provider_message_id.empty() || delivery.status.empty()) {
      ++out.skipped;
      continue;
    }
    const json* errors = arrayMember(status, "errors");
    if (errors != nullptr && !errors->empty()) {
      delivery.error_code = codeMember(errors->front(), "code");
      delivery.error_title = text::shorten(stringMember(errors->front(), "title"),
                                           kMaxErrorTitleUnits);
    }
    InboundEvent event;
    event.channel = Channel::WhatsApp;
    event.external_id = delivery.provider_message_id + ":" + delivery.status;
    event.sent_at = timestampMember(status);
    event.kind = InboundKind::DeliveryStatus;
    event.delivery = std::move(delivery);
    out.events.push_back(std::move(event));
  }
}

}  // namespace

Result<ParsedWebhook> parseWebhook(std::string_view raw_body) {
  if (!jsonDepthWithin(raw_body, kMaxJsonDepth)) {
    return fail(ErrorCode::InvalidInput, "whatsapp webhook: json nested too deeply");
  }
  try {
    const json root = json::parse(raw_body, nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
      return fail(ErrorCode::InvalidInput, "whatsapp webhook: not a json object");
    }
    const json* object = member(root, "object");
    if (object != nullptr &&
        (!object->is_string() || object->get<std::string>() != "whatsapp_business_account")) {
      return ParsedWebhook{};  // another Graph product's notification: nothing for us
    }
    const json* entries = arrayMember(root, "entry");
    if (entries == nullptr) {
      return fail(ErrorCode::InvalidInput, "whatsapp webhook: no entry array");
    }
    ParsedWebhook out;
    for (const json& entry : *entries) {
      const json* changes = arrayMember(entry, "changes");
      if (changes == nullptr) { continue; }
      for (const json& change : *changes) {
        const json* field = member(change, "field");
        if (field != nullptr && (!field->is_string() ||
                                 field->get_ref<const std::string&>() != "messages")) {
          continue;  // account_update, message_template_status_update, ...
        }
        const json* value = objectMember(change, "value");
        if (value == nullptr) { continue; }
        collectErrorCodes(*value, out.error_codes);
        readMessages(*value, out);
        readStatuses(*value, out);
      }
    }
    return out;
  } catch (const std::exception&) {  // e.g. bad_alloc; nlohmann itself does not throw here
    return fail(ErrorCode::Internal, "whatsapp webhook: parse failed");
  }
}

}  // namespace bb::webhooks::whatsapp
