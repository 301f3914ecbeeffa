#pragma once
// The staff web inbox (/inbox): login with server-side sessions, the ticket list and ticket view,
// replies, status changes, notes, assignment, recategorization, merging, photos, the audit log
// and account management. Server-rendered HTML that works without JavaScript.
//
// Every request is authenticated from the session cookie, every POST checks the session's CSRF
// token in constant time, and every ticket access checks the department: a ticket (or photo) of
// another department answers 404, exactly like a missing one.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/http/http.hpp"
#include "bot/staff/inbox_store.hpp"
#include "bot/media/media_store.hpp"
#include "bot/staff/password.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"
#include "web/inbox/login_throttle.hpp"

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
  int password_iterations = auth::kPbkdf2Iterations;  //!< for accounts created in the UI
};

//! The signed-in staff member of one request.
struct Principal {
  StaffUser user;
  StaffSession session;
};

class Inbox {
public:
  Inbox(Engine& engine, Store& store, InboxStore& inbox, media::MediaStore& media,
        const Clock& clock, InboxOptions options);

  std::vector<Route> routes();

  // Handlers (public for tests).
  HttpResponse loginPage(const HttpRequest& req);
  HttpResponse login(const HttpRequest& req);
  HttpResponse logout(const HttpRequest& req);
  HttpResponse list(const HttpRequest& req);
  HttpResponse ticket(const HttpRequest& req);
  HttpResponse action(const HttpRequest& req);  //!< POST /inbox/tickets/{n}/{action}
  HttpResponse media(const HttpRequest& req);   //!< GET /inbox/media/{id}[/thumb]
  HttpResponse audit(const HttpRequest& req);
  HttpResponse staffPage(const HttpRequest& req);
  HttpResponse staffCreate(const HttpRequest& req);
  HttpResponse staffUpdate(const HttpRequest& req);
  HttpResponse asset(const HttpRequest& req);

  //! The login form's CSRF token for a pre-login cookie value (tests).
  std::string loginCsrfFor(const std::string& pre) const;
  //! The departments named in categories.json, sorted.
  const std::vector<std::string>& departments() const { return departments_; }

private:
  friend class BroadcastComposer;  // web/inbox/broadcast_composer.* (issue 12)
  //! Participation moderation pages (web/inbox/participation_moderation.*) share the session,
  //! CSRF check, page frame and audit entries.
  friend class ParticipationModeration;
  std::optional<Principal> authenticate(const HttpRequest& req);
  bool csrfOk(const Principal& p, const std::multimap<std::string, std::string>& form) const;
  bool canSee(const StaffUser& u, const std::string& department) const;
  static bool worksTickets(const StaffUser& u);
  HttpResponse renderTicket(const Principal& p, std::int64_t number, const std::string& flash,
                            const std::string& error, int status);
  HttpResponse page(int status, const std::string& title, const Principal* p,
                    const std::string& body);
  HttpResponse notFound(const Principal* p);
  HttpResponse forbidden(const Principal* p);
  AuditEntry auditEntry(const Principal& p, const std::string& action, std::int64_t number,
                        const std::string& detail) const;
  std::string categoryLabel(const std::string& id) const;
  std::optional<std::string> loadAsset(const std::string& name);

  Engine& engine_;
  Store& store_;
  InboxStore& inbox_;
  media::MediaStore& media_;
  const Clock& clock_;
  InboxOptions options_;
  LoginThrottle throttle_;
  std::vector<std::string> departments_;
  std::mutex assets_mutex_;
  std::map<std::string, std::string> assets_;
};

//! Mon–Fri days from `from` to `to` (UTC dates; the day of `from` not counted).
int workingDaysBetween(SysTime from, SysTime to);

}  // namespace bb::web
