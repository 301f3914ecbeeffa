#pragma once
// The public, Open311-shaped view of a ticket and of one change to it: used for the case queue
// payload (what the back office receives) and for the Open311 endpoints. Nothing personal goes in:
// no reporter pseudonym, no channel, no citizen text (only what staff published), coordinates
// rounded to the public grid. See docs/api/backoffice-push.md.

#include <cstdint>
#include <optional>
#include <string>

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

//! The queue entry payload (a JSON object text) for `event_type` with an optional public note.
std::string casePayload(const CaseSnapshot& ticket, const std::string& event_type,
                        const std::string& note, SysTime at, double grid_m);

}  // namespace bb
