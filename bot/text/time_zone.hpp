#pragma once
// A time zone's rules read from a TZif file (RFC 8536), the format of Debian's tzdata under
// /usr/share/zoneinfo. g++ 12 has no std::chrono::locate_zone, so the few lines that matter are
// read here: the UTC offsets between transitions and, for instants after the last transition, the
// POSIX TZ rule in the file's footer ("CET-1CEST,M3.5.0,M10.5.0/3"). A "slim" file keeps only the
// footer for today's rules, so the footer is not optional.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

//! Rules of one zone. Copyable, immutable after construction, safe to share between threads.
class TimeZone {
public:
  //! A TZif file's bytes (version 1 to 4). Errors for anything that is not a well-formed file.
  static Result<TimeZone> fromTzif(std::string_view bytes);
  //! Reads and parses the file at `path` (at most 1 MiB).
  static Result<TimeZone> load(const std::string& path);

  //! Offset from UTC in force at `t` (local time = t + offset).
  std::chrono::seconds offsetAt(SysTime t) const;

  //! The UTC instant of the local wall time `local` (its time since the epoch read as if it were
  //! UTC). A time that occurs twice (the hour after DST ends) is its first occurrence; a time that
  //! does not exist (skipped when DST begins) is read with the offset before the change.
  SysTime fromLocal(std::chrono::sys_seconds local) const;

  //! One part of a POSIX TZ rule: a day of the year and a local time of day.
  struct RuleDate {
    enum class Kind { MonthWeekDay, Julian1, Julian0 } kind = Kind::MonthWeekDay;
    int month = 0;                 //!< Mm.w.d: 1..12
    int week = 0;                  //!< 1..5 (5: the last such weekday of the month)
    int weekday = 0;               //!< 0 = Sunday
    int day = 0;                   //!< Jn: 1..365 (February 29 never counted); n: 0..365
    std::int32_t time = 2 * 3600;  //!< seconds after local midnight (may be negative or > 24 h)
  };
  //! The footer: standard offset, and a DST offset with its start and end when the zone has DST.
  struct Rule {
    std::int32_t std_offset = 0;  //!< seconds east of UTC
    std::optional<std::int32_t> dst_offset;
    RuleDate start;
    RuleDate end;
  };
  //! Parses a POSIX TZ string as TZif footers hold it (RFC 8536 §3.3). Exposed for tests.
  static std::optional<Rule> parseRule(std::string_view tz);

private:
  std::int32_t offsetAtSeconds(std::int64_t unix_seconds) const;

  std::vector<std::int64_t> transitions_;  //!< Unix seconds, ascending
  std::vector<std::int32_t> offsets_;      //!< offset in force from transitions_[i] on
  std::int32_t initial_offset_ = 0;        //!< before the first transition (time type 0)
  std::optional<Rule> rule_;               //!< after the last transition
};

}  // namespace bb
