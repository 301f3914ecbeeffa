#pragma once
// The staff desk: what every page under /inbox stands on. It finds the signed-in staff member
// from the session cookie, checks the CSRF token of every post, frames each page (navigation by
// role, the strict Content-Security-Policy and the other security headers), writes the audit log
// entry of a staff action, and answers the common refusals and redirects. The ticket pages, the
// accounts pages, the broadcast composer and the participation moderation are all built on it,
// so a session, a token or a role is checked the same way everywhere.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"

namespace bb::web {

using Form = std::multimap<std::string, std::string>;

//! The signed-in staff member of one request.
struct Principal {
  StaffUser user;
  StaffSession session;
};

//! How long a session lives and how its cookie is set.
struct SessionPolicy {
  bool secure_cookies = false;  //!< `Secure` when server.public_url is https
  std::chrono::minutes idle_timeout{8 * 60};
  std::chrono::minutes absolute_timeout{12 * 60};
};

// ---- who may do what ----
using RoleCheck = bool (*)(const StaffUser&);
bool anyRole(const StaffUser& u);
bool isAdmin(const StaffUser& u);
bool worksTickets(const StaffUser& u);  //!< admins and agents
bool composesBroadcasts(const StaffUser& u);  //!< admins and editors
bool moderatesParticipation(const StaffUser& u);  //!< admins and moderators
//! Per-department authorization: admins see every department, agents their own, others none.
bool canSee(const StaffUser& u, const std::string& department);

//! A request the desk let through (`who` set), or the answer that refused it.
struct Admission {
  std::optional<Principal> who;
  Form form;             //!< the parsed body of a post
  HttpResponse refusal;  //!< the answer when `who` is empty
};

//! 303 to `location`, never cached.
HttpResponse redirect(const std::string& location);
//! `next` when it is a page of this inbox a login may return to: a path under /inbox (with its
//! query), printable ASCII without backslash, "//" or dot segments, not the login itself — so
//! never another site ("//evil", "https://…", "/\evil") and no header injection (CR/LF).
std::optional<std::string> returnPath(const std::string& next);
//! The login page that returns to `next` afterwards ("/inbox/login" for the list).
std::string loginUrl(const std::string& next);
//! The page a GET request asked for: its path and query.
std::string requestedPage(const HttpRequest& req);
//! The own account page, where a member whose password must change is sent first.
inline constexpr const char* kOwnAccountPath = "/inbox/konto";
//! A positive id from a path or form: 1 to 15 digits; nullopt otherwise.
std::optional<std::int64_t> parseId(const std::string& s);

class StaffDesk {
public:
  StaffDesk(InboxStore& store, const Clock& clock, SessionPolicy policy);

  //! The staff member whose live session the cookie names; an expired session is ended. A member
  //! who must change their password first counts only when `password_pending_ok`.
  std::optional<Principal> authenticate(const HttpRequest& req, bool password_pending_ok = false);
  bool csrfOk(const Principal& p, const Form& form) const;
  //! A page: signed in (else to the login page, which returns here), the password not due for
  //! a change (else to the own account page, unless `password_pending_ok`) and allowed by role
  //! (else 403).
  Admission admitPage(const HttpRequest& req, RoleCheck allowed, bool password_pending_ok = false);
  //! A post: signed in, its CSRF token right and allowed by role (else 403); the form parsed.
  Admission admitPost(const HttpRequest& req, RoleCheck allowed, bool password_pending_ok = false);

  //! The page frame; `p` is null before login (no navigation).
  HttpResponse page(int status, const std::string& title, const Principal* p,
                    const std::string& body) const;
  HttpResponse notFound(const Principal* p) const;
  HttpResponse forbidden(const Principal* p) const;
  HttpResponse unavailable(const Principal* p) const;  //!< 503: the database does not answer

  AuditEntry auditEntry(const StaffUser& u, const std::string& action, std::int64_t number = 0,
                        const std::string& detail = "") const;
  AuditEntry auditEntry(const Principal& p, const std::string& action, std::int64_t number = 0,
                        const std::string& detail = "") const;
  //! Writes the entry of an action whose store call does not write it in its own transaction.
  void audit(const StaffUser& u, const std::string& action, std::int64_t number = 0,
             const std::string& detail = "");
  void audit(const Principal& p, const std::string& action, std::int64_t number = 0,
             const std::string& detail = "");

  //! A new session for `staff_id` (a session the request presents is ended, never reused): the
  //! id for the cookie, or nullopt when the store fails.
  std::optional<std::string> openSession(const HttpRequest& req, std::int64_t staff_id);
  void endSession(const Principal& p);
  //! `Set-Cookie` value of the session cookie; an empty `value` expires it.
  std::string sessionCookie(const std::string& value) const;
  //! `Set-Cookie` value of the pre-login cookie that binds the login form's CSRF token; an
  //! empty `value` expires it.
  std::string preLoginCookie(const std::string& value) const;
  //! The request's pre-login cookie if it is well-formed, else "".
  static std::string preLoginId(const HttpRequest& req);
  //! The injected clock's time, for the pages that stand on the desk.
  SysTime now() const { return clock_.now(); }
  //! How many failed deliveries a staff member may act on: the navigation shows the number
  //! beside "Zustellungen" when it is not zero (set by the delivery page).
  void setDeliveryCount(std::function<std::int64_t(const StaffUser&)> count) {
    delivery_count_ = std::move(count);
  }
  //! The names people read for department ids (flows.department_names).
  void setDepartmentNames(std::map<std::string, std::string> names) {
    department_names_ = std::move(names);
  }
  //! Lets the pages load images from `origin` too (the city's tile server): added to the
  //! Content-Security-Policy's img-src.
  void allowImagesFrom(const std::string& origin);
  //! A department's display name; its id when none is configured.
  std::string departmentName(const std::string& id) const;

private:
  InboxStore& store_;
  const Clock& clock_;
  SessionPolicy policy_;
  std::function<std::int64_t(const StaffUser&)> delivery_count_;
  std::map<std::string, std::string> department_names_;
  std::string content_security_policy_;
};

}  // namespace bb::web
