#pragma once
// Open311 GeoReport v2 under /open311/v2/ (docs/open311.md): discovery, services, service
// definitions, requests (GET list, GET one, POST with api_key) and the mySociety
// servicerequestupdates extension. JSON and XML (by suffix). Errors in the spec's shape:
// [{"code":400,"description":"..."}]. Public views carry no personal data: no citizen text or
// photo unless staff published it, coordinates rounded to the public grid, no pseudonyms.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/cases/case_service.hpp"
#include "bot/http/http.hpp"
#include "bot/ports.hpp"

namespace bb::web {

struct Open311Options {
  double public_grid_m = 25;
  std::string jurisdiction_id;  //!< empty: any (or none) accepted
  std::string base_url = "http://localhost:8080";  //!< for discovery
  std::string contact;  //!< discovery "contact"
  int max_page_size = 1000;
  int default_days = 90;  //!< window of GET requests without dates, and its maximum
  std::size_t max_description_chars = 4000;
};

//! Page and page size of a list request (page=1.., page_size=1..max_page_size); `error` set
//! when either is bad.
struct Open311Paging {
  int page = 1;
  int size = 0;
  std::string error;
};

class Open311Api {
public:
  Open311Api(CaseService& service, const Clock& clock, Open311Options options);

  //! Names a public (rounded) point by its nearest address for `address`; unset or nullopt:
  //! `address` stays null.
  using PlaceNamer = std::function<std::optional<std::string>(double lat, double lon)>;
  void setPlaceNamer(PlaceNamer namer) { place_namer_ = std::move(namer); }

  std::vector<Route> routes();

  // Handlers (public for tests). matches: [format] or [id, format].
  HttpResponse discovery(const HttpRequest& req);
  HttpResponse services(const HttpRequest& req);
  HttpResponse serviceDefinition(const HttpRequest& req);
  HttpResponse requests(const HttpRequest& req);
  HttpResponse request(const HttpRequest& req);
  HttpResponse createRequest(const HttpRequest& req);
  HttpResponse updates(const HttpRequest& req);
  HttpResponse postUpdate(const HttpRequest& req);

private:
  //! 404 in the spec's shape when the request names another jurisdiction_id.
  std::optional<HttpResponse> wrongJurisdiction(const HttpRequest& req) const;
  //! page / page_size of a list request.
  Open311Paging paging(const HttpRequest& req) const;

  CaseService& service_;
  const Clock& clock_;
  PlaceNamer place_namer_;
  Open311Options options_;
};

}  // namespace bb::web
