#pragma once
// The one formatter for times a person reads: citizen texts, the staff inbox (list, ticket, audit),
// the follow page and the public participation page show the city's local time, Europe/Berlin, with
// the zone rules of the system's tzdata. Machine formats (Atom, Open311, the JSON APIs, the
// back-office push, logs) stay UTC in RFC 3339 and never come through here.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

inline constexpr std::string_view kLocalZoneName = "Europe/Berlin";
inline constexpr std::string_view kDefaultZoneinfoDir = "/usr/share/zoneinfo";

//! Loads Europe/Berlin from `zoneinfo_dir` and makes it the zone of every function below. `serve`
//! and `check-config` call it first and refuse to start when it fails. Until it has been called,
//! the zone is loaded from kDefaultZoneinfoDir on first use.
Result<void> loadLocalZone(const std::string& zoneinfo_dir = std::string(kDefaultZoneinfoDir));

//! "29.03.2026"
std::string localDate(SysTime t);
//! "29.03.2026 03:30"
std::string localDateTime(SysTime t);
//! "2026-03-29" (the value of an HTML date field)
std::string localIsoDate(SysTime t);
//! The local calendar day of `t` (for counting days as people do: 00:30 in Berlin is already
//! the next day, although UTC still says the one before).
std::chrono::sys_days localDay(SysTime t);
//! The local hour of the day, 0..23 (the staff digest goes out from a configured local hour).
int localHour(SysTime t);

//! The instant of a local wall time given as "YYYY-MM-DDTHH:MM" (an HTML datetime-local field). A
//! time that occurs twice when DST ends is its first occurrence; one skipped when DST begins is
//! read as standard time (02:30 → 03:30 CEST).
std::optional<SysTime> parseLocalDateTime(std::string_view text);
//! Local midnight of "YYYY-MM-DD" (an HTML date field).
std::optional<SysTime> parseLocalDate(std::string_view text);

}  // namespace bb
