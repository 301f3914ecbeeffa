#pragma once
// Channel-independent domain types. After an adapter's parse(), nothing sees a channel's own fields.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb {

using SysTime = std::chrono::system_clock::time_point;

enum class Channel { WhatsApp, Telegram, Matrix, WebChat };

const char* toString(Channel channel);
std::optional<Channel> channelFromString(const std::string& name);

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};

//! What an inbound event is about.
enum class InboundKind {
  Text,          //!< free text (also a typed address)
  Choice,        //!< a button/list/callback answer: `choice_id` holds the id we sent
  Location,      //!< a native location share
  Image,         //!< a photo; `media` says where to fetch it
  Unsupported,   //!< audio, video, sticker, contact... answered politely
  DeliveryStatus,//!< a receipt for one of our outbound messages (not a conversation event)
  Invite,        //!< Matrix: the bot was invited into a room
  Unreachable,   //!< the citizen blocked the bot / left (Telegram my_chat_member, Matrix leave)
  MediaRejected, //!< internal: the media pipeline could not clean `media.ref` (a media row id)
};

const char* toString(InboundKind kind);

//! Where to fetch an inbound image from (channel-specific reference, resolved by the adapter).
struct MediaRef {
  std::string ref;        //!< WhatsApp media id, Telegram file_id, Matrix mxc:// URL, web chat media id
  std::string mime_type;  //!< as declared by the sender (verified again by the media pipeline)
  std::string sha256;     //!< WhatsApp gives one; empty elsewhere
};

//! Delivery receipt for an outbound message (WhatsApp statuses[], ...).
struct DeliveryStatus {
  std::string provider_message_id;  //!< the id the channel gave our message (wamid...)
  std::string status;               //!< sent | delivered | read | failed
  std::string error_code;           //!< first error code when failed
  std::string error_title;          //!< short, non-personal reason text
};

//! One normalized inbound event. `user_id` and `chat_id` are personal data: they are
//! pseudonymized/encrypted by ingest and never logged.
struct InboundEvent {
  Channel channel = Channel::WebChat;
  std::string external_id;  //!< dedup key per channel: wamid, update_id, event_id, web message id
  std::string user_id;      //!< the sender as the channel knows them (wa_id, Telegram user id, mxid)
  std::string chat_id;      //!< where to reply (phone number, Telegram chat id, Matrix room id)
  SysTime sent_at{};
  InboundKind kind = InboundKind::Text;
  std::string text;         //!< Text; caption for Image
  std::string choice_id;    //!< Choice
  std::optional<GeoPoint> location;
  double location_accuracy_m = 0;  //!< 0 when unknown
  std::optional<MediaRef> media;
  std::optional<DeliveryStatus> delivery;
  //! Text or Image sent with the channel's own reply to one of our messages: that message's
  //! id (WhatsApp context.id, Telegram reply_to_message, Matrix m.in_reply_to). Empty: none.
  //! Ingest keeps only its keyed hash, like every channel-native id.
  std::string reply_to;
};

//! One choice the bot offers. Channels render them (buttons, lists, numbered options).
struct Choice {
  std::string id;
  std::string label;
};

//! A message the bot (or staff) sends to a citizen: channel-independent; adapters render it.
struct OutboundMessage {
  std::string text;
  std::vector<Choice> choices;
  bool request_location = false;  //!< ask for a native location share where the channel can
  //! WhatsApp outside the 24 h window: the approved template and its parameters.
  std::string template_name;
  std::vector<std::string> template_params;
  //! A "follow my report" link for channels that show it (web chat); empty elsewhere.
  std::string follow_url;
  //! What the message is about, for a channel that must announce it with an approved template
  //! when it cannot send the text itself (WhatsApp after 24 h): the notice kind ("ticket_status",
  //! see NoticeKind) and its parameters in the catalogue's order. Empty: a plain chat reply.
  std::string notice_kind;
  std::vector<std::string> notice_params;
};

//! The choice a hold notice's button sends back (WhatsApp template quick reply "Nachricht
//! anzeigen"): the citizen asks for the messages held for them.
inline constexpr const char* kShowHeldChoice = "show_held";

}  // namespace bb
