#include "bot/cases/ticket_status.hpp"

#include <algorithm>

namespace bb {

const std::vector<TicketStatus>& ticketStatuses() {
  // clang-format off
  static const std::vector<TicketStatus> kStatuses = {
    // id                  closed  allowed next statuses
    {"eingegangen",        false, {"in_pruefung", "in_bearbeitung", "eingeplant", "erledigt", "nicht_zustaendig", "duplikat", "geschlossen"}},
    {"in_pruefung",        false, {"in_bearbeitung", "eingeplant", "erledigt", "nicht_zustaendig", "duplikat", "geschlossen"}},
    {"in_bearbeitung",     false, {"in_pruefung", "eingeplant", "erledigt", "geschlossen"}},
    {"eingeplant",         false, {"in_bearbeitung", "erledigt", "geschlossen"}},
    {"erledigt",           true,  {"in_bearbeitung", "geschlossen"}},
    {"nicht_zustaendig",   true,  {"in_pruefung", "geschlossen"}},
    {"duplikat",           true,  {"in_pruefung", "geschlossen"}},
    {"geschlossen",        true,  {"in_pruefung"}},
  };
  // clang-format on
  return kStatuses;
}

const TicketStatus* findTicketStatus(const std::string& id) {
  for (const auto& s : ticketStatuses()) {
    if (id == s.id) { return &s; }
  }
  return nullptr;
}

bool transitionAllowed(const std::string& from, const std::string& to) {
  const TicketStatus* s = findTicketStatus(from);
  return s != nullptr && findTicketStatus(to) != nullptr &&
         std::find(s->next.begin(), s->next.end(), to) != s->next.end();
}

}  // namespace bb
