#pragma once
// Small HTML building blocks shared by the inbox pages. Every value that may come from a citizen
// or a staff member goes through escapeHtml (web/html.hpp) before it reaches a page.

#include <map>
#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/types.hpp"

namespace bb::web::views {

std::string formatTime(SysTime t);  //!< "dd.mm.yyyy HH:MM" (Berlin local time)
std::string channelLabel(Channel c);
std::string roleLabel(const std::string& role);
std::string deliveryLabel(const std::string& outbox_status);
//! A delivery's recorded error in words staff understand, the codes kept in brackets
//! ("outside_window notice:132001" → "… Vorlage fehlt in dieser Sprache … (132001)").
std::string deliveryReasonLabel(const std::string& reason);
//! What an audit entry's action means, as a short German phrase ("Status geändert"); an action
//! without a phrase is shown as its code.
std::string auditActionLabel(const std::string& action);
//! The action cell of an audit table: the phrase, with the code kept in `data-action`.
std::string auditAction(const std::string& action);
//! "1 Arbeitstag", "3 Arbeitstage".
std::string workingDaysLabel(int days);
//! `<option>` list; `selected` marks one value.
std::string options(const std::vector<std::pair<std::string, std::string>>& values,
                    const std::string& selected);
std::string hidden(const std::string& name, const std::string& value);
std::string trim(const std::string& s);
//! The first value of `name` in a parsed form, or "".
std::string formValue(const std::multimap<std::string, std::string>& form, const std::string& name);
std::vector<std::string> formValues(const std::multimap<std::string, std::string>& form,
                                    const std::string& name);
//! A ticket status as a coloured badge.
std::string statusBadge(const std::string& id, const std::string& label);
//! The German label of a ticket status.
std::string statusLabel(const FlowData& flows, const std::string& status);
//! The German label of a category (its id when unknown).
std::string categoryLabel(const FlowData& flows, const std::string& id);
//! A default citizen note per status, which staff edit before sending.
std::string cannedNote(const std::string& status);

}  // namespace bb::web::views
