#pragma once
// Times in SQLite columns: milliseconds since the epoch (UTC), in every table.

#include <cstdint>

#include "bot/types.hpp"

namespace bb::storage {

std::int64_t toMillis(SysTime t);
SysTime fromMillis(std::int64_t ms);

}  // namespace bb::storage
