#pragma once
// The administrators' pages: staff accounts (/inbox/admin/staff: create, change role and
// departments, disable; nobody can disable or demote their own account) and the audit log
// (/inbox/audit: who did what and when, without message contents).

#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class AccountsPage {
public:
  AccountsPage(StaffDesk& desk, InboxStore& store, const Clock& clock,
               const std::vector<std::string>& departments, int password_iterations);

  HttpResponse show(const HttpRequest& req);      //!< GET /inbox/admin/staff
  HttpResponse create(const HttpRequest& req);    //!< POST /inbox/admin/staff
  HttpResponse update(const HttpRequest& req);    //!< POST /inbox/admin/staff/{id}
  //! POST /inbox/admin/staff/{id}/passwort: a temporary password, shown once on the answer (never
  //! in a URL or log), which the member must replace at the next login; their sessions end.
  HttpResponse resetPassword(const HttpRequest& req);
  HttpResponse auditLog(const HttpRequest& req);  //!< GET /inbox/audit

private:
  //! The department checkboxes of an account form, `chosen` ticked.
  std::string departmentBoxes(const std::vector<std::string>& chosen) const;
  //! The form's departments that exist, in the form's order.
  std::vector<std::string> knownDepartments(const Form& form) const;
  //! The "Passwort zurücksetzen" button of an account row.
  static std::string resetForm(const StaffUser& u, const std::string& csrf);

  StaffDesk& desk_;
  InboxStore& store_;
  const Clock& clock_;
  const std::vector<std::string>& departments_;
  int password_iterations_;
};

}  // namespace bb::web
