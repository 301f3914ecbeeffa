#pragma once
// The one UTF-8 decoder of the service. Hygiene at the edge: form fields and query parameters are
// bytes, not text. An invalid sequence stored as is would later break every JSON writer (nlohmann
// throws on invalid UTF-8) and show up raw in pages. JSON bodies need no help: the parser refuses
// invalid UTF-8. Lengths and cuts: limits on what people type or read count characters (code
// points), never bytes, and a cut never splits a character. flows/ keeps a counter of its own
// (flows/machine.cpp): it may use nothing outside the standard library.

#include <cstddef>
#include <string>
#include <string_view>

namespace bb {

//! `s` with every invalid UTF-8 sequence (stray continuation bytes, truncated sequences, overlong
//! forms, surrogates, code points above U+10FFFF) replaced by U+FFFD. Valid input is unchanged.
std::string toValidUtf8(std::string_view s);

bool isValidUtf8(std::string_view s);

//! Byte length of the UTF-8 sequence that starts at `s[pos]` (pos < s.size()): 1 to 4 for a valid
//! sequence, 1 for a byte that starts none (such a byte then counts as a character of its own).
std::size_t sequenceLength(std::string_view s, std::size_t pos);

//! Characters (code points) in `s`; each byte of an invalid sequence counts as one.
std::size_t codePoints(std::string_view s);

//! `s` if it has at most `max_kept` characters, else its first `max_kept` characters and "…".
std::string ellipsize(std::string_view s, std::size_t max_kept);

}  // namespace bb
