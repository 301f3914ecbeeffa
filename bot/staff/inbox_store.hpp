#pragma once
// The staff inbox's repository port: staff accounts, sessions, the audit log and the ticket
// queries and changes the inbox needs beyond the engine's Store. storage/ implements it on
// SQLite (storage/sqlite_inbox_store.*) and PostgreSQL (storage/postgresql/pg_inbox_store.*).
// Every change that a staff member makes writes its audit entry in the same transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bot/result.hpp"
#include "bot/conversation/store.hpp"
#include "bot/types.hpp"

namespace bb {

enum class StaffRole { Admin, Agent, Moderator, Editor };

const char* toString(StaffRole role);
std::optional<StaffRole> staffRoleFromString(const std::string& name);

struct StaffUser {
  std::int64_t id = 0;
  std::string login;
  StaffRole role = StaffRole::Agent;
  std::vector<std::string> departments;  //!< sorted; agents see only these tickets
  std::string password_hash;             //!< bot/staff/password.hpp stored form
  bool disabled = false;
  //! Set by an admin's reset and for the demo account: until the member chose a new password,
  //! every page leads to the password form.
  bool must_change_password = false;
  SysTime created_at{};
};

//! A member's daily digest by mail (docs/inbox.md): counts of new work, off until turned on.
struct DigestSetting {
  std::string email;
  bool enabled = false;
  std::string last_day;           //!< "2026-12-03": the Berlin day last done; empty: never
  std::optional<SysTime> sent_at;  //!< when the last digest went out
  int failed_tries = 0;           //!< failed tries on failed_day
  std::string last_error;         //!< why the last try failed (never the address); empty: none
  std::optional<SysTime> failed_at;
};

//! An account whose digest for a day is still to do.
struct DigestDue {
  StaffUser user;
  std::string email;
  int failed_tries = 0;  //!< failures already counted on that day
};

//! A server-side session. The cookie holds the random id; only its SHA-256 is stored.
struct StaffSession {
  std::string id_hash;
  std::int64_t staff_id = 0;
  std::string csrf_token;  //!< per session, in every form
  SysTime created_at{};
  SysTime last_seen_at{};
};

//! One staff action: who, what, when, which ticket. Never message content.
struct AuditEntry {
  std::int64_t id = 0;
  SysTime at{};
  std::int64_t staff_id = 0;
  std::string actor;   //!< the staff login
  std::string action;  //!< login, logout, reply, status, note, assign, category, merge, ...
  std::int64_t ticket_number = 0;  //!< 0: none
  std::string detail;  //!< ids and states only (e.g. "status=erledigt")
};

enum class TicketSort { Newest, Oldest, Updated };

//! A rectangle of the map (WGS84 degrees): the list filtered to the tickets inside it.
struct MapArea {
  double south = 0;
  double west = 0;
  double north = 0;
  double east = 0;
};

//! A ticket list query. Everything is optional except the department scope.
struct TicketQuery {
  bool all_departments = false;          //!< admins
  std::vector<std::string> departments;  //!< the scope otherwise (empty scope: no tickets)
  std::string status;                    //!< a status id, "open", "closed" or empty (all)
  std::string category;
  std::string department;
  std::string channel;
  bool unassigned = false;
  std::int64_t assignee = 0;           //!< 0: any
  bool unread = false;                 //!< only tickets with an unread citizen message
  std::optional<SysTime> created_before;  //!< age filter
  std::string search;                  //!< a ticket number or words of the text
  std::optional<MapArea> area;         //!< only tickets with a point inside (a map cluster)
  TicketSort sort = TicketSort::Newest;
  //! Keyset cursor: the last row of the previous page (id, and updated_at for Updated).
  std::int64_t after_id = 0;
  std::int64_t after_updated_ms = 0;
  int limit = 50;
};

struct InboxTicket {
  TicketRecord ticket;
  std::int64_t assignee_id = 0;
  std::string assignee_login;
  //! The oldest citizen message no staff member has opened the ticket since; none: all read.
  std::optional<SysTime> unread_since;
};

//! New work of one department: tickets nobody has triaged yet (status eingegangen) and citizen
//! messages no staff member has opened since they arrived (each text and each photo counts).
struct NewWork {
  std::string department;
  std::int64_t new_tickets = 0;
  std::int64_t new_messages = 0;
};

struct TicketPage {
  std::vector<InboxTicket> rows;
  bool has_more = false;
};

//! A ticket with a point, as the inbox map draws it.
struct TicketPlace {
  std::int64_t number = 0;
  std::string status;
  double lat = 0;
  double lon = 0;
};

//! One entry of a ticket's thread, with the delivery state of its outbound message, if any.
struct ThreadEntry {
  std::int64_t id = 0;
  std::string kind;   //!< created, bot_message, staff_reply, status_changed, internal_note, ...
  std::string actor;  //!< citizen, bot, staff:<login>, system
  std::string status;
  std::string body;
  SysTime at{};
  std::int64_t outbox_id = 0;
  std::string outbox_status;  //!< queued, sent, delivered, read, failed, dead
  std::string outbox_error;
  std::string outbox_payload;  //!< serialized OutboundMessage
  std::int64_t media_id = 0;   //!< citizen_message: the photo sent with it (0: none)
};

//! A photo as the inbox may serve it: the ticket it belongs to decides who may see it.
struct InboxMedia {
  std::int64_t media_id = 0;
  std::int64_t ticket_number = 0;
  std::string department;
  std::string status;  //!< only "ready" is served
  std::string content_id;
  std::string mime_type;
};

class InboxStore {
public:
  virtual ~InboxStore() = default;

