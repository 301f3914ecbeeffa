#include "bot/mail/mail_format.hpp"

#include <algorithm>
#include <ctime>

#include <openssl/evp.h>

namespace bb::mail {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

//! Body text with CRLF line ends, encoded and cut into lines of 76 characters (RFC 2045).
std::string base64Body(const std::string& text) {
  std::string crlf;
  crlf.reserve(text.size() + text.size() / 40);
  for (char ch : text) {
    if (ch == '\n') {
      crlf += "\r\n";
    } else if (ch != '\r') {
      crlf += ch;
    }
  }
  const std::string encoded = base64(crlf);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    out += encoded.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

}  // namespace

bool headerSafe(const std::string& value) {
  return std::none_of(value.begin(), value.end(),
                      [](unsigned char ch) { return ch < ' ' || ch == 0x7f; });
}

std::string encodeSubject(const std::string& subject) {
  if (std::all_of(subject.begin(), subject.end(), [](unsigned char ch) { return ch < 0x80; })) {
    return subject;
  }
  // Encoded words of at most 75 characters (RFC 2047); 39 bytes give 52 base64 characters, so
  // even the first line with "Subject: " stays within 78. A word must not split a UTF-8
  // character, so a cut moves back to a character's first byte.
  std::string out;
  std::size_t i = 0;
  while (i < subject.size()) {
    std::size_t end = std::min(subject.size(), i + 39);
    while (end < subject.size() && end > i + 1 &&
           (static_cast<unsigned char>(subject[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) { out += "\r\n "; }
    out += "=?UTF-8?B?" + base64(subject.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string rfc5322Date(SysTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string renderMail(const MailMessage& mail, const std::string& from, SysTime date,
                       const std::string& message_id) {
  std::string out;
  out += "Date: " + rfc5322Date(date) + "\r\n";
  out += "From: " + encodeSubject("Bürgerbox") + " <" + from + ">\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Subject: " + encodeSubject(mail.subject) + "\r\n";
  out += "Message-ID: <" + message_id + ">\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n";
  out += base64Body(mail.text);
  return out;
}

}  // namespace bb::mail
