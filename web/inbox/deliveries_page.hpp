#pragma once
// The delivery page (/inbox/deliveries): back-office entries given up and messages to citizens
// that failed, with reason and age; retry one or all, discard one. Admins see everything,
// agents (the departments' leads and staff) the deliveries of their departments' tickets; a
// message that belongs to no ticket is for admins only. Every retry and discard is audited.
// The same operations as `buergerbox deliveries list|retry|discard`.

#include <optional>
#include <vector>

#include "bot/cases/case_store.hpp"
#include "bot/http/http.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class DeliveriesPage {
public:
  //! Also gives the desk the count its navigation shows.
  DeliveriesPage(StaffDesk& desk, CaseStore& cases);

  std::vector<Route> routes();
  HttpResponse show(const HttpRequest& req);      //!< GET /inbox/deliveries
  HttpResponse retry(const HttpRequest& req);     //!< POST /inbox/deliveries/retry (ref)
  HttpResponse retryAll(const HttpRequest& req);  //!< POST /inbox/deliveries/retry-all
  HttpResponse discard(const HttpRequest& req);   //!< POST /inbox/deliveries/discard (ref)

private:
  //! The problems `u` may see, oldest first; nullopt when the store does not answer.
  std::optional<std::vector<DeliveryProblem>> visible(const StaffUser& u);
  HttpResponse act(const HttpRequest& req, bool discard);

  StaffDesk& desk_;
  CaseStore& cases_;
};

}  // namespace bb::web
