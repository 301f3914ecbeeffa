#include "webhooks/whatsapp/text_limits.hpp"

#include <utility>

#include "bot/text/utf8.hpp"

namespace bb::webhooks::whatsapp::text {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026, one UTF-16 unit

}  // namespace

std::size_t units(std::string_view utf8) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < utf8.size();) {
    const std::size_t n = sequenceLength(utf8, pos);
    count += n == 4 ? 2 : 1;
    pos += n;
  }
  return count;
}

std::string_view prefix(std::string_view utf8, std::size_t max_units) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const std::size_t n = sequenceLength(utf8, pos);
    const std::size_t u = n == 4 ? 2 : 1;
    if (count + u > max_units) { break; }
    count += u;
    pos += n;
  }
  return utf8.substr(0, pos);
}

std::string shorten(std::string_view utf8, std::size_t max_units) {
  if (units(utf8) <= max_units) { return std::string(utf8); }
  if (max_units == 0) { return {}; }
  std::string out(prefix(utf8, max_units - 1));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) { out.pop_back(); }
  out += kEllipsis;
  return out;
}

std::vector<std::string> split(std::string_view utf8, std::size_t max_units) {
  std::vector<std::string> pieces;
  if (max_units == 0) { return pieces; }
  std::string_view rest = utf8;
  while (!rest.empty()) {
    if (units(rest) <= max_units) {
      pieces.emplace_back(rest);
      break;
    }
    const std::string_view head = prefix(rest, max_units);
    std::size_t cut = head.size();
    const std::size_t newline = head.rfind('\n');
    const std::size_t space = head.rfind(' ');
    if (newline != std::string_view::npos && newline + 1 > head.size() / 2) {
      cut = newline + 1;
    } else if (space != std::string_view::npos && space + 1 > head.size() / 2) {
      cut = space + 1;
    }
    if (cut == 0) { cut = sequenceLength(rest, 0); }  // cannot happen for max_units ≥ 2
    std::string piece(rest.substr(0, cut));
    while (piece.size() > 1 && (piece.back() == ' ' || piece.back() == '\n')) {
      piece.pop_back();
    }
    pieces.push_back(std::move(piece));
    rest.remove_prefix(cut);
  }
  return pieces;
}

std::size_t tailStart(std::string_view utf8, std::size_t max_units) {
  if (units(utf8) <= max_units) { return 0; }
  std::size_t start = utf8.size();
  std::size_t count = 0;
  while (start > 0) {
    std::size_t lead = start - 1;
    while (lead > 0 && start - lead < 4 &&
           (static_cast<unsigned char>(utf8[lead]) & 0xC0) == 0x80) {
      --lead;
    }
    std::size_t n = sequenceLength(utf8, lead);
    if (n != start - lead) {  // a stray byte: it stands alone
      lead = start - 1;
      n = 1;
    }
    const std::size_t u = n == 4 ? 2 : 1;
    if (count + u > max_units) { break; }
    count += u;
    start = lead;
  }
  const std::string_view tail = utf8.substr(start);
  const std::size_t half = tail.size() / 2;
  const std::size_t newline = tail.find('\n');
  if (newline != std::string_view::npos && newline < half) { return start + newline + 1; }
  const std::size_t space = tail.find(' ');
  if (space != std::string_view::npos && space < half) { return start + space + 1; }
  return start;
}

}  // namespace bb::webhooks::whatsapp::text