  // ---- staff accounts ----
  //! Conflict when the login exists (case-insensitive).
  virtual Result<std::int64_t> createStaff(const StaffUser& user, SysTime now) = 0;
  virtual Result<std::optional<StaffUser>> staffByLogin(const std::string& login) = 0;
  virtual Result<std::optional<StaffUser>> staffById(std::int64_t id) = 0;
  virtual Result<std::vector<StaffUser>> listStaff() = 0;
  virtual Result<std::int64_t> staffCount() = 0;
  //! Changes role, departments and the disabled flag; disabling ends the user's sessions.
  virtual Result<void> updateStaff(std::int64_t id, StaffRole role,
                                   const std::vector<std::string>& departments, bool disabled,
                                   const AuditEntry& audit) = 0;
  //! Stores a new password hash and the must-change flag, and ends every session of the account
  //! except `keep_session_hash` (empty: all of them). NotFound for an unknown account.
  virtual Result<void> setPassword(std::int64_t id, const std::string& password_hash,
                                   bool must_change, const std::string& keep_session_hash,
                                   const AuditEntry& audit) = 0;
  //! Ends every session of the account ("überall abmelden").
  virtual Result<void> endAllSessions(std::int64_t staff_id, const AuditEntry& audit) = 0;

  // ---- digest by mail ----
  virtual Result<std::optional<DigestSetting>> digestSetting(std::int64_t staff_id) = 0;
  //! Stores address and on/off; clears an earlier failure (the member may have fixed the address).
  virtual Result<void> setDigest(std::int64_t staff_id, const std::string& email, bool enabled,
                                 const AuditEntry& audit) = 0;
  //! Enabled digests of active accounts not yet done on `day` ("YYYY-MM-DD", Berlin).
  virtual Result<std::vector<DigestDue>> digestsDue(const std::string& day) = 0;
  //! The day is done: `sent_at` when a mail went out, nullopt when there was nothing new.
  virtual Result<void> recordDigestDone(std::int64_t staff_id, const std::string& day,
                                        std::optional<SysTime> sent_at) = 0;
  //! A try failed; after `max_tries` on one day the day counts as done (the error stays shown).
  virtual Result<void> recordDigestFailure(std::int64_t staff_id, const std::string& day,
                                           const std::string& error, SysTime at, int max_tries) = 0;

