#pragma once
// UTF-8 hygiene at the edge (issue 14): form fields and query parameters are bytes, not text. An
// invalid sequence stored as is would later break every JSON writer (nlohmann throws on invalid
// UTF-8) and show up raw in pages. JSON bodies need no help: the parser refuses invalid UTF-8.

#include <string>
#include <string_view>

namespace bb {

//! `s` with every invalid UTF-8 sequence (stray continuation bytes, truncated sequences, overlong
//! forms, surrogates, code points above U+10FFFF) replaced by U+FFFD. Valid input is unchanged.
std::string toValidUtf8(std::string_view s);

bool isValidUtf8(std::string_view s);

}  // namespace bb
