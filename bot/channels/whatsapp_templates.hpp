#pragma once
// The WhatsApp template catalogue (config `whatsapp.templates_file`): one approved message
// template per kind of notice the service sends outside the 24-hour customer-service window,
// each in German and English, with its category, numbered body parameters, an example value per
// parameter and the quick-reply button that opens the window again. Loaded and checked here;
// rendered for Meta's Business Management API in webhooks/whatsapp (templates.cpp).
// docs/channels/whatsapp.md §2 explains the file and how a city submits it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/result.hpp"

namespace bb {

//! What a held notice is about; each kind has its own template and its own parameters.
enum class NoticeKind {
  TicketStatus,          //!< {{1}} ticket number, {{2}} new status
  StaffMessage,          //!< {{1}} ticket number (a message from the city is waiting)
  ProposalModerated,     //!< {{1}} campaign, {{2}} proposal title, {{3}} moderation result
  ProposalOutcome,       //!< {{1}} campaign, {{2}} proposal title, {{3}} outcome
  SubscriptionReminder,  //!< {{1}} the subscribed topics
  Broadcast,             //!< {{1}} topic, {{2}} short title
};

inline constexpr NoticeKind kNoticeKinds[] = {
    NoticeKind::TicketStatus,    NoticeKind::StaffMessage,         NoticeKind::ProposalModerated,
    NoticeKind::ProposalOutcome, NoticeKind::SubscriptionReminder, NoticeKind::Broadcast};

//! "ticket_status", "staff_message", ... (the `kind` in the file).
const char* toString(NoticeKind kind);
std::optional<NoticeKind> noticeKindFromString(std::string_view text);
//! The parameters a kind's body must use, in order ("ticket number, status").
std::vector<std::string> noticeParameters(NoticeKind kind);

//! Meta's limits: template name 512, body 1024 characters, quick-reply button 25.
inline constexpr std::size_t kMaxTemplateNameChars = 512;
inline constexpr std::size_t kMaxTemplateBodyChars = 1024;
inline constexpr std::size_t kMaxQuickReplyChars = 25;

//! One language of a template.
struct TemplateLanguage {
  std::string code;                   //!< Meta's language code: "de", "en"
  std::string body;                   //!< text with {{1}}..{{n}}
  std::vector<std::string> examples;  //!< one sample value per parameter, in order
  std::string button;                 //!< quick-reply label ("Nachricht anzeigen")
};

struct WhatsAppTemplate {
  NoticeKind kind = NoticeKind::TicketStatus;
  std::string name;      //!< [a-z0-9_], 1..512: the name in WhatsApp Manager
  std::string category;  //!< "UTILITY" or "MARKETING"
  std::vector<TemplateLanguage> languages;  //!< "de" first, then "en" when present
};

struct TemplateCatalogue {
  std::vector<WhatsAppTemplate> templates;  //!< in file order, at most one per kind

  const WhatsAppTemplate* find(NoticeKind kind) const;
  //! Kinds without a template (their notices stay held outside the window).
  std::vector<NoticeKind> missingKinds() const;
};

//! Parses the catalogue file's text: a JSON array of templates. A syntax error is located
//! ("12:5: JSON ..."); every other error names the entry and field ("[2] proposal_outcome: de.body:
//! uses {{1}} and {{3}} but not {{2}}").
Result<TemplateCatalogue> parseTemplateCatalogue(const std::string& json_text);
//! Reads and parses `path`; errors begin with the path ("path:12:5: ..." or "path: ...").
Result<TemplateCatalogue> loadTemplateCatalogue(const std::string& path);

//! The numbers of the {{n}} placeholders in `body`, in order of appearance (repeats kept).
//! nullopt when a "{{" does not start a well-formed "{{digits}}".
std::optional<std::vector<int>> templatePlaceholders(std::string_view body);

//! One template as the account holds it (GET /{waba-id}/message_templates).
struct AccountTemplate {
  std::string name;
  std::string language;
  std::string status;    //!< APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
  std::string category;  //!< UTILITY, MARKETING, ...
};

//! The state of one catalogue template in one language, as `whatsapp templates --check` reports it.
struct TemplateCheck {
  NoticeKind kind = NoticeKind::TicketStatus;
  std::string name;
  std::string language;
  std::string status;            //!< the account's status, or "missing"
  std::string category;          //!< the catalogue's category
  std::string account_category;  //!< the account's, when it differs from the catalogue's
  bool approved() const { return status == "APPROVED"; }
};

//! Every catalogue template and language against the account's templates.
std::vector<TemplateCheck> checkTemplates(const TemplateCatalogue& catalogue,
                                          const std::vector<AccountTemplate>& account);

}  // namespace bb
