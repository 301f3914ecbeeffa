#pragma once
// Creating staff accounts: shared by the CLI (`buergerbox staff add`), the admin page and the
// demo bootstrap. Validates login, role, departments and password length, then hashes.

#include <string>
#include <vector>

#include "bot/staff/inbox_store.hpp"
#include "bot/staff/password.hpp"

namespace bb::auth {

struct NewAccount {
  std::string login;
  std::string role;
  std::vector<std::string> departments;
  std::string password;
  int iterations = kPbkdf2Iterations;
};

//! 2–64 characters of a–z, 0–9, '.', '_', '-' (lower case; logins are not personal data in
//! logs only because they are never logged).
bool validLogin(const std::string& login);
//! A department id as categories.json uses it: 1–64 of a–z, 0–9, '_', '-'.
bool validDepartment(const std::string& department);

//! Validates and stores a new account; the error detail is a German sentence for the operator.
Result<std::int64_t> createAccount(InboxStore& store, const NewAccount& account, SysTime now);

}  // namespace bb::auth
