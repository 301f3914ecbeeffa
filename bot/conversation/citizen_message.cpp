#include "bot/conversation/citizen_message.hpp"

#include "bot/conversation/codec.hpp"

namespace bb {

flows::Lang languageOf(const CitizenRecord& citizen) {
  return flows::langFromString(citizen.lang).value_or(flows::Lang::De);
}

CitizenMessage::CitizenMessage(const CitizenRecord& to, const char* kind,
                               std::int64_t ticket_number)
    : to_(to), kind_(kind), ticket_number_(ticket_number) {}

CitizenMessage CitizenMessage::reply(const CitizenRecord& to) { return {to, "reply", 0}; }

CitizenMessage CitizenMessage::ticketNews(const CitizenRecord& to, std::int64_t number) {
  return {to, "status", number};
}

CitizenMessage CitizenMessage::staffReply(const CitizenRecord& to, std::int64_t number) {
  CitizenMessage m{to, "staff", number};
  m.about(NoticeKind::StaffMessage, {std::to_string(number)});
  return m;
}

CitizenMessage CitizenMessage::notice(const CitizenRecord& to) { return {to, "notice", 0}; }

CitizenMessage CitizenMessage::broadcast(const CitizenRecord& to) { return {to, "broadcast", 0}; }

CitizenMessage& CitizenMessage::text(std::string text) {
  message_.text = std::move(text);
  return *this;
}

CitizenMessage& CitizenMessage::choices(std::vector<Choice> choices) {
  message_.choices = std::move(choices);
  return *this;
}

CitizenMessage& CitizenMessage::choices(const std::vector<flows::Choice>& choices) {
  message_.choices.clear();
  message_.choices.reserve(choices.size());
  for (const auto& c : choices) { message_.choices.push_back(Choice{c.id, c.label}); }
  return *this;
}

CitizenMessage& CitizenMessage::requestLocation(bool request) {
  message_.request_location = request;
  return *this;
}

CitizenMessage& CitizenMessage::followUrl(std::string url) {
  message_.follow_url = std::move(url);
  return *this;
}

CitizenMessage& CitizenMessage::templateMessage(std::string name,
                                                std::vector<std::string> params) {
  message_.template_name = std::move(name);
  message_.template_params = std::move(params);
  return *this;
}

CitizenMessage& CitizenMessage::about(NoticeKind kind, std::vector<std::string> params) {
  message_.notice_kind = toString(kind);
  message_.notice_params = std::move(params);
  return *this;
}

CitizenMessage& CitizenMessage::aboutTicket(std::int64_t number) {
  ticket_number_ = number;
  return *this;
}

NewOutbound CitizenMessage::build() const {
  NewOutbound o;
  o.channel = to_.channel;
  o.pseudonym = to_.pseudonym;
  o.address_ct = to_.address_ct;
  o.key_id = to_.key_id;
  o.payload = encodeOutbound(message_);
  o.kind = kind_;
  o.ticket_number = ticket_number_;
  return o;
}

}  // namespace bb
