#pragma once
// UTF-8 aware length limits for WhatsApp's character limits. Lengths are counted in UTF-16 code
// units: never less than the number of characters, so a cut that fits here fits Meta's limit.
// Characters are decoded by bot/text/utf8.hpp: a byte of an invalid sequence counts as one unit
// and is never split further.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bb::webhooks::whatsapp::text {

//! Length in UTF-16 code units.
std::size_t units(std::string_view utf8);

//! The longest prefix of at most `max_units` that ends on a code point boundary.
std::string_view prefix(std::string_view utf8, std::size_t max_units);

//! `utf8` if it fits, else a prefix plus "…" that fits `max_units` (max_units ≥ 1).
std::string shorten(std::string_view utf8, std::size_t max_units);

//! Splits into pieces of at most `max_units` each, preferring a break after a newline, then
//! after a space, in the second half of a piece; never inside a code point. Empty input → {}.
std::vector<std::string> split(std::string_view utf8, std::size_t max_units);

//! Byte offset where a tail of at most `max_units` begins (0 if everything fits). The tail is
//! as long as possible, but starts after a newline, else after a space, when one lies in its
//! first half.
std::size_t tailStart(std::string_view utf8, std::size_t max_units);

}  // namespace bb::webhooks::whatsapp::text
