#pragma once
// The public, Open311-shaped view of a ticket and of one change to it: used for the case queue
// payload (what the back office receives) and for the Open311 endpoints. What is stored in the
// queue holds nothing personal: no reporter pseudonym, no channel, no citizen text (only what
// staff published), coordinates rounded to the public grid. The citizen's report (text, address,
// exact position, photo links) is added only when an entry is sent (caseReportJson), from the
// ticket as it is then, so an erased ticket's queue entries carry none of it. See
// docs/api/backoffice-push.md (payload version 2).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "bot/cases/case_store.hpp"
#include "bot/types.hpp"

namespace bb {

//! What the payload is built from (read inside the change's transaction).
struct CaseSnapshot {
  std::int64_t number = 0;
  std::string kind;  //!< defect | letter
  std::string category_id;
  std::string department;
  std::string district_id;
  std::string status;
  std::optional<double> lat;  //!< exact; rounded on output
  std::optional<double> lon;
  SysTime created_at{};
  SysTime updated_at{};
  std::optional<SysTime> closed_at;
  std::string public_description;  //!< only what staff published
  std::string external_ref;
};

//! W3C datetime in UTC: 2026-11-18T10:05:00Z.
std::string w3cTime(SysTime t);
//! Parses a W3C datetime with a mandatory zone (Z or ±HH:MM), or a bare date (midnight UTC).
std::optional<SysTime> parseW3cTime(const std::string& text);

//! Rounds a coordinate pair to the centre of its cell on a grid of `grid_m` metres (0: exact).
struct RoundedPoint {
  double lat = 0;
  double lon = 0;
};
RoundedPoint roundToGrid(double lat, double lon, double grid_m);

//! Open311 "open" | "closed" for one of our statuses.
const char* open311Status(const std::string& status);
//! The mySociety extended status (lower case) for one of our statuses.
const char* extendedStatus(const std::string& status);
//! Our status for a mySociety extended status (either case); empty for UNCHANGED or unknown.
std::string statusFromExtended(const std::string& extended, bool& known);

//! The version of the push body and of GET /api/v1/tickets/{n} (`payload_version`).
inline constexpr int kCasePayloadVersion = 2;

//! What a queue entry says beyond the ticket itself (fields by event type).
struct CaseChange {
  std::string note;             //!< status_changed, note: the public note (may be empty)
  std::string from_category;    //!< recategorized: before the change
  std::string from_department;  //!< recategorized
  std::int64_t merged_into = 0;  //!< merged: the ticket that carries on
  std::string message;           //!< message: what staff wrote to the citizen
  //! citizen_message: the thread events it stands for (the text is not stored in the queue).
  std::int64_t thread_first = 0;
  std::int64_t thread_last = 0;
};

//! The queue entry payload (a JSON object text) for `event_type` with an optional public note.
std::string casePayload(const CaseSnapshot& ticket, const std::string& event_type,
                        const std::string& note, SysTime at, double grid_m);
std::string casePayload(const CaseSnapshot& ticket, const std::string& event_type,
                        const CaseChange& change, SysTime at, double grid_m);

class PhotoUrlSigner;

//! The Open311-shaped `service_request` object (public fields, coordinates on the grid).
nlohmann::json serviceRequestJson(const CaseSnapshot& ticket, double grid_m);
//! The snapshot of a ticket as the public view reads it.
CaseSnapshot snapshotOf(const PublicTicket& ticket);
//! One entry of GET /api/v1/changes: the stored payload with its cursor (the entry id) and
//! every key of version 2 present.
nlohmann::json changeEntryJson(const CaseEntry& entry);

//! The `report` object of payload v2: the citizen's text, address, extra answer, exact position
//! and signed links to the ready photos (none without a signer), at `now`.
nlohmann::json caseReportJson(const CaseReport& report, std::int64_t number,
                              const PhotoUrlSigner* signer, SysTime now);
//! The `message` object of a citizen_message entry: the text (null once erased) and signed links
//! to its ready photos, at `now`. `message == nullptr`: nothing could be read (both empty).
nlohmann::json citizenMessageJson(const CitizenThreadMessage* message, std::int64_t number,
                                  const PhotoUrlSigner* signer, SysTime now);

}  // namespace bb
