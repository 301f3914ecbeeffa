#pragma once
// The staff composer for broadcasts under /inbox/rundschreiben, on the staff desk (sessions, CSRF
// tokens, page frame and audit log of the inbox). Editors and admins pick a topic, write
// the text (preview per channel with its length limit), then send at once, schedule or cancel;
// OParl drafts appear here too. A broadcast's page shows its live progress (queued, sent,
// delivered, failed) and reloads itself while rows are queued; /progress answers as JSON.

#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/http/http.hpp"
#include "bot/subscriptions/broadcast.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class BroadcastComposer {
public:
  //! `flows` gives the topics, their labels and the texts of the per-channel preview.
  BroadcastComposer(StaffDesk& desk, BroadcastService& service, BroadcastStore& store,
                    const FlowData& flows, BroadcastOptions preview_options);

  std::vector<Route> routes();

  HttpResponse overview(const HttpRequest& req);  //!< GET /inbox/rundschreiben
  HttpResponse create(const HttpRequest& req);    //!< POST /inbox/rundschreiben
  HttpResponse detail(const HttpRequest& req);    //!< GET /inbox/rundschreiben/{id}
  HttpResponse progress(const HttpRequest& req);  //!< GET /inbox/rundschreiben/{id}/progress
  HttpResponse action(const HttpRequest& req);    //!< POST .../{id}/(save|send|schedule|cancel)

  //! The longest text the composer accepts (the strictest channel, WhatsApp's template field).
  static constexpr std::size_t kMaxTextChars = 1024;

private:
  std::string topicLabel(const std::string& id) const;
  std::string composeForm(const Principal& p, const BroadcastRecord* b) const;
  //! The preview of `b` in every channel, with its length against the channel's limit.
  std::string previews(const BroadcastRecord& b) const;
  //! A draft as the form gives it, and whether its topic, title, text and link are acceptable.
  static NewBroadcast draftFrom(const Form& form);
  bool acceptable(const NewBroadcast& b) const;

  StaffDesk& desk_;
  BroadcastService& service_;
  BroadcastStore& store_;
  const FlowData& flows_;
  BroadcastOptions preview_options_;
};

}  // namespace bb::web
