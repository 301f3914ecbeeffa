#include "bot/staff/staff_accounts.hpp"

#include <algorithm>

#include "bot/security/crypto.hpp"

namespace bb::auth {
namespace {

bool allOf(const std::string& s, std::size_t min, std::size_t max, const char* extra) {
  if (s.size() < min || s.size() > max) { return false; }
  const std::string allowed(extra);
  return std::all_of(s.begin(), s.end(), [&allowed](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || allowed.find(c) != std::string::npos;
  });
}

}  // namespace

bool validLogin(const std::string& login) { return allOf(login, 2, 64, "._-"); }

bool validDepartment(const std::string& department) { return allOf(department, 1, 64, "_-"); }

Result<std::int64_t> createAccount(InboxStore& store, const NewAccount& account, SysTime now) {
  if (!validLogin(account.login)) {
    return fail(ErrorCode::InvalidInput,
                "Login: 2–64 Zeichen aus a–z, 0–9, Punkt, Unterstrich oder Bindestrich");
  }
  auto role = staffRoleFromString(account.role);
  if (!role) {
    return fail(ErrorCode::InvalidInput, "Rolle: admin, agent, moderator oder editor");
  }
  for (const auto& d : account.departments) {
    if (!validDepartment(d)) { return fail(ErrorCode::InvalidInput, "ungültige Abteilung"); }
  }
  if (passwordLength(account.password) < kMinPasswordChars) {
    return fail(ErrorCode::InvalidInput, "Das Passwort braucht mindestens 10 Zeichen");
  }
  auto hash = hashPassword(account.password, account.iterations);
  if (!hash) { return fail(hash.error().code, hash.error().detail); }
  StaffUser user;
  user.login = account.login;
  user.role = *role;
  user.departments = account.departments;
  std::sort(user.departments.begin(), user.departments.end());
  user.departments.erase(std::unique(user.departments.begin(), user.departments.end()),
                         user.departments.end());
  user.password_hash = *hash;
  user.must_change_password = account.must_change_password;
  auto id = store.createStaff(user, now);
  if (!id && id.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "Diesen Login gibt es schon");
  }
  return id;
}

Result<std::string> hashChosenPassword(const std::string& password, int iterations) {
  if (passwordLength(password) < kMinPasswordChars || password.size() > 256) {
    return fail(ErrorCode::InvalidInput, "Das Passwort braucht 10 bis 256 Zeichen");
  }
  return hashPassword(password, iterations);
}

std::string temporaryPassword() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  constexpr std::size_t kSize = sizeof(kAlphabet) - 1;  // 56 symbols
  std::string out;
  while (out.size() < 14) {
    for (unsigned char b : crypto::randomBytes(32)) {
      // Rejection sampling keeps every symbol equally likely.
      if (b < 256 - (256 % kSize) && out.size() < 14) { out.push_back(kAlphabet[b % kSize]); }
    }
  }
  return out;
}

}  // namespace bb::auth
