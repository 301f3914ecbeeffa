#pragma once
// The case queue and back-office port: the queue the push forwarder drains, the API keys
// of back-office systems, and the public (Open311) view of tickets. storage/ implements it on
// SQLite (storage/sqlite_case_store.cpp). Queue entries are appended by the Store itself, inside
// the transaction of the change they describe (commitStep, changeStatus, addPublicNote).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/cases/deliveries.hpp"
#include "bot/result.hpp"
#include "bot/conversation/store.hpp"
#include "bot/staff/inbox_store.hpp"
#include "bot/types.hpp"

namespace bb {

//! One entry of the case queue.
struct CaseEntry {
  std::int64_t id = 0;  //!< sequence; also the delivery id sent to the back office
  std::int64_t ticket_number = 0;
  std::string department;  //!< the ticket's department when the entry was appended (routing)
  std::string event_type;  //!< created | status_changed | note | recategorized | merged | message | citizen_message
  std::string payload;     //!< Open311-shaped JSON without personal data (bot/cases/case_payload.hpp)
  SysTime created_at{};
  std::string state;  //!< pending | delivered | dead | discarded (by staff, with an audit entry)
  int tries = 0;
  SysTime next_attempt_at{};
  int last_status = 0;  //!< HTTP status of the last try (0: transport error)
  std::string last_error;
  //! citizen_message: the thread events (ids first..last) whose text and photos are sent.
  std::int64_t thread_first = 0;
  std::int64_t thread_last = 0;
};

struct CaseQueueCounts {
  std::int64_t pending = 0;
  std::int64_t delivered = 0;
  std::int64_t dead = 0;
};

//! A back-office system's key. Only the SHA-256 of the key is stored.
struct ApiKeyRecord {
  std::int64_t id = 0;
  std::string name;
  std::string hash;                      //!< hex SHA-256 of the key
  std::vector<std::string> departments;  //!< "*" means every department
  SysTime created_at{};
  bool revoked = false;
  SysTime revoked_at{};  //!< when `revoked`
};

//! A ticket as the public may see it: no reporter, no channel, no citizen text.
struct PublicTicket {
  std::int64_t number = 0;
  std::string kind;
  std::string category_id;
  std::string department;
  std::string status;
  std::optional<double> lat;  //!< exact; callers round to the public grid before output
  std::optional<double> lon;
  SysTime created_at{};
  SysTime updated_at{};
  std::optional<SysTime> closed_at;
  std::string public_description;  //!< only what staff published (default empty)
  std::string status_note;         //!< the latest public note (status change or note)
  std::string external_ref;
  std::string district_id;
};

struct PublicTicketQuery {
  std::vector<std::int64_t> numbers;  //!< when set, overrides every other filter (Open311)
  std::vector<std::string> category_ids;
  std::optional<SysTime> start;  //!< created_at >= start
  std::optional<SysTime> end;    //!< created_at <= end
  std::optional<bool> closed;    //!< open only / closed only / both
  int limit = 1000;
  int offset = 0;
};

//! A cleaned photo of a ticket (content-addressed in the media store).
struct CasePhoto {
  std::int64_t media_id = 0;
  std::string content_id;
  std::string mime_type;
};

//! What the citizen reported, for the ticket's own department only (the `report` of the push,
//! GET /api/v1/tickets/{n}): read when it is sent, so an erased or anonymized ticket sends
//! nothing of it any more.
struct CaseReport {
  std::string description;
  std::string address;
  std::string extra_answer;
  std::optional<double> lat;  //!< exact
  std::optional<double> lon;
  std::vector<CasePhoto> photos;  //!< ready photos, in the order the citizen sent them
  //! Ready photos the citizen sent later into the ticket's thread (their links may be sent too).
  std::vector<CasePhoto> message_photos;
};

//! What a citizen wrote into a ticket's thread (a citizen_message entry), read when the entry is
//! sent: empty once the citizen erased their data.
struct CitizenThreadMessage {
  std::string text;
  std::vector<CasePhoto> photos;  //!< ready ones only
};

//! A public update of a ticket (status change or public note), for servicerequestupdates.
struct PublicUpdate {
  std::int64_t id = 0;  //!< the ticket event id
  std::int64_t number = 0;
  std::string kind;    //!< status_changed | public_note
  std::string status;  //!< the ticket's status after the update
  std::string note;    //!< public note (may be empty)
  SysTime at{};
};

//! A public note to the followers of a ticket (no status change), with the notifications the
//! caller rendered; committed with its queue entry in one transaction.
struct PublicNote {
  std::int64_t number = 0;
  std::string note;
  std::string actor;
  SysTime now{};
  std::vector<NewOutbound> notifications;
  int withheld = 0;  //!< followers who stopped notifications and are not told
  //! A back-office update id ("<key name>:<update_id>"); when set and already claimed, the
  //! store changes nothing (the repeat of an update that was applied).
  std::string update_key;
};

class CaseStore {
public:
  virtual ~CaseStore() = default;

