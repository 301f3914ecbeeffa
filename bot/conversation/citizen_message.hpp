#pragma once
// A message to one citizen. This is the one place that knows how an outbox row addresses a
// citizen: their channel and pseudonym, the reply address sealed at ingest with the id of the
// key that sealed it, and the language they read. Chat replies, status news to followers, staff
// replies, reminders, broadcasts and participation notices are all built here.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/channels/whatsapp_templates.hpp"
#include "bot/conversation/store.hpp"
#include "bot/types.hpp"
#include "flows/flow_types.hpp"

namespace bb {

//! The language `citizen` reads (their stored choice; German when it is unknown).
flows::Lang languageOf(const CitizenRecord& citizen);

//! Used within one expression or while the citizen's record lives: it keeps a reference to it.
class CitizenMessage {
public:
  //! A chat reply (outbox kind "reply").
  static CitizenMessage reply(const CitizenRecord& to);
  //! News about ticket `number` the citizen reports or follows (kind "status").
  static CitizenMessage ticketNews(const CitizenRecord& to, std::int64_t number);
  //! A staff member's answer in the thread of ticket `number` (kind "staff"; notice staff_message).
  static CitizenMessage staffReply(const CitizenRecord& to, std::int64_t number);
  //! A notice the city sends of its own accord: reminders, participation news (kind "notice").
  static CitizenMessage notice(const CitizenRecord& to);
  //! A broadcast to a subscriber (kind "broadcast").
  static CitizenMessage broadcast(const CitizenRecord& to);

  //! The language the citizen reads, for rendering the text.
  flows::Lang lang() const { return languageOf(to_); }
  //! The channel the message goes out on (it decides the form some messages take).
  Channel channel() const { return to_.channel; }

  CitizenMessage& text(std::string text);
  CitizenMessage& choices(std::vector<Choice> choices);
  //! The flow's choices, as the channels render them (buttons, lists, numbered options).
  CitizenMessage& choices(const std::vector<flows::Choice>& choices);
  CitizenMessage& requestLocation(bool request);
  CitizenMessage& followUrl(std::string url);
  //! An approved template and its parameters (WhatsApp, where the bot may not write freely).
  CitizenMessage& templateMessage(std::string name, std::vector<std::string> params);
  //! What the message is about (kind and the catalogue's parameters, in order): the template a
  //! channel with a reply window announces it with when the window is closed.
  CitizenMessage& about(NoticeKind kind, std::vector<std::string> params);
  //! Links the message to the thread of ticket `number` (0: none).
  CitizenMessage& aboutTicket(std::int64_t number);

  //! The message as built so far (what a preview shows).
  const OutboundMessage& message() const { return message_; }
  //! The outbox row: the recipient's address and the serialized message.
  NewOutbound build() const;

private:
  CitizenMessage(const CitizenRecord& to, const char* kind, std::int64_t ticket_number);

  const CitizenRecord& to_;
  const char* kind_;
  std::int64_t ticket_number_;
  OutboundMessage message_;
};

}  // namespace bb
