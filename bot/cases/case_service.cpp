#include "bot/cases/case_service.hpp"

#include <algorithm>

#include "bot/cases/ticket_status.hpp"
#include "bot/conversation/followers.hpp"
#include "bot/log.hpp"
#include "bot/security/crypto.hpp"

namespace bb {

bool ApiPrincipal::allows(const std::string& department) const {
  return std::any_of(departments.begin(), departments.end(),
                     [&department](const std::string& d) { return d == "*" || d == department; });
}

CaseService::CaseService(Engine& engine, Store& store, CaseStore& cases, const Clock& clock,
                         Random& random)
    : engine_(engine), store_(store), cases_(cases), clock_(clock), random_(random) {}

std::string CaseService::newApiKey(Random& random) { return "bbk_" + random.hex(24); }

std::string CaseService::hashApiKey(const std::string& key) { return crypto::sha256Hex(key); }

Result<std::string> CaseService::createApiKey(const std::string& name,
                                              const std::vector<std::string>& departments) {
  if (name.empty() || name.size() > 64) {
    return fail(ErrorCode::InvalidInput, "name must be 1..64 characters");
  }
  if (departments.empty()) { return fail(ErrorCode::InvalidInput, "at least one department"); }
  for (const auto& d : departments) {
    if (d.empty() || d.find(',') != std::string::npos) {
      return fail(ErrorCode::InvalidInput, "department names must not be empty or hold commas");
    }
  }
  std::string key = newApiKey(random_);
  auto added = cases_.addApiKey(name, hashApiKey(key), departments, clock_.now());
  if (!added) { return fail(added.error().code, added.error().detail); }
  return key;
}

std::optional<ApiPrincipal> CaseService::authenticate(const std::string& key) {
  if (key.empty() || key.size() > 200) { return std::nullopt; }
  auto keys = cases_.activeApiKeys();
  if (!keys) { return std::nullopt; }
  const std::string hash = hashApiKey(key);
  std::optional<ApiPrincipal> found;
  // Every stored hash is compared (no early exit), each comparison in constant time.
  for (const auto& k : *keys) {
    if (crypto::constantTimeEquals(hash, k.hash) && !found) {
      found = ApiPrincipal{k.name, k.departments};
    }
  }
  return found;
}

Result<TicketRecord> CaseService::ticketFor(const ApiPrincipal& who, std::int64_t number) {
  auto ticket = store_.ticketByNumber(number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  // Another department's ticket looks exactly like a missing one.
  if (!*ticket || !who.allows((*ticket)->department)) {
    return fail(ErrorCode::NotFound, "no such ticket");
  }
  return **ticket;
}

Result<void> CaseService::setStatus(const ApiPrincipal& who, std::int64_t number,
                                    const std::string& status, const std::string& note) {
  if (findTicketStatus(status) == nullptr) { return fail(ErrorCode::InvalidInput, "unknown status"); }
  if (note.size() > kMaxPublicNoteChars) { return fail(ErrorCode::TooLarge, "note too long"); }
  auto ticket = ticketFor(who, number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  if (ticket->status == status) {
    if (note.empty()) { return {}; }
    return addNote(who, number, note);
  }
  auto changed = engine_.changeTicketStatus(number, status, note, who.actor());
  if (changed) {
    log::info("backoffice_status", {{"ticket", std::to_string(number)}, {"system", who.name},
                                    {"status", status}});
  }
  return changed;
}

Result<void> CaseService::addNote(const ApiPrincipal& who, std::int64_t number,
                                  const std::string& note) {
  return addNoteKeyed(who, number, note, "");
}

Result<bool> CaseService::applyUpdate(const ApiPrincipal& who, std::int64_t number,
                                      const std::string& update_id, const std::string& status,
                                      const std::string& note) {
  const bool printable = std::all_of(update_id.begin(), update_id.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (update_id.empty() || update_id.size() > kMaxUpdateIdChars || !printable) {
    return fail(ErrorCode::InvalidInput, "update_id must be 1..100 printable ASCII characters");
  }
  if (status.empty() && note.empty()) {
    return fail(ErrorCode::InvalidInput, "status or note is required");
  }
  if (!status.empty() && findTicketStatus(status) == nullptr) {
    return fail(ErrorCode::InvalidInput, "unknown status");
  }
  if (note.size() > kMaxPublicNoteChars) { return fail(ErrorCode::TooLarge, "note too long"); }
  auto ticket = ticketFor(who, number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  // Per key name: two systems may use the same ids without meeting.
  const std::string key = who.name + ":" + update_id;
  auto seen = cases_.updateSeen(key);
  if (!seen) { return fail(seen.error().code, seen.error().detail); }
  if (*seen) { return false; }
  Result<void> done;
  if (!status.empty() && status != ticket->status) {
    done = changeStatusOnce(who, *ticket, status, note, key);
  } else if (!note.empty()) {
    done = addNoteKeyed(who, number, note, key);
  } else {
    return true;  // the status it already has, without a note: nothing to tell anybody
  }
  if (!done) {
    // The same id applied by a concurrent request in the meantime is a repeat, not a failure.
    auto again = cases_.updateSeen(key);
    if (again && *again) { return false; }
    return fail(done.error().code, done.error().detail);
  }
  log::info("backoffice_update", {{"ticket", std::to_string(number)}, {"system", who.name}});
  return true;
}

Result<void> CaseService::changeStatusOnce(const ApiPrincipal& who, const TicketRecord& ticket,
                                           const std::string& status, const std::string& note,
                                           const std::string& update_key) {
  // Engine::changeTicketStatus with the update id claimed in the change's own transaction.
  if (!transitionAllowed(ticket.status, status)) {
    return fail(ErrorCode::Conflict, "status change not allowed: " + ticket.status + " -> " + status);
  }
  auto news = followerNews(store_, engine_.replies(), ticket.number, status, note);
  if (!news) { return fail(news.error().code, news.error().detail); }
  StatusChange change;
  change.number = ticket.number;
  change.new_status = status;
  change.note = note;
  change.actor = who.actor();
  change.now = clock_.now();
  change.notifications = std::move(news->messages);
  change.withheld = news->withheld;
  return cases_.changeStatusOnce(change, update_key);
}

Result<void> CaseService::addNoteKeyed(const ApiPrincipal& who, std::int64_t number,
                                       const std::string& note, const std::string& update_key) {
  if (note.empty()) { return fail(ErrorCode::InvalidInput, "note must not be empty"); }
  if (note.size() > kMaxPublicNoteChars) { return fail(ErrorCode::TooLarge, "note too long"); }
  auto ticket = ticketFor(who, number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  // Followers hear the note with the status the ticket keeps.
  auto news = followerNews(store_, engine_.replies(), number, ticket->status, note);
  if (!news) { return fail(news.error().code, news.error().detail); }
  PublicNote n;
  n.number = number;
  n.note = note;
  n.actor = who.actor();
  n.now = clock_.now();
  n.notifications = std::move(news->messages);
  n.withheld = news->withheld;
  n.update_key = update_key;
  auto added = cases_.addPublicNote(n);
  if (added) {
    log::info("backoffice_note", {{"ticket", std::to_string(number)}, {"system", who.name}});
  }
  return added;
}

Result<void> CaseService::setExternalRef(const ApiPrincipal& who, std::int64_t number,
                                         const std::string& ref) {
  if (ref.empty() || ref.size() > kMaxExternalRefChars) {
    return fail(ErrorCode::InvalidInput, "ref must be 1..200 characters");
  }
  auto ticket = ticketFor(who, number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  return cases_.setExternalRef(number, ref, who.actor(), clock_.now());
}

Result<std::int64_t> CaseService::createRequest(const ApiPrincipal& who, NewTicket ticket) {
  if (!who.allows(ticket.department)) {
    return fail(ErrorCode::Unauthorized, "key not allowed for this department");
  }
  ticket.source = "open311:" + who.name;
  ticket.reporter.clear();
  ticket.status = kInitialTicketStatus;
  auto number = engine_.submitTicket(std::move(ticket));
  if (number) {
    log::info("backoffice_request", {{"ticket", std::to_string(*number)}, {"system", who.name}});
  }
  return number;
}

}  // namespace bb