  // ---- queue ----
  //! Of `department`'s entries, the oldest undelivered entry of each ticket, if it is pending and
  //! due at `now` (a pending or dead entry blocks the later entries of its ticket: order per
  //! ticket holds; a discarded one does not), oldest first.
  virtual Result<std::vector<CaseEntry>> dueCaseEntries(const std::string& department, SysTime now,
                                                        int limit) = 0;
  //! The departments that have pending entries due at `now`.
  virtual Result<std::vector<std::string>> dueCaseDepartments(SysTime now) = 0;
  //! Pending entries per department (parked entries of departments without a URL show here).
  virtual Result<std::map<std::string, std::int64_t>> pendingByDepartment() = 0;
  virtual Result<void> markCaseEntry(std::int64_t id, const std::string& state, int tries,
                                     SysTime next_attempt_at, int last_status,
                                     const std::string& error, SysTime now) = 0;
  //! Dead letters, oldest first (staff view).
  virtual Result<std::vector<CaseEntry>> deadCaseEntries(int limit) = 0;
  //! Puts a dead entry back to pending with its tries reset.
  virtual Result<void> requeueCaseEntry(std::int64_t id, SysTime now) = 0;
  //! Gives a dead entry up for good ('discarded'): the later entries of its ticket go on.
  //! NotFound when `id` is not a dead entry.
  virtual Result<void> discardCaseEntry(std::int64_t id, SysTime now) = 0;
  virtual Result<CaseQueueCounts> caseQueueCounts() = 0;

  // ---- deliveries that need staff (bot/cases/deliveries.hpp) ----
  //! Dead back-office entries and failed or dead messages to citizens, oldest first.
  virtual Result<std::vector<DeliveryProblem>> deliveryProblems(int limit) = 0;
  virtual Result<std::int64_t> deliveryProblemCount() = 0;
  //! Back into its queue, tries reset, due at `now`; a message gets the citizen's sealed address
  //! back (a final row lost it). `audit` (its ticket filled in) is written in the same
  //! transaction. NotFound when it is not a failed delivery, or the citizen was erased.
  virtual Result<void> retryDelivery(DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                                     AuditEntry audit) = 0;
  //! Given up for good ('discarded'; a ticket's later entries go on), audited like a retry.
  virtual Result<void> discardDelivery(DeliveryProblem::Kind kind, std::int64_t id, SysTime now,
                                       AuditEntry audit) = 0;
  virtual Result<std::vector<CaseEntry>> caseEntriesOf(std::int64_t ticket_number) = 0;

  // ---- API keys ----
  virtual Result<std::int64_t> addApiKey(const std::string& name, const std::string& hash,
                                         const std::vector<std::string>& departments,
                                         SysTime now) = 0;
  //! Every key not revoked (the caller compares hashes in constant time).
  virtual Result<std::vector<ApiKeyRecord>> activeApiKeys() = 0;
  //! Every key, revoked ones too, by name (`apikey list`).
  virtual Result<std::vector<ApiKeyRecord>> apiKeys() = 0;
  //! Refused from the next request on (keys are looked up per request). NotFound when no
  //! active key has this name.
  virtual Result<void> revokeApiKey(const std::string& name, SysTime now) = 0;

  // ---- public view and back-office changes ----
  virtual Result<std::vector<PublicTicket>> publicTickets(const PublicTicketQuery& query) = 0;
  virtual Result<std::optional<PublicTicket>> publicTicket(std::int64_t number) = 0;
  //! Public updates of defects between `start` and `end`, oldest first, `limit` from `offset`.
  virtual Result<std::vector<PublicUpdate>> publicUpdates(SysTime start, SysTime end, int limit,
                                                          int offset) = 0;
  virtual Result<void> addPublicNote(const PublicNote& note) = 0;
  //! Whether a back-office update id ("<key name>:<update_id>") was already applied.
  virtual Result<bool> updateSeen(const std::string& update_key) = 0;
  //! Store::changeStatus that first claims `update_key` in the same transaction: when it was
  //! claimed before, nothing changes and nobody is told again. NotFound for an unknown ticket.
  virtual Result<void> changeStatusOnce(const StatusChange& change,
                                        const std::string& update_key) = 0;
  //! Case queue entries after `after_id` of the given departments ("*": all), oldest first:
  //! the change feed of GET /api/v1/changes.
  virtual Result<std::vector<CaseEntry>> caseEntriesAfter(std::int64_t after_id,
                                                          const std::vector<std::string>& departments,
                                                          int limit) = 0;
  //! The citizen's report of ticket `number` (nullopt: no such ticket).
  virtual Result<std::optional<CaseReport>> caseReport(std::int64_t number) = 0;
  //! The citizen's message to ticket `number` stored as thread events first..last.
  virtual Result<CitizenThreadMessage> citizenMessage(std::int64_t number, std::int64_t first,
                                                      std::int64_t last) = 0;
  virtual Result<void> setExternalRef(std::int64_t number, const std::string& ref,
                                      const std::string& actor, SysTime now) = 0;
  //! Staff publish (or, with an empty text, withdraw) a public description of a ticket.
  virtual Result<void> setPublicDescription(std::int64_t number, const std::string& text,
                                            const std::string& actor, SysTime now) = 0;
};

}  // namespace bb
