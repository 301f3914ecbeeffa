#pragma once
// What back-office systems may do, shared by the Open311 endpoints and /api/v1: API keys (stored
// as SHA-256, compared in constant time, scoped to departments), status changes through
// Engine::changeTicketStatus (so followers hear about them), public notes, external references,
// and new requests through Engine::submitTicket (so they enter the case queue).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/cases/case_store.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"

namespace bb {

//! An authenticated back-office system.
struct ApiPrincipal {
  std::string name;
  std::vector<std::string> departments;  //!< "*" = every department
  bool allows(const std::string& department) const;
  std::string actor() const { return "backoffice:" + name; }
};

inline constexpr std::size_t kMaxPublicNoteChars = 2000;
inline constexpr std::size_t kMaxExternalRefChars = 200;
inline constexpr std::size_t kMaxUpdateIdChars = 100;

class CaseService {
public:
  CaseService(Engine& engine, Store& store, CaseStore& cases, const Clock& clock, Random& random);

  //! A fresh key ("bbk_" + 48 hex characters).
  static std::string newApiKey(Random& random);
  static std::string hashApiKey(const std::string& key);
  //! Creates a key for `name` scoped to `departments`; returns the key (shown once).
  Result<std::string> createApiKey(const std::string& name,
                                   const std::vector<std::string>& departments);
  //! The system owning `key`, if any. Compares against every stored hash in constant time.
  std::optional<ApiPrincipal> authenticate(const std::string& key);

  //! The ticket if it exists and lies in the principal's departments (else NotFound).
  Result<TicketRecord> ticketFor(const ApiPrincipal& who, std::int64_t number);
  //! Status change (+ optional public note) through Engine::changeTicketStatus. The same status
  //! with a note becomes a public note; the same status without one changes nothing.
  Result<void> setStatus(const ApiPrincipal& who, std::int64_t number, const std::string& status,
                         const std::string& note);
  //! A public note to every follower, queued for the back office like any change.
  Result<void> addNote(const ApiPrincipal& who, std::int64_t number, const std::string& note);
  //! An update keyed by the system's own id (a status and/or a public note): the first call
  //! applies it (true); a repeat of the same id by the same key name changes nothing and tells
  //! no citizen again (false), also when both arrive at the same time.
  Result<bool> applyUpdate(const ApiPrincipal& who, std::int64_t number,
                           const std::string& update_id, const std::string& status,
                           const std::string& note);
  Result<void> setExternalRef(const ApiPrincipal& who, std::int64_t number, const std::string& ref);
  //! A new request from another system; checks the principal's scope for the department.
  Result<std::int64_t> createRequest(const ApiPrincipal& who, NewTicket ticket);

  const FlowData& flowData() const { return engine_.flowData(); }
  CaseStore& cases() { return cases_; }
  const Clock& clock() const { return clock_; }

private:
  Result<void> changeStatusOnce(const ApiPrincipal& who, const TicketRecord& ticket,
                                const std::string& status, const std::string& note,
                                const std::string& update_key);
  Result<void> addNoteKeyed(const ApiPrincipal& who, std::int64_t number, const std::string& note,
                            const std::string& update_key);

  Engine& engine_;
  Store& store_;
  CaseStore& cases_;
  const Clock& clock_;
  Random& random_;  //!< API keys
};

}  // namespace bb
