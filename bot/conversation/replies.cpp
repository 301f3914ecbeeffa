#include "bot/conversation/replies.hpp"

#include <cstdio>

#include "bot/text/local_time.hpp"
#include "flows/conversation.hpp"

namespace bb {
namespace {

std::string day(std::optional<SysTime> t) { return t ? localDate(*t) : "-"; }

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }

//! The citizen's own coordinates, as they were sent (about a metre).
std::string place(const TicketRecord& t) {
  if (!t.lat || !t.lon) { return "-"; }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5f, %.5f", *t.lat, *t.lon);
  return buf;
}

}  // namespace

std::string Replies::statusLabel(flows::Lang lang, const std::string& status) const {
  return flows_.texts.render(lang, "status." + status);
}

std::string Replies::categoryLabel(flows::Lang lang, const std::string& category_id) const {
  if (const auto* c = flows_.category(category_id)) {
    auto it = c->label.find(lang);
    if (it != c->label.end()) { return it->second; }
    it = c->label.find(flows::Lang::De);
    if (it != c->label.end()) { return it->second; }
  }
  const std::string key = "category." + category_id;
  return flows_.texts.has(lang, key) ? flows_.texts.render(lang, key) : category_id;
}

std::vector<flows::Choice> Replies::mainMenu(flows::Lang lang) const {
  return flows::mainMenuChoices(lang, flows_.texts);
}

std::string Replies::ticketCreated(flows::Lang lang, std::int64_t number) const {
  return flows_.texts.render(lang, "ticket.created", {{"number", std::to_string(number)}});
}

std::string Replies::letterSent(flows::Lang lang, std::int64_t number) const {
  return flows_.texts.render(lang, "letter.sent", {{"number", std::to_string(number)}});
}

std::string Replies::ticketFollowed(flows::Lang lang, std::int64_t number) const {
  return flows_.texts.render(lang, "ticket.followed", {{"number", std::to_string(number)}});
}

std::string Replies::ticketStatus(flows::Lang lang, std::int64_t number,
                                  const TicketRecord* ticket) const {
  if (ticket == nullptr) {
    return flows_.texts.render(lang, "status.unknown_ticket", {{"number", std::to_string(number)}});
  }
  return flows_.texts.render(lang, "status.reply",
                             {{"number", std::to_string(number)},
                              {"status", statusLabel(lang, ticket->status)},
                              {"category", categoryLabel(lang, ticket->category_id)}});
}

std::string Replies::myTickets(flows::Lang lang, const std::vector<TicketRecord>& tickets) const {
  if (tickets.empty()) { return flows_.texts.render(lang, "my_tickets.none"); }
  std::string text = flows_.texts.render(lang, "my_tickets.header");
  for (const auto& t : tickets) {
    text += "\n" + flows_.texts.render(lang, "my_tickets.item",
                                       {{"number", std::to_string(t.number)},
                                        {"category", categoryLabel(lang, t.category_id)},
                                        {"status", statusLabel(lang, t.status)}});
  }
  return text + "\n\n" + flows_.texts.render(lang, "my_tickets.actions");
}

std::vector<flows::Choice> Replies::myTicketChoices(flows::Lang lang, const std::string& pseudonym,
                                                    const std::vector<TicketRecord>& tickets) const {
  constexpr std::size_t kRows = 9;  // plus "Menü": a WhatsApp list holds 10 rows
  std::vector<flows::Choice> choices;
  for (const auto& t : tickets) {
    const bool own = !pseudonym.empty() && t.reporter == pseudonym;
    if (choices.size() + (own ? 2 : 1) > kRows) { break; }
    const std::string number = std::to_string(t.number);
    choices.push_back({flows::choice::kStatusPrefix + number,
                       flows_.texts.render(lang, "my_tickets.status_choice", {{"number", number}})});
    if (own) {
      choices.push_back({flows::choice::kWritePrefix + number,
                         flows_.texts.render(lang, "my_tickets.write_choice", {{"number", number}})});
    }
  }
  choices.push_back({flows::choice::kMenu, flows_.texts.render(lang, "choice.menu")});
  return choices;
}

std::string Replies::statusChanged(flows::Lang lang, std::int64_t number,
                                   const std::string& status, const std::string& note) const {
  return flows_.texts.render(lang, "ticket.status_changed",
                             {{"number", std::to_string(number)},
                              {"status", statusLabel(lang, status)},
                              {"note", note}});
}

std::string Replies::rateLimited(flows::Lang lang) const {
  return flows_.texts.render(lang, "abuse.rate_limited");
}

std::string Replies::nothingHeld(flows::Lang lang) const {
  return flows_.texts.render(lang, "notice.nothing_held");
}

std::string Replies::erased(flows::Lang lang) const {
  return flows_.texts.render(lang, "erase.done");
}

std::string Replies::dataExport(flows::Lang lang, const std::string& pseudonym,
                                const CitizenExport& data) const {
  const auto& texts = flows_.texts;
  std::string text = texts.render(lang, "export.header");
  if (data.citizen) {
    const CitizenRecord& c = *data.citizen;
    text += "\n" + texts.render(lang, "export.profile",
                                {{"channel", toString(c.channel)},
                                 {"lang", c.lang},
                                 {"consent", std::to_string(c.consent_version)},
                                 {"consent_at", day(c.consent_at)}});
    if (c.notifications_stopped_at) {
      text += "\n" + texts.render(lang, "export.notifications_stopped",
                                  {{"since", day(c.notifications_stopped_at)}});
    }
  }
  for (const auto& t : data.tickets) {
    // Followed tickets of others show only their public facts.
    const bool own = t.reporter == pseudonym;
    text += "\n" + texts.render(lang, "export.ticket",
                                {{"number", std::to_string(t.number)},
                                 {"category", categoryLabel(lang, t.category_id)},
                                 {"status", statusLabel(lang, t.status)},
                                 {"created", day(t.created_at)},
                                 {"description", own ? t.description : "-"}});
    if (own && t.kind != "letter") {
      text += "\n" + texts.render(lang, "export.ticket_details",
                                  {{"location", place(t)},
                                   {"address", orDash(t.address_text)},
                                   {"extra", orDash(t.extra_answer)},
                                   {"photos", std::to_string(t.photo_media_ids.size())}});
    }
  }
  if (data.tickets.empty()) { text += "\n" + texts.render(lang, "export.no_tickets"); }
  for (const auto& m : data.messages) {
    text += "\n" + texts.render(lang, "export.message",
                                {{"number", std::to_string(m.number)},
                                 {"date", day(m.at)},
                                 {"text", m.body},
                                 {"photo", m.photo ? texts.render(lang, "export.message_photo")
                                                   : std::string()}});
  }
  if (data.participation) { text += "\n" + *data.participation; }
  text += data.subscriptions;
  if (!data.link.empty()) {
    text += "\n\n" + texts.render(lang, "export.link", {{"link", data.link}});
  }
  text += "\n" + texts.render(lang, "export.footer");
  return text;
}

}  // namespace bb
