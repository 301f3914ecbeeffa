#pragma once
// JSON forms of what the engine stores: inbound payloads, outbound messages, conversations.

#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"
#include "flows/flow_types.hpp"

namespace bb {

//! An inbound event as stored until processed: the event without the sender's id (that is the
//! pseudonym column) and with the reply address sealed.
struct StoredInbound {
  InboundEvent event;  //!< user_id and chat_id are empty after decoding
  std::string address_ct;
  std::string key_id;
};

std::string encodeStoredInbound(const InboundEvent& event, const std::string& address_ct,
                                const std::string& key_id);
Result<StoredInbound> decodeStoredInbound(const std::string& payload);

std::string encodeOutbound(const OutboundMessage& message);
Result<OutboundMessage> decodeOutbound(const std::string& payload);

//! What the engine keeps per conversation beside the flow's own state.
struct SavedConversation {
  flows::Conversation flow;
  std::vector<flows::Choice> last_choices;  //!< for "reply with the number" channels
};

std::string encodeConversation(const SavedConversation& conversation);
Result<SavedConversation> decodeConversation(const std::string& state, const std::string& data);
//! A conversation left mid-flow, without its draft (retention): language, consent and last
//! activity stay; it goes on at the main menu, or at the notice without consent (never past it).
SavedConversation withoutDraft(const std::string& state, const std::string& data);

}  // namespace bb
