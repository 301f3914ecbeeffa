#pragma once
// The text of a mail as it goes over SMTP (RFC 5322 with MIME, RFC 2047 for the subject): plain
// UTF-8 text, base64 encoded so no server needs 8BITMIME and no line of the body can end the DATA
// phase or start a header.

#include <string>

#include "bot/ports.hpp"

namespace bb::mail {

//! CR, LF or other control characters in an address or subject would let text start a new header.
bool headerSafe(const std::string& value);

//! "=?UTF-8?B?...?=" words for a subject with non-ASCII characters; ASCII stays as it is.
std::string encodeSubject(const std::string& subject);

//! "Thu, 03 Dec 2026 13:45:25 +0000"
std::string rfc5322Date(SysTime t);

//! The whole message, CRLF line ends: Date, From, To, Subject, Message-ID, MIME headers,
//! Auto-Submitted (so out-of-office replies stay away), then the base64 body in 76-column lines.
std::string renderMail(const MailMessage& mail, const std::string& from, SysTime date,
                       const std::string& message_id);

}  // namespace bb::mail
