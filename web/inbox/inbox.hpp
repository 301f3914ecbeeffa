#pragma once
// The staff web inbox (/inbox): login with server-side sessions, the ticket list and ticket view,
// replies, status changes, notes, assignment, recategorization, merging, photos, the audit log
// and account management. Server-rendered HTML that works without JavaScript.
//
// Every request is authenticated from the session cookie, every POST checks the session's CSRF
// token in constant time (both by the staff desk, web/inbox/staff_desk.hpp), and every ticket
// access checks the department: a ticket (or photo) of another department answers 404, exactly
// like a missing one. This class signs staff in and out and puts the pages together: the list
// (list_page), one ticket (ticket_view), and the administrators' pages (accounts_page).

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/conversation/store.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"
#include "bot/staff/password.hpp"
#include "web/html.hpp"
#include "web/inbox/accounts_page.hpp"
#include "web/inbox/list_page.hpp"
#include "config/cidr.hpp"
#include "web/inbox/login_throttle.hpp"
#include "web/inbox/own_account.hpp"
#include "web/inbox/staff_desk.hpp"
#include "web/inbox/ticket_view.hpp"

namespace bb::web {

struct InboxOptions {
  std::string asset_dir;           //!< web/static
  bool secure_cookies = false;     //!< `Secure` when server.public_url is https
  std::chrono::minutes idle_timeout{8 * 60};
  std::chrono::minutes absolute_timeout{12 * 60};
  int max_login_failures = 10;     //!< the 10th attempt after 9 failures in the window is refused
  std::chrono::seconds throttle_window{60};
  int page_size = 50;
  std::string login_key;           //!< secret for the login form's CSRF token
  //! Reverse proxies whose X-Forwarded-For / Forwarded name the client (server.trusted_proxies).
  std::vector<config::Cidr> trusted_proxies;
  int password_iterations = auth::kPbkdf2Iterations;  //!< for accounts created in the UI
  //! Department id → name people read (flows.department_names); ids without one show as is.
  std::map<std::string, std::string> department_names;
  //! The local hour of the daily digest by mail; -1: no mail server (smtp.url empty).
  int digest_hour = -1;
  //! The city's own tile server under the maps (inbox.tile_url, .tile_attribution); empty: none.
  std::string tile_url;
  std::string tile_attribution;
};

class Inbox {
public:
  Inbox(Engine& engine, Store& store, InboxStore& inbox, media::MediaStore& media,
        const Clock& clock, InboxOptions options);

  std::vector<Route> routes();

  //! The login form's CSRF token for a pre-login cookie value (tests).
  std::string loginCsrfFor(const std::string& pre) const;
  //! The departments named in categories.json, sorted.
  const std::vector<std::string>& departments() const { return departments_; }
  //! Sessions, CSRF checks, page frame and audit for the other staff pages under /inbox.
  StaffDesk& desk() { return desk_; }

private:
  HttpResponse loginPage(const HttpRequest& req);
  HttpResponse login(const HttpRequest& req);
  HttpResponse logout(const HttpRequest& req);
  std::string afterLogin(const StaffUser& user, const std::string& next) const;
  HttpResponse asset(const HttpRequest& req);
  std::string throttleKey(const std::string& key) const;
  void restoreThrottle();
  //! Counts a failure against `keys` in memory and in the database (it survives a restart).
  void recordFailures(const std::vector<std::string>& keys, SysTime now);

  InboxStore& inbox_;
  const Clock& clock_;
  InboxOptions options_;
  std::vector<std::string> departments_;
  StaffDesk desk_;
  LoginThrottle throttle_;
  AssetCache assets_;
  ListPage list_;
  TicketView ticket_;
  AccountsPage accounts_;
  OwnAccountPage own_account_;
  InboxMap map_;  //!< the list's and the ticket page's maps
};

}  // namespace bb::web
