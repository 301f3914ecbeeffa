#pragma once
// Machine timestamps: RFC 3339 in UTC, for Atom, Open311, the JSON APIs, the back-office push and
// stored sync marks. Times a person reads come from bot/text/local_time.hpp instead.

#include <string>
#include <string_view>

#include "bot/types.hpp"

namespace bb {

//! "2026-03-29T01:30:00Z" (whole seconds, UTC). `zone` replaces the "Z" where a peer expects
//! another spelling of UTC ("+00:00").
std::string rfc3339Utc(SysTime t, std::string_view zone = "Z");

}  // namespace bb
