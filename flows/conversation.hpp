#pragma once
// The conversation's states and the choice ids the flows offer. `Conversation::state` holds
// toString(State); the names are persisted, so never rename one.

#include <optional>
#include <string>
#include <vector>

#include "flows/flow_types.hpp"

namespace bb::flows {

enum class State {
  New,                //!< "new": first contact, nothing accepted yet
  Consent,            //!< "consent": privacy notice shown, waiting for accept/decline
  Menu,               //!< "menu": idle, main menu offered
  ReportCategory,     //!< "report_category"
  ReportLocation,     //!< "report_location": native location or typed address
  ReportNearby,       //!< "report_nearby": LookupNearby sent, waiting for NearbyResult
  ReportGeocode,      //!< "report_geocode": Geocode sent for a typed address, waiting for it
  ReportAddressChoice,  //!< "report_address_choice": "Meinten Sie …?" candidates offered
  ReportDuplicate,    //!< "report_duplicate": nearby tickets offered
  ReportPhoto,        //!< "report_photo"
  ReportQuestion,     //!< "report_question": the category's extra question
  ReportDescription,  //!< "report_description"
  ReportSummary,      //!< "report_summary": confirm / change / cancel
  ReportChange,       //!< "report_change": which part to change
  EditCategory,       //!< "edit_category": back to the summary afterwards
  EditQuestion,       //!< "edit_question"
  EditLocation,       //!< "edit_location"
  EditPhotos,         //!< "edit_photos"
  EditDescription,    //!< "edit_description"
  LetterText,         //!< "letter_text": virtueller Briefkasten, waiting for the text
  LetterConfirm,      //!< "letter_confirm"
  EraseConfirm,       //!< "erase_confirm": "daten löschen" asked, waiting for yes/no
  Subscriptions,      //!< "subscriptions": topics listed, waiting for (un)subscribe choices
  // Participatory budget (flows/participation.cpp)
  ParticipationHome,    //!< "participation_home": campaign and phase shown, what is possible
  ProposalTitle,        //!< "proposal_title"
  ProposalDescription,  //!< "proposal_description"
  ProposalCost,         //!< "proposal_cost": estimated cost, optional
  ProposalTopic,        //!< "proposal_topic": optional
  ProposalLocation,     //!< "proposal_location": optional
  ProposalPhoto,        //!< "proposal_photo": optional
  ProposalSummary,      //!< "proposal_summary": confirm / change / cancel
  ProposalBrowse,       //!< "proposal_browse": a page of published proposals offered
  ProposalDetail,       //!< "proposal_detail": one proposal; support / comment / back
  ProposalComment,      //!< "proposal_comment": waiting for the comment text
  ReplyTicket,          //!< "reply_ticket": a message held; which ticket does it answer?
  WriteTicket,          //!< "write_ticket": "Nachricht schreiben" picked; the next message goes there
  StopChoice,           //!< "stop_choice": "stop" asked what to stop (everything / subscriptions)
};

const char* toString(State state);
std::optional<State> stateFromString(const std::string& name);

//! States that hold a draft (a report or a letter); they expire after Settings::idle_timeout.
bool isDraftState(State state);

//! The main menu's choices in `lang`, for replies the engine renders itself (e.g. after
//! "ticket.created") when it wants to offer the menu again.
std::vector<Choice> mainMenuChoices(Lang lang, const TextCatalog& texts);

//! Ids of the choices the flows offer. Channels that can only send text map a typed number or
//! label to these ids; the flows also accept the ids (and German/English keywords) as text.
namespace choice {
inline constexpr const char* kAccept = "accept";
inline constexpr const char* kDecline = "decline";
inline constexpr const char* kReport = "report";
inline constexpr const char* kLetter = "letter";
inline constexpr const char* kMyTickets = "my_tickets";
inline constexpr const char* kHelp = "help";
inline constexpr const char* kLanguage = "language";
inline constexpr const char* kCancel = "cancel";
inline constexpr const char* kMenu = "menu";
inline constexpr const char* kStop = "stop";
inline constexpr const char* kStopAll = "stop:all";  //!< stop everything until "start"
inline constexpr const char* kStopSubscriptions = "stop:subscriptions";  //!< end subscriptions only
inline constexpr const char* kMyData = "data:export";
inline constexpr const char* kEraseData = "data:erase";
inline constexpr const char* kSubscriptions = "subscriptions";  //!< topics and my subscriptions
inline constexpr const char* kSubscribePrefix = "sub:";      //!< "sub:<topic id>[,<topic id>]"
inline constexpr const char* kUnsubscribePrefix = "unsub:";  //!< "unsub:<topic id>[,...]"
inline constexpr const char* kLangDe = "lang:de";
inline constexpr const char* kLangEn = "lang:en";
inline constexpr const char* kSkip = "skip";
inline constexpr const char* kDone = "done";
inline constexpr const char* kConfirm = "confirm";
inline constexpr const char* kChange = "change";
inline constexpr const char* kSend = "send";
inline constexpr const char* kBack = "back";
inline constexpr const char* kNewReport = "dup:none";
inline constexpr const char* kChangeCategory = "change:category";
inline constexpr const char* kChangeLocation = "change:location";
inline constexpr const char* kChangePhotos = "change:photos";
inline constexpr const char* kChangeDescription = "change:description";
inline constexpr const char* kCategoryPrefix = "cat:";   //!< "cat:<category id>"
inline constexpr const char* kDuplicatePrefix = "dup:";  //!< "dup:<ticket number>"
inline constexpr const char* kAddressPrefix = "addr:";   //!< "addr:<n>": the n-th candidate
inline constexpr const char* kAddressNone = "addr:none";  //!< none of the candidates
inline constexpr const char* kParticipation = "participation";
inline constexpr const char* kProposalNew = "prop:new";          //!< submit a proposal
inline constexpr const char* kProposalListNew = "prop:list:new";  //!< browse, newest first
inline constexpr const char* kProposalListTop = "prop:list:top";  //!< browse, most supported
inline constexpr const char* kProposalMore = "prop:more";        //!< next page
inline constexpr const char* kProposalSupport = "prop:support";
inline constexpr const char* kProposalUnsupport = "prop:unsupport";
inline constexpr const char* kProposalComment = "prop:comment";
inline constexpr const char* kProposalPrefix = "prop:";   //!< "prop:<proposal id>"
inline constexpr const char* kTopicPrefix = "topic:";     //!< "topic:<index>"
inline constexpr const char* kReplyPrefix = "reply:";     //!< "reply:<ticket number>"
inline constexpr const char* kWritePrefix = "write:";     //!< "write:<ticket number>"
inline constexpr const char* kStatusPrefix = "status:";   //!< "status:<ticket number>"
}  // namespace choice

}  // namespace bb::flows
