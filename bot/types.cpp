#include "bot/types.hpp"

namespace bb {

const char* toString(Channel channel) {
  switch (channel) {
    case Channel::WhatsApp: return "whatsapp";
    case Channel::Telegram: return "telegram";
    case Channel::Matrix: return "matrix";
    case Channel::WebChat: return "webchat";
  }
  return "webchat";
}

std::optional<Channel> channelFromString(const std::string& name) {
  if (name == "whatsapp") { return Channel::WhatsApp; }
  if (name == "telegram") { return Channel::Telegram; }
  if (name == "matrix") { return Channel::Matrix; }
  if (name == "webchat") { return Channel::WebChat; }
  return std::nullopt;
}

const char* toString(InboundKind kind) {
  switch (kind) {
    case InboundKind::Text: return "text";
    case InboundKind::Choice: return "choice";
    case InboundKind::Location: return "location";
    case InboundKind::Image: return "image";
    case InboundKind::Unsupported: return "unsupported";
    case InboundKind::DeliveryStatus: return "delivery_status";
    case InboundKind::Invite: return "invite";
    case InboundKind::Unreachable: return "unreachable";
    case InboundKind::MediaRejected: return "media_rejected";
  }
  return "unsupported";
}

}  // namespace bb
