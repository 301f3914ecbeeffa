#pragma once
// The signed-in staff member's own account (/inbox/konto): change the password (the current one
// and the new one twice) and "überall abmelden" (end every session of the account, in every
// browser). A member whose password must change (after an admin's reset, and the demo account at
// its first login) is sent here before any other page and leaves for the page they asked for.
// When the server has a mail server (smtp.url), members who work tickets turn the daily digest
// on or off here and see whether the last one went out.

#include <functional>
#include <string>

#include "bot/http/http.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class OwnAccountPage {
public:
  //! `digest_hour`: the local hour the daily digest goes out; -1 when no mail server is set.
  OwnAccountPage(StaffDesk& desk, InboxStore& store, int password_iterations, int digest_hour = -1);

  HttpResponse show(const HttpRequest& req);            //!< GET /inbox/konto
  HttpResponse changePassword(const HttpRequest& req);  //!< POST /inbox/konto/passwort
  HttpResponse logoutEverywhere(const HttpRequest& req);  //!< POST /inbox/konto/abmelden
  HttpResponse saveDigest(const HttpRequest& req);        //!< POST /inbox/konto/uebersicht

  //! The login throttle of the account (by login): `blocked` refuses a password change before
  //! the current password is checked, `failed` counts a wrong current password.
  void setThrottle(std::function<bool(const std::string&)> blocked,
                   std::function<void(const std::string&)> failed) {
    blocked_ = std::move(blocked);
    failed_ = std::move(failed);
  }

private:
  //! The page with the password form; `error` (German, already HTML) above it.
  HttpResponse page(const Principal& p, const std::string& next, const std::string& error,
                    int status);
  //! The digest section (empty when the server sends no mail or the member works no tickets).
  std::string digestSection(const Principal& p, const std::string& csrf);

  StaffDesk& desk_;
  InboxStore& store_;
  int password_iterations_;
  int digest_hour_;
  std::function<bool(const std::string&)> blocked_;
  std::function<void(const std::string&)> failed_;
};

}  // namespace bb::web