  // ---- sessions ----
  virtual Result<void> createSession(const StaffSession& session) = 0;
  virtual Result<std::optional<StaffSession>> session(const std::string& id_hash) = 0;
  virtual Result<void> touchSession(const std::string& id_hash, SysTime now) = 0;
  virtual Result<void> deleteSession(const std::string& id_hash) = 0;

  // ---- failed logins (the throttle's counters, kept across restarts) ----
  //! Records one failure of `key_hash` at `at` and forgets every failure before `forget_before`.
  virtual Result<void> recordLoginFailure(const std::string& key_hash, SysTime at,
                                          SysTime forget_before) = 0;
  //! Failures at or after `since`, oldest first.
  virtual Result<std::vector<std::pair<std::string, SysTime>>> loginFailuresSince(SysTime since) = 0;
  virtual Result<void> clearLoginFailures(const std::string& key_hash) = 0;

  // ---- audit ----
  virtual Result<void> addAudit(const AuditEntry& entry) = 0;
  //! Newest first, entries with id < before_id (0: from the newest).
  virtual Result<std::vector<AuditEntry>> auditLog(std::int64_t before_id, int limit) = 0;
  virtual Result<std::vector<AuditEntry>> auditOfTicket(std::int64_t number) = 0;

  // ---- tickets ----
  virtual Result<TicketPage> listTickets(const TicketQuery& query) = 0;
  //! The points of the tickets `query` selects (every page, its cursor ignored), in its sort
  //! order, at most `limit` + 1 (one more than `limit` tells there are more).
  virtual Result<std::vector<TicketPlace>> ticketPlaces(const TicketQuery& query, int limit) = 0;
  //! Tickets per status under the query's filters (its status filter and cursor ignored).
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> statusCounts(
      const TicketQuery& query) = 0;
  virtual Result<std::optional<InboxTicket>> inboxTicket(std::int64_t number) = 0;
  virtual Result<std::vector<ThreadEntry>> thread(std::int64_t number) = 0;
  virtual Result<std::optional<InboxMedia>> ticketMedia(std::int64_t media_id) = 0;
  //! Tickets with an unread citizen message under the query's scope (for the navigation).
  virtual Result<std::int64_t> unreadCount(const TicketQuery& query) = 0;
  //! New tickets and unread citizen messages per department under the query's scope (its
  //! department scope only), departments without any left out.
  virtual Result<std::vector<NewWork>> newWork(const TicketQuery& scope) = 0;
  //! A staff member opened the ticket: its citizen messages are read for the whole team.
  virtual Result<void> markCitizenMessagesRead(std::int64_t number) = 0;

  // ---- staff changes (each writes `audit` in the same transaction) ----
  //! Queues `message` in the outbox and adds a staff_reply event with `body`.
  virtual Result<void> addStaffReply(std::int64_t number, const NewOutbound& message,
                                     const std::string& body, const AuditEntry& audit) = 0;
  //! A staff reply to a reporter who stopped notifications: stored in the thread (a
  //! staff_reply event with status "withheld"), nothing queued, no reply window opened.
  virtual Result<void> addUnsentStaffReply(std::int64_t number, const std::string& body,
                                           const AuditEntry& audit) = 0;
  virtual Result<void> addInternalNote(std::int64_t number, const std::string& body,
                                       const AuditEntry& audit) = 0;
  //! assignee 0 removes the assignment.
  virtual Result<void> assign(std::int64_t number, std::int64_t assignee,
                              const AuditEntry& audit) = 0;
  virtual Result<void> recategorize(std::int64_t number, const std::string& category,
                                    const std::string& department, const AuditEntry& audit) = 0;
  //! The duplicate's followers become followers of the target; both threads note the merge.
  virtual Result<void> mergeFollowers(std::int64_t duplicate, std::int64_t target,
                                      const AuditEntry& audit) = 0;
};

}  // namespace bb
