#pragma once
// The public participatory-budget pages: `/beteiligung` (campaign, phase, rules and
// the published proposals with their support and comment counts), one page per proposal
// (published comments, committee and council outcomes) and an Atom feed.
//
// Only moderated content is shown: proposals and comments in status "published", of a proposal's
// place only the text the moderator approved and its photo only when the moderator ticked it.
// No author identity, no cookies, no tracking, no third-party assets; the strict CSP of every page.

#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"
#include "bot/participation/participation.hpp"

namespace bb::web {

struct PublicParticipationOptions {
  std::string public_url = "http://localhost:8080";  //!< absolute links in the Atom feed
  int page_size = 20;
};

class PublicParticipation {
public:
  //! `media` null: no photos are shown.
  PublicParticipation(Participation& participation, const Clock& clock,
                      PublicParticipationOptions options,
                      const media::MediaStore* media = nullptr);

  std::vector<Route> routes();

  HttpResponse overview(const HttpRequest& req);  //!< GET /beteiligung[?kampagne=&sort=&seite=]
  HttpResponse proposal(const HttpRequest& req);  //!< GET /beteiligung/vorschlag/{id}
  HttpResponse feed(const HttpRequest& req);      //!< GET /beteiligung/feed.atom
  HttpResponse photo(const HttpRequest& req);     //!< GET /beteiligung/vorschlag/{id}/foto
  HttpResponse stylesheet(const HttpRequest& req);

private:
  //! The campaign a visitor sees: `requested` if it exists, else the newest one that started,
  //! else the next one to start.
  std::optional<Campaign> shownCampaign(const std::string& requested);
  HttpResponse page(int status, const std::string& title, const std::string& body) const;
  std::string label(const std::string& key) const;

  Participation& participation_;
  const Clock& clock_;
  PublicParticipationOptions options_;
  const media::MediaStore* media_;
};

}  // namespace bb::web
