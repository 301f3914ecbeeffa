#pragma once
// WhatsApp Business Cloud API (Meta Graph API): all of the channel's wire knowledge, as pure
// functions. No sockets and no storage: the HTTP server calls verify*/parseWebhook, the outbox
// worker sends what renderMessage/media*Call build and classifies the reply with
// classifySendReply. Nothing outside this folder needs a WhatsApp field name.
// Facts and sources: reference/channels.md §1 (copied notes in tests/fixtures/whatsapp).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/ports.hpp"
#include "bot/result.hpp"
#include "bot/channels/whatsapp_templates.hpp"
#include "bot/types.hpp"

namespace bb::webhooks::whatsapp {

//! Per-deployment settings (config section `whatsapp`). Secrets come from the environment.
struct Settings {
  std::string api_base;         //!< e.g. "https://graph.facebook.com/v23.0" (includes the version)
  std::string phone_number_id;  //!< the business number's Graph id (not the display number)
  std::string access_token;     //!< system-user token, sent as `Authorization: Bearer`
  std::string app_secret;       //!< key of the X-Hub-Signature-256 HMAC
  std::string verify_token;     //!< `hub.verify_token` of the GET handshake
  //! The approved templates, one per notice kind (config whatsapp.templates_file): what a
  //! message held outside the 24 h window is announced with.
  TemplateCatalogue templates;
  //! Without a catalogue template for the kind: this one, with the ticket number (older setups).
  std::string template_name = "buergerbox_update";
  std::string template_language = "de";  //!< its language code
  //! Label of the button that opens a list message (max 20 characters, see Meta's limits).
  std::string list_button_label = "Auswählen";
};

//! Largest JSON nesting accepted by parseWebhook (real payloads nest about 8 levels).
inline constexpr std::size_t kMaxJsonDepth = 64;
//! Meta's image size limit; also the download cap of mediaDownloadCall.
inline constexpr std::size_t kMaxImageBytes = 5 * 1024 * 1024;

//! GET verification handshake: returns the body to answer with 200 (the challenge) when
//! `mode == "subscribe"` and `token` equals `expected_token` (constant time); nullopt → 403.
//! An empty expected token never matches. The challenge is echoed only if it is 1..256
//! characters of [A-Za-z0-9._-] (Meta sends digits), so nothing else is ever reflected.
std::optional<std::string> verifyChallenge(std::string_view mode, std::string_view token,
                                           std::string_view challenge,
                                           std::string_view expected_token);

//! X-Hub-Signature-256 check on the RAW body: header must be "sha256=" + 64 hex digits of
//! HMAC-SHA256(app_secret, raw_body). Hex digits are accepted in either case (Meta sends lower
//! case; the digest bytes are compared, in constant time). Missing, short, long, non-hex, wrong
//! prefix or an empty app secret → false.
bool verifySignature(std::string_view raw_body, std::string_view header_value,
                     std::string_view app_secret);

//! The normalized content of one notification POST.
struct ParsedWebhook {
  std::vector<InboundEvent> events;      //!< messages and statuses, in payload order
  std::vector<std::string> error_codes;  //!< Graph codes of value-level and message-level
                                         //!< errors[] (for logging; never personal)
  std::size_t skipped = 0;  //!< items ignored because they lacked an id/sender (for logging)
};

//! Parses every entry[].changes[].value (field "messages"): messages[] and statuses[].
//! Malformed JSON, a non-object top level, a missing entry array or nesting deeper than
//! kMaxJsonDepth → ErrorCode::InvalidInput. Unknown fields are ignored; never throws.
//! Contact profile names are not read (data minimization). Status events carry no user/chat id.
Result<ParsedWebhook> parseWebhook(std::string_view raw_body);

//! Renders one outbound message into one or more POST {api_base}/{phone_number_id}/messages
//! calls, in sending order (empty when there is nothing to send):
//! - template_name set → a "template" message (settings.template_language, one body component
//!   with template_params as text parameters); the text is not sent;
//! - choices ≤3 with titles ≤20 characters → interactive reply buttons; otherwise an interactive
//!   list (rows ≤10 per message, titles ≤24, one section); more than 10 → further list messages;
//! - request_location → interactive "location_request_message" (after any choices message);
//! - else text. Text over a limit (4096 text, 1024 interactive body) is split into leading text
//!   messages at line/word boundaries, never inside a UTF-8 sequence.
//! Limits are counted in UTF-16 code units (never more than Meta's character count).
std::vector<HttpCall> renderMessage(const OutboundMessage& message, const std::string& to,
                                    const Settings& settings);

//! A template message announcing a held notice: name and language as approved, the body's
//! parameters in order, and the payload the quick-reply button sends back when tapped.
struct TemplateNotice {
  std::string name;
  std::string language = "de";
  std::vector<std::string> params;
  std::string button_payload;  //!< empty: the template has no quick-reply button
};
//! The payload of the "Nachricht anzeigen" button: the tap asks for the held messages.
inline constexpr const char* kShowHeldPayload = kShowHeldChoice;

//! One POST /messages of type "template" (body parameters; quick-reply payload at index 0).
HttpCall renderTemplateNotice(const TemplateNotice& notice, const std::string& to,
                              const Settings& settings);

//! Media step 1: GET {api_base}/{media_id}?phone_number_id=... with the bearer token.
HttpCall mediaInfoCall(const std::string& media_id, const Settings& settings);
//! Reads `url` from the media info reply. Non-200, non-JSON, no http(s) url → Upstream error.
Result<std::string> parseMediaUrl(const HttpReply& reply);
//! Media step 2: GET url with the bearer token, at most kMaxImageBytes.
HttpCall mediaDownloadCall(const std::string& url, const Settings& settings);

//! What the outbox does with the reply to a send call.
struct SendOutcome {
  enum class Kind {
    Sent,          //!< accepted; provider_message_id holds the wamid
    Retry,         //!< temporary (5xx, no answer, 1/2/131000/131016/131057): back off, retry
    RateLimited,   //!< 4/80007/130429/131056 (or HTTP 429): slow down, retry
    NeedTemplate,  //!< 131047: outside the 24 h window, send the template instead
    Permanent,     //!< anything else: failed, visible to staff
  } kind = Kind::Permanent;
  std::string provider_message_id;
  std::chrono::milliseconds retry_after{0};  //!< from Retry-After (seconds), 0 when absent
  std::string error_code;   //!< Graph error code, "http_<status>" or "transport"
  std::string error_title;  //!< Graph error message, shortened; never bodies or numbers
};

//! Classifies a send reply by Graph error code first, then by HTTP status.
SendOutcome classifySendReply(const HttpReply& reply);

}  // namespace bb::webhooks::whatsapp
