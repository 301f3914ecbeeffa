#pragma once
// The signed-in staff member's own account (/inbox/konto): change the password (the current one
// and the new one twice) and "überall abmelden" (end every session of the account, in every
// browser). A member whose password must change (after an admin's reset, and the demo account at
// its first login) is sent here before any other page and leaves for the page they asked for.

#include <string>

#include "bot/http/http.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class OwnAccountPage {
public:
  OwnAccountPage(StaffDesk& desk, InboxStore& store, int password_iterations);

  HttpResponse show(const HttpRequest& req);            //!< GET /inbox/konto
  HttpResponse changePassword(const HttpRequest& req);  //!< POST /inbox/konto/passwort
  HttpResponse logoutEverywhere(const HttpRequest& req);  //!< POST /inbox/konto/abmelden

private:
  //! The page with the password form; `error` (German, already HTML) above it.
  HttpResponse page(const Principal& p, const std::string& next, const std::string& error,
                    int status);

  StaffDesk& desk_;
  InboxStore& store_;
  int password_iterations_;
};

}  // namespace bb::web
