#pragma once
// Back office → Bürgerbox REST under /api/v1/ (docs/open311.md): status changes, public notes and
// external references, authenticated by per-system API keys (Authorization: Bearer <key> or
// X-Api-Key) scoped to departments. Another department's ticket answers 404, like a missing one.

#include <vector>

#include "bot/cases/case_service.hpp"
#include "bot/http/http.hpp"

namespace bb::web {

class BackofficeApi {
public:
  explicit BackofficeApi(CaseService& service) : service_(service) {}

  std::vector<Route> routes();

  // Handlers (public for tests). matches: [ticket number].
  HttpResponse setStatus(const HttpRequest& req);
  HttpResponse addNote(const HttpRequest& req);
  HttpResponse setExternalRef(const HttpRequest& req);

private:
  CaseService& service_;
};

}  // namespace bb::web
