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
  bool must_change_password = false;  //!< the first login leads to the password form
};

//! 2–64 characters of a–z, 0–9, '.', '_', '-' (lower case; logins are not personal data in
//! logs only because they are never logged).
bool validLogin(const std::string& login);
//! A department id as categories.json uses it: 1–64 of a–z, 0–9, '_', '-'.
bool validDepartment(const std::string& department);

//! Validates and stores a new account; the error detail is a German sentence for the operator.
Result<std::int64_t> createAccount(InboxStore& store, const NewAccount& account, SysTime now);

//! The stored form of a password a staff member chose: InvalidInput (German detail) when it is
//! shorter than kMinPasswordChars or longer than 256 bytes.
Result<std::string> hashChosenPassword(const std::string& password, int iterations);

//! A temporary password an admin passes on (read aloud, typed once): 14 characters without
//! look-alikes (no 0/O, 1/l/I), about 80 bits.
std::string temporaryPassword();

}  // namespace bb::auth
