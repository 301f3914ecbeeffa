// Telegram Update → normalized InboundEvents (channels.md §2.3). Reads only the fields the bot
// needs: ids, date, text/caption, the largest photo, an image document, location, callback data
// and chat-member status. Names, usernames, phone numbers and language codes are never read.

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "bot/security/json_limits.hpp"
#include "webhooks/json_member.hpp"
#include "webhooks/telegram/telegram.hpp"

namespace bb::webhooks::telegram {

namespace {

using json = nlohmann::json;

//! Unix seconds; telegram-test-api sends milliseconds, so large values are taken as such.
SysTime sentAt(const json& msg) {
  const auto date = int64Member(msg, "date");
  if (!date || *date <= 0) { return SysTime{}; }
  constexpr std::int64_t kMillisThreshold = 100000000000;  // year 5138 in seconds
  // The clock counts nanoseconds in 64 bits (until 2262): later is not a real time and would
  // overflow it, in seconds and in milliseconds alike (year 2255, as for WhatsApp).
  constexpr std::int64_t kMaxSeconds = 9'000'000'000;
  if (*date >= kMillisThreshold) {
    if (*date > kMaxSeconds * 1000) { return SysTime{}; }
    return SysTime{std::chrono::milliseconds(*date)};
  }
  if (*date > kMaxSeconds) { return SysTime{}; }
  return SysTime{std::chrono::seconds(*date)};
}

bool isBot(const json& from) { return isTrue(from, "is_bot"); }

//! The largest PhotoSize by width×height (the last one in captures; ties keep the later one).
const json* largestPhoto(const json& photos) {
  const json* best = nullptr;
  double best_area = -1;
  for (const json& p : photos) {
    if (stringMember(p, "file_id").empty()) { continue; }
    const double area =
        numberMember(p, "width").value_or(0) * numberMember(p, "height").value_or(0);
    if (area >= best_area) {
      best = &p;
      best_area = area;
    }
  }
  return best;
}

//! Fills the event from a Message object. False when the message is not for us.
bool fromMessage(const json& msg, InboundEvent& e, std::string& ignored) {
  const json* chat = objectMember(msg, "chat");
  const json* from = member(msg, "from");
  if (chat == nullptr) {
    ignored = "message_without_chat";
    return false;
  }
  const std::string chat_type = stringMember(*chat, "type");
  if (!chat_type.empty() && chat_type != "private") {
    ignored = "non_private_chat";  // groups and channels: the bot talks to citizens one to one
    return false;
  }
  const auto chat_id = int64Member(*chat, "id");
  if (!chat_id) {
    ignored = "message_without_chat";
    return false;
  }
  std::optional<std::int64_t> user_id;
  if (from != nullptr) {
    if (isBot(*from)) {
      ignored = "from_bot";
      return false;
    }
    user_id = int64Member(*from, "id");
  }
  e.chat_id = std::to_string(*chat_id);
  e.user_id = std::to_string(user_id.value_or(*chat_id));  // private chat id = user id
  e.sent_at = sentAt(msg);
  // A reply to one of our messages names it: the engine finds that message's ticket.
  if (const json* quoted = objectMember(msg, "reply_to_message")) {
    if (const auto id = int64Member(*quoted, "message_id")) { e.reply_to = std::to_string(*id); }
  }

  if (const json* photos = arrayMember(msg, "photo")) {
    if (const json* best = largestPhoto(*photos)) {
      e.kind = InboundKind::Image;
      e.media = MediaRef{stringMember(*best, "file_id"), "image/jpeg", ""};
      e.text = stringMember(msg, "caption");
      return true;
    }
  }
  if (const json* doc = objectMember(msg, "document")) {
    const std::string mime = stringMember(*doc, "mime_type");
    const std::string file_id = stringMember(*doc, "file_id");
    if (mime.rfind("image/", 0) == 0 && !file_id.empty()) {
      // Sent "as file": the original bytes with EXIF/GPS. The media pipeline cleans them.
      e.kind = InboundKind::Image;
      e.media = MediaRef{file_id, mime, ""};
      e.text = stringMember(msg, "caption");
      return true;
    }
    e.kind = InboundKind::Unsupported;
    return true;
  }
  if (const json* loc = objectMember(msg, "location")) {
    const auto lat = numberMember(*loc, "latitude");
    const auto lon = numberMember(*loc, "longitude");
    if (lat && lon && *lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180) {
      e.kind = InboundKind::Location;
      e.location = GeoPoint{*lat, *lon};
      e.location_accuracy_m = numberMember(*loc, "horizontal_accuracy").value_or(0);
      return true;
    }
    e.kind = InboundKind::Unsupported;
    return true;
  }
  if (const json* text = member(msg, "text"); text != nullptr && text->is_string()) {
    e.kind = InboundKind::Text;
    e.text = text->get<std::string>();
    return true;
  }
  // contact, sticker, voice, video, poll, ...: a polite answer; nothing of it is kept.
  e.kind = InboundKind::Unsupported;
  return true;
}

bool fromCallback(const json& cb, InboundEvent& e, std::string& ignored) {
  const json* from = member(cb, "from");
  if (from == nullptr || isBot(*from)) {
    ignored = "callback_without_user";
    return false;
  }
  const auto user_id = int64Member(*from, "id");
  if (!user_id) {
    ignored = "callback_without_user";
    return false;
  }
  std::optional<std::int64_t> chat_id;
  if (const json* msg = member(cb, "message")) {
    if (const json* chat = member(*msg, "chat")) {
      const std::string chat_type = stringMember(*chat, "type");
      if (!chat_type.empty() && chat_type != "private") {
        ignored = "non_private_chat";
        return false;
      }
      chat_id = int64Member(*chat, "id");
    }
  }
  e.user_id = std::to_string(*user_id);
  e.chat_id = std::to_string(chat_id.value_or(*user_id));
  if (const json* msg = member(cb, "message")) { e.sent_at = sentAt(*msg); }
  const std::string data = stringMember(cb, "data");
  if (data.empty()) {
    e.kind = InboundKind::Unsupported;  // a game button or an inline-mode message
    return true;
  }
  // "#<n>": a choice whose id was longer than 64 bytes; it stays a choice ("#<n>"), which the
  // engine maps to the n-th choice offered (a typed number is text on Telegram).
  e.kind = InboundKind::Choice;
  e.choice_id = data;
  return true;
}

bool fromChatMember(const json& update, InboundEvent& e, std::string& ignored) {
  const json* chat = member(update, "chat");
  const json* from = member(update, "from");
  const json* next = member(update, "new_chat_member");
  if (chat == nullptr || from == nullptr || next == nullptr) {
    ignored = "my_chat_member";
    return false;
  }
  const std::string chat_type = stringMember(*chat, "type");
  const std::string status = stringMember(*next, "status");
  const auto chat_id = int64Member(*chat, "id");
  const auto user_id = int64Member(*from, "id");
  if ((!chat_type.empty() && chat_type != "private") || !chat_id || !user_id ||
      (status != "kicked" && status != "left")) {
    ignored = "my_chat_member";  // unblocked ("member") needs nothing: the next message counts
    return false;
  }
  e.kind = InboundKind::Unreachable;
  e.chat_id = std::to_string(*chat_id);
  e.user_id = std::to_string(*user_id);
  e.sent_at = sentAt(update);
  return true;
}

ParsedUpdate parseObject(const json& root, std::int64_t update_id) {
  ParsedUpdate out;
  out.update_id = update_id;
  InboundEvent e;
  e.channel = Channel::Telegram;
  e.external_id = "tg:" + std::to_string(update_id);
  bool ok = false;
  if (const json* msg = objectMember(root, "message")) {
    ok = fromMessage(*msg, e, out.ignored);
  } else if (const json* edited = objectMember(root, "edited_message")) {
    // An edit arrives as its own update: handled like a new message, so it never breaks the
    // conversation (a corrected text simply answers the current question).
    ok = fromMessage(*edited, e, out.ignored);
  } else if (const json* cb = objectMember(root, "callback_query")) {
    out.callback_query_id = stringMember(*cb, "id");
    ok = fromCallback(*cb, e, out.ignored);
  } else if (const json* member_update = objectMember(root, "my_chat_member")) {
    ok = fromChatMember(*member_update, e, out.ignored);
  } else {
    out.ignored = "other";
    for (const auto& [key, value] : root.items()) {
      if (key != "update_id") {
        out.ignored = key.size() <= 32 ? key : "other";
        break;
      }
    }
  }
  if (ok) { out.events.push_back(std::move(e)); }
  return out;
}

}  // namespace

const std::vector<std::string>& allowedUpdates() {
  static const std::vector<std::string> kTypes = {"message", "edited_message", "callback_query",
                                                  "my_chat_member"};
  return kTypes;
}

Result<ParsedUpdate> parseUpdate(std::string_view raw_body) {
  if (!jsonDepthWithin(raw_body, kMaxJsonDepth)) {
    return fail(ErrorCode::InvalidInput, "telegram update: json nested too deeply");
  }
  try {
    const json root = json::parse(raw_body, nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
      return fail(ErrorCode::InvalidInput, "telegram update: not a json object");
    }
    const auto update_id = int64Member(root, "update_id");
    if (!update_id || *update_id < 0) {
      return fail(ErrorCode::InvalidInput, "telegram update: no update_id");
    }
    return parseObject(root, *update_id);
  } catch (const std::exception&) {
    return fail(ErrorCode::InvalidInput, "telegram update: unreadable");
  }
}

Result<UpdatesBatch> parseUpdatesReply(const HttpReply& reply) {
  if (reply.status != 200) {
    return fail(ErrorCode::Upstream, reply.status == 0 ? "transport"
                                                       : "http_" + std::to_string(reply.status));
  }
  if (!jsonDepthWithin(reply.body, kMaxJsonDepth + 2)) {
    return fail(ErrorCode::InvalidInput, "getUpdates: json nested too deeply");
  }
  try {
    const json root = json::parse(reply.body, nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
      return fail(ErrorCode::InvalidInput, "getUpdates: not a json object");
    }
    const json* result = arrayMember(root, "result");
    if (!isTrue(root, "ok") || result == nullptr) {
      return fail(ErrorCode::Upstream, "getUpdates: not ok");
    }
    UpdatesBatch batch;
    for (const json& item : *result) {
      const auto update_id = item.is_object() ? int64Member(item, "update_id") : std::nullopt;
      if (!update_id || *update_id < 0) {
        ++batch.skipped;
        continue;
      }
      batch.updates.push_back(parseObject(item, *update_id));
      batch.next_offset = std::max(batch.next_offset, *update_id + 1);
    }
    return batch;
  } catch (const std::exception&) {
    return fail(ErrorCode::InvalidInput, "getUpdates: unreadable");
  }
}

}  // namespace bb::webhooks::telegram
