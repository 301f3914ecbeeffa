#include "bot/text/utf8.hpp"

namespace bb {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

//! Length of the valid sequence starting at `i`, or 0 when it is invalid.
std::size_t validSequence(std::string_view s, std::size_t i) {
  const auto b = [&s](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) { return 1; }
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3;
    lo = 0xA0;  // no overlong forms
  } else if (c == 0xED) {
    n = 3;
    hi = 0x9F;  // no UTF-16 surrogates
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) { return 0; }
  if (b(i + 1) < lo || b(i + 1) > hi) { return 0; }
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) { return 0; }
  }
  return n;
}

}  // namespace

std::size_t sequenceLength(std::string_view s, std::size_t pos) {
  const std::size_t n = validSequence(s, pos);
  return n == 0 ? 1 : n;
}

std::size_t codePoints(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); i += sequenceLength(s, i)) { ++count; }
  return count;
}

std::string ellipsize(std::string_view s, std::size_t max_kept) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); i += sequenceLength(s, i)) {
    if (count == max_kept) { return std::string(s.substr(0, i)) + "\xE2\x80\xA6"; }  // U+2026
    ++count;
  }
  return std::string(s);
}

bool isValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = validSequence(s, i);
    if (n == 0) { return false; }
    i += n;
  }
  return true;
}

std::string toValidUtf8(std::string_view s) {
  if (isValidUtf8(s)) { return std::string(s); }
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = validSequence(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace bb
