#pragma once
// HTML helpers: every citizen-supplied string is escaped on output.

#include <map>
#include <string>

namespace bb::web {

std::string escapeHtml(const std::string& s);
//! Replaces `{{NAME}}` placeholders with already-escaped values.
std::string fillTemplate(std::string text, const std::map<std::string, std::string>& values);

//! The strict Content-Security-Policy of every page: nothing from elsewhere, no inline code.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace bb::web
