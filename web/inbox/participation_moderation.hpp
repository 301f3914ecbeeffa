#pragma once
// Staff pages for the participatory budget under /inbox/beteiligung (issue 11), inside the staff
// inbox's sessions, CSRF tokens, page frame and audit log:
// - moderators and admins: the queue of new proposals and comments (publish, reject with a
//   reason, merge a proposal into a similar published one) and the outcome per proposal
//   (committee, council, implementation) with a public text; authors and supporters are told
//   through their channel, each notice exactly once;
// - admins: campaigns with their phase dates and rules (proposals per citizen, support
//   threshold, topics).

#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/participation/participation.hpp"
#include "web/inbox/inbox.hpp"

namespace bb::web {

class ParticipationModeration {
public:
  ParticipationModeration(Inbox& inbox, Participation& participation);

  std::vector<Route> routes();

  HttpResponse overview(const HttpRequest& req);        //!< GET /inbox/beteiligung
  HttpResponse proposalAction(const HttpRequest& req);  //!< POST .../vorschlag/{id}/{action}
  HttpResponse commentAction(const HttpRequest& req);   //!< POST .../kommentar/{id}/{action}
  HttpResponse saveCampaign(const HttpRequest& req);    //!< POST .../kampagne[/{id}]

private:
  static bool moderates(const StaffUser& u);
  HttpResponse render(const Principal& p, const std::string& flash, const std::string& error,
                      int status);
  std::string campaignForm(const Principal& p, const Campaign* c) const;

  Inbox& inbox_;
  Participation& participation_;
};

//! "YYYY-MM-DD" as midnight UTC; nullopt when malformed.
std::optional<SysTime> parseIsoDate(const std::string& text);
std::string isoDate(SysTime t);

}  // namespace bb::web
