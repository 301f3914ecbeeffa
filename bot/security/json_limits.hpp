#pragma once
// Limits checked on raw request bytes before any JSON parser sees them.

#include <cstddef>
#include <string_view>

namespace bb {

//! False when objects/arrays nest deeper than `max_depth` (strings and escapes are skipped), so
//! a hostile body cannot drive a recursive parser deep. Cheap: one pass, no allocation.
bool jsonDepthWithin(std::string_view body, std::size_t max_depth);

}  // namespace bb
