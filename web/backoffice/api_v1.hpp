#pragma once
// Back office ↔ Bürgerbox REST under /api/v1/ (docs/api/backoffice-api.md), authenticated by
// per-system API keys (Authorization: Bearer <key> or X-Api-Key) scoped to departments. Another
// department's ticket answers 404, like a missing one.
//   GET  /api/v1/tickets/{n}                  the ticket with the citizen's report and photo links
//   GET  /api/v1/tickets/{n}/photos/{id}      one photo (signed link + the department's key)
//   GET  /api/v1/changes?after=<cursor>       what changed, in order (the push, to pull)
//   POST /api/v1/tickets/{n}/updates          status and/or note, idempotent by update_id
//   PUT|POST /api/v1/tickets/{n}/status, POST .../notes, PUT .../external-ref

#include <memory>
#include <vector>

#include "bot/cases/case_service.hpp"
#include "bot/cases/photo_urls.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"

namespace bb::web {

struct BackofficeApiOptions {
  std::shared_ptr<const PhotoUrlSigner> photo_links;  //!< null: no photo links, no photo route
  const media::MediaStore* media = nullptr;           //!< where the photos are read from
  double public_grid_m = 25;                          //!< service_request coordinates
};

class BackofficeApi {
public:
  explicit BackofficeApi(CaseService& service, BackofficeApiOptions options = {})
      : service_(service), options_(std::move(options)) {}

  std::vector<Route> routes();

  // Handlers (public for tests). matches: [ticket number] (photo: [number, media id]).
  HttpResponse setStatus(const HttpRequest& req);
  HttpResponse addNote(const HttpRequest& req);
  HttpResponse setExternalRef(const HttpRequest& req);
  HttpResponse postUpdate(const HttpRequest& req);
  HttpResponse getTicket(const HttpRequest& req);
  HttpResponse getPhoto(const HttpRequest& req);
  HttpResponse listChanges(const HttpRequest& req);

private:
  CaseService& service_;
  BackofficeApiOptions options_;
};

}  // namespace bb::web
