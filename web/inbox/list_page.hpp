#pragma once
// The ticket list (GET /inbox): counts per status, the filter bar (a GET form that works without
// JavaScript), the tickets an agent's departments may see with their age in working days against
// the category's target, and keyset pagination.

#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/inbox_map.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class ListPage {
public:
  ListPage(StaffDesk& desk, InboxStore& store, const FlowData& flows, const Clock& clock,
           const std::vector<std::string>& departments, int page_size);

  HttpResponse show(const HttpRequest& req);  //!< GET /inbox
  //! Draws the filtered tickets on a map beside the list; null: no map.
  void setMap(const InboxMap* map) { map_ = map; }

private:
  struct Filter;
  Filter filterOf(const HttpRequest& req, const Principal& p) const;
  std::string statusTabs(const Filter& f,
                         const std::vector<std::pair<std::string, std::int64_t>>& counts) const;
  std::string filterForm(const Filter& f, const Principal& p,
                         const std::vector<StaffUser>& staff) const;
  std::string unreadFilter(const Filter& f, std::int64_t unread) const;
  std::string table(const std::vector<InboxTicket>& rows) const;
  std::string pager(const Filter& f, const TicketPage& page) const;
  std::string areaNotice(const Filter& f) const;
  std::string mapPanel(const Filter& f) const;

  StaffDesk& desk_;
  InboxStore& store_;
  const FlowData& flows_;
  const Clock& clock_;
  const std::vector<std::string>& departments_;
  int page_size_;
  const InboxMap* map_ = nullptr;
};

//! Mon–Fri days from `from` to `to` (Berlin calendar dates; the day of `from` not counted).
int workingDaysBetween(SysTime from, SysTime to);

}  // namespace bb::web
