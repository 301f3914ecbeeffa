#pragma once
// Staff pages for the participatory budget under /inbox/beteiligung, on the staff desk (sessions,
// CSRF tokens, page frame and audit log of the inbox):
// - moderators and admins: the queue of new proposals and comments (publish, reject with a
//   reason, merge a proposal into a similar published one) and the outcome per proposal
//   (committee, council, implementation) with a public text; authors and supporters are told
//   through their channel, each notice exactly once. Publishing shows the citizen's typed place
//   and photo to the moderator, who decides what of them the public page shows (the place in
//   their own words, the photo only when ticked);
// - admins: campaigns with their phase dates and rules (proposals per citizen, support
//   threshold, topics).

#include <optional>
#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"
#include "bot/participation/participation.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class ParticipationModeration {
public:
  ParticipationModeration(StaffDesk& desk, Participation& participation,
                          const media::MediaStore& media);

  std::vector<Route> routes();

  HttpResponse overview(const HttpRequest& req);        //!< GET /inbox/beteiligung
  HttpResponse proposalAction(const HttpRequest& req);  //!< POST .../vorschlag/{id}/{action}
  HttpResponse commentAction(const HttpRequest& req);   //!< POST .../kommentar/{id}/{action}
  HttpResponse saveCampaign(const HttpRequest& req);    //!< POST .../kampagne[/{id}]
  HttpResponse photo(const HttpRequest& req);  //!< GET .../vorschlag/{id}/foto[/thumb]

private:
  //! What a moderator does to one proposal or comment: `what` is the action from the path.
  using ItemAction = HttpResponse (ParticipationModeration::*)(const Principal& p,
                                                               const Form& form, std::int64_t id,
                                                               const std::string& what);
  //! Admits a post on /{id}/{action} and hands it to `act`.
  HttpResponse onItem(const HttpRequest& req, ItemAction act);
  HttpResponse moderateProposal(const Principal& p, const Form& form, std::int64_t id,
                                const std::string& what);
  HttpResponse moderateComment(const Principal& p, const Form& form, std::int64_t id,
                               const std::string& what);
  //! Fills `c` from the campaign form; the message for the moderator when something is wrong.
  static std::optional<std::string> readCampaign(const Form& form, Campaign& c);

  HttpResponse render(const Principal& p, const std::string& flash, const std::string& error,
                      int status);
  std::string proposalQueue(const Principal& p, const std::vector<Proposal>& pending) const;
  std::string commentQueue(const Principal& p,
                           const std::vector<ProposalComment>& comments) const;
  std::string campaignSection(const Principal& p, const Campaign& c);
  std::string campaignForm(const Principal& p, const Campaign* c) const;

  std::string publishForm(const Principal& p, const Proposal& pr) const;

  StaffDesk& desk_;
  Participation& participation_;
  const media::MediaStore& media_;
};

}  // namespace bb::web
