#pragma once
// The staff composer for broadcasts under /inbox/rundschreiben (issue 12), inside the staff
// inbox's sessions, CSRF tokens, page frame and audit log. Editors and admins pick a topic, write
// the text (preview per channel with its length limit), then send at once, schedule or cancel;
// OParl drafts appear here too. A broadcast's page shows its live progress (queued, sent,
// delivered, failed) and reloads itself while rows are queued; /progress answers as JSON.

#include <string>
#include <vector>

#include "bot/subscriptions/broadcast.hpp"
#include "bot/http/http.hpp"
#include "web/inbox/inbox.hpp"

namespace bb::web {

class BroadcastComposer {
public:
  BroadcastComposer(Inbox& inbox, BroadcastService& service, BroadcastStore& store,
                    const std::vector<flows::Topic>& topics, const flows::TextCatalog& texts,
                    BroadcastOptions preview_options);

  std::vector<Route> routes();

  HttpResponse overview(const HttpRequest& req);  //!< GET /inbox/rundschreiben
  HttpResponse create(const HttpRequest& req);    //!< POST /inbox/rundschreiben
  HttpResponse detail(const HttpRequest& req);    //!< GET /inbox/rundschreiben/{id}
  HttpResponse progress(const HttpRequest& req);  //!< GET /inbox/rundschreiben/{id}/progress
  HttpResponse action(const HttpRequest& req);    //!< POST .../{id}/(save|send|schedule|cancel)

  //! The longest text the composer accepts (the strictest channel, WhatsApp's template field).
  static constexpr std::size_t kMaxTextChars = 1024;

private:
  static bool composes(const StaffUser& u);
  std::string topicLabel(const std::string& id) const;
  std::string composeForm(const Principal& p, const BroadcastRecord* b) const;

  Inbox& inbox_;
  BroadcastService& service_;
  BroadcastStore& store_;
  const std::vector<flows::Topic>& topics_;
  const flows::TextCatalog& texts_;
  BroadcastOptions preview_options_;
};

}  // namespace bb::web
