#include "bot/staff/inbox_store.hpp"

namespace bb {

const char* toString(StaffRole role) {
  switch (role) {
    case StaffRole::Admin: return "admin";
    case StaffRole::Agent: return "agent";
    case StaffRole::Moderator: return "moderator";
    case StaffRole::Editor: return "editor";
  }
  return "agent";
}

std::optional<StaffRole> staffRoleFromString(const std::string& name) {
  for (auto r : {StaffRole::Admin, StaffRole::Agent, StaffRole::Moderator, StaffRole::Editor}) {
    if (name == toString(r)) { return r; }
  }
  return std::nullopt;
}

}  // namespace bb
