#pragma once
// Telegram Bot API: all of the channel's wire knowledge, as pure functions. No sockets and no
// storage: the webhook route and the poller call verifySecret/parseUpdate/parseUpdatesReply, the
// outbox sender sends what renderMessage builds and classifies the reply with classifyReply.
// Nothing outside this folder needs a Telegram field name.
// Facts and sources: reference/channels.md §2 (notes in tests/fixtures/telegram).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/ports.hpp"
#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb::webhooks::telegram {

//! Per-deployment settings (config section `telegram`). Secrets come from the environment.
struct Settings {
  std::string api_base = "https://api.telegram.org";  //!< without "/bot<token>"
  std::string bot_token;     //!< part of every URL: URLs are never logged
  std::string secret_token;  //!< X-Telegram-Bot-Api-Secret-Token (webhook mode)
  //! Label of the reply-keyboard button that shares the location.
  std::string location_button_label = "\xF0\x9F\x93\x8D Standort senden";
};

//! "bots can download files of up to 20MB" (getFile).
inline constexpr std::size_t kMaxFileBytes = 20 * 1024 * 1024;
//! callback_data is 1-64 bytes.
inline constexpr std::size_t kMaxCallbackData = 64;
//! sendMessage text is 1-4096 characters (counted here in UTF-16 code units, never more).
inline constexpr std::size_t kMaxTextUnits = 4096;
//! Inline buttons per keyboard row.
inline constexpr std::size_t kButtonsPerRow = 2;
//! Largest JSON nesting accepted (real updates nest about 6 levels).
inline constexpr std::size_t kMaxJsonDepth = 64;

//! The update types the bot asks for (setWebhook and getUpdates `allowed_updates`).
const std::vector<std::string>& allowedUpdates();

//! X-Telegram-Bot-Api-Secret-Token check, constant time (digests of both sides are compared, so
//! not even the length leaks). An empty expected secret never matches.
bool verifySecret(std::string_view header_value, std::string_view expected);

//! The normalized content of one Update.
struct ParsedUpdate {
  std::int64_t update_id = 0;
  std::vector<InboundEvent> events;  //!< zero or one; external_id "tg:<update_id>"
  //! Set for a callback_query: the id to answer with answerCallbackQuery (always, even when
  //! the data is unknown). Not personal; never stored.
  std::string callback_query_id;
  //! The update type when nothing was made of it ("channel_post", "poll", ...), for logs.
  std::string ignored;
};

//! Parses one Update object (webhook body). Malformed JSON, a non-object, no integer update_id or
//! nesting deeper than kMaxJsonDepth → ErrorCode::InvalidInput. Never throws.
//! - message / edited_message (an edit is treated as a new message with its own update_id):
//!   text → Text; photo → Image (largest PhotoSize, caption as text); document with an image/*
//!   mime type → Image (documents keep EXIF: the media pipeline cleans them); location (also of a
//!   venue) → Location with horizontal_accuracy; contact and anything else → Unsupported
//!   (no contact field is read or kept);
//! - callback_query → Choice with choice_id = data, or a Text "<n>" for a mapped id "#<n>"
//!   (see callbackData); no data → Unsupported; callback_query_id is always set;
//! - my_chat_member with new status "kicked" or "left" → Unreachable;
//! - updates from bots, non-private chats and other types → no event (`ignored` names them).
//! Names, usernames, phone numbers and language codes are never read.
Result<ParsedUpdate> parseUpdate(std::string_view raw_body);

//! The result of a getUpdates call.
struct UpdatesBatch {
  std::vector<ParsedUpdate> updates;
  std::int64_t next_offset = 0;  //!< highest update_id + 1; 0 when the batch is empty
  std::size_t skipped = 0;       //!< array items that were not Update objects
};
//! Parses a getUpdates reply ({"ok":true,"result":[Update...]}). Non-200 or ok:false →
//! ErrorCode::Upstream; unparsable → InvalidInput.
Result<UpdatesBatch> parseUpdatesReply(const HttpReply& reply);

//! The callback_data a choice gets: its id when it fits 1..64 bytes, otherwise "#<n>" with n the
//! 1-based position in the message (parseUpdate turns it into the typed number "<n>", which the
//! engine maps to the n-th choice offered). Never dropped.
std::string callbackData(const Choice& choice, std::size_t position);

//! Renders one outbound message into sendMessage calls, in sending order:
//! - choices → inline keyboard (rows of kButtonsPerRow, callback_data per callbackData);
//! - request_location → a reply keyboard with one request_location button (one_time_keyboard,
//!   resize_keyboard); with choices too, it follows the choices message as a second "📍" message;
//! - text over kMaxTextUnits is split into leading plain messages at line/word boundaries;
//! - follow_url, when set, is appended to the text.
//! chat_id is sent as a JSON integer when it is one. Empty when there is nothing to send.
std::vector<HttpCall> renderMessage(const OutboundMessage& message, const std::string& chat_id,
                                    const Settings& settings);

//! POST answerCallbackQuery {callback_query_id} (stops the client's spinner).
HttpCall answerCallbackCall(const std::string& callback_query_id, const Settings& settings);
//! POST getFile {file_id}.
HttpCall getFileCall(const std::string& file_id, const Settings& settings);
//! Reads result.file_path (and checks file_size ≤ kMaxFileBytes when given). Errors:
//! Upstream (non-200, ok:false, no path), TooLarge.
Result<std::string> parseFilePath(const HttpReply& reply);
//! GET {api_base}/file/bot<token>/<file_path>, at most kMaxFileBytes.
HttpCall fileDownloadCall(const std::string& file_path, const Settings& settings);
//! POST getUpdates {offset, timeout, allowed_updates}; the call's own timeout is longer than the
//! long poll.
HttpCall getUpdatesCall(std::int64_t offset, int timeout_s, const Settings& settings);
//! POST setWebhook {url, secret_token, allowed_updates}.
HttpCall setWebhookCall(const std::string& url, const Settings& settings);
//! POST deleteWebhook {}.
HttpCall deleteWebhookCall(const Settings& settings);

//! What the outbox does with the reply to a Bot API call.
struct SendOutcome {
  enum class Kind {
    Sent,         //!< 200 ok:true; message_id set for sendMessage
    Retry,        //!< no answer, 5xx, 408, unparsable 200: back off, retry
    RateLimited,  //!< 429: wait parameters.retry_after seconds
    Unreachable,  //!< 403 (blocked, deactivated, kicked) or "chat not found": never retry
    Permanent,    //!< any other 4xx or ok:false
  } kind = Kind::Permanent;
  std::string message_id;
  std::chrono::milliseconds retry_after{0};
  std::string error_code;  //!< "http_<status>" or "transport"; never descriptions or bodies
};

SendOutcome classifyReply(const HttpReply& reply);

}  // namespace bb::webhooks::telegram
