#include "bot/text/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace bb {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::size_t kMaxFileBytes = 1024 * 1024;
constexpr std::uint32_t kMaxTransitions = 100000;
constexpr std::int64_t kDay = 86400;

//! Big-endian reads over the file's bytes; any read past the end clears `ok`.
struct Reader {
  std::string_view bytes;
  std::size_t pos = 0;
  bool ok = true;

  bool has(std::size_t n) {
    if (!ok || bytes.size() - pos < n) { ok = false; }
    return ok;
  }
  std::uint64_t unsignedBytes(std::size_t n) {
    if (!has(n)) { return 0; }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v = (v << 8U) | static_cast<unsigned char>(bytes[pos + i]);
    }
    pos += n;
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(unsignedBytes(4)); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::int64_t i64() { return static_cast<std::int64_t>(unsignedBytes(8)); }
  std::uint8_t u8() { return static_cast<std::uint8_t>(unsignedBytes(1)); }
  void skip(std::size_t n) {
    if (has(n)) { pos += n; }
  }
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

std::optional<Header> readHeader(Reader& r) {
  if (!r.has(5) || r.bytes.substr(r.pos, 4) != "TZif") { return std::nullopt; }
  Header h;
  h.version = r.bytes[r.pos + 4];
  r.skip(20);  // magic, version, 15 unused bytes
  h.isutcnt = r.u32();
  h.isstdcnt = r.u32();
  h.leapcnt = r.u32();
  h.timecnt = r.u32();
  h.typecnt = r.u32();
  h.charcnt = r.u32();
  // RFC 8536 §3.1: at least one time type and one designation byte; the indicator counts are 0 or
  // the number of types.
  if (!r.ok || h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0 || h.timecnt > kMaxTransitions ||
      h.leapcnt > kMaxTransitions || (h.isutcnt != 0 && h.isutcnt != h.typecnt) ||
      (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
      (h.version != '\0' && (h.version < '2' || h.version > '4'))) {
    return std::nullopt;
  }
  return h;
}

std::size_t blockBytes(const Header& h, std::size_t time_bytes) {
  return h.timecnt * time_bytes + h.timecnt + h.typecnt * 6U + h.charcnt +
         h.leapcnt * (time_bytes + 4U) + h.isstdcnt + h.isutcnt;
}

//! Reads "[+-]h[h][:mm[:ss]]" as seconds; hours up to `max_hours`.
std::optional<std::int32_t> readHms(std::string_view& s, int max_hours) {
  int sign = 1;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  auto digits = [&s](std::size_t max_len) -> std::optional<int> {
    std::size_t n = 0;
    int v = 0;
    while (n < s.size() && n < max_len && s[n] >= '0' && s[n] <= '9') {
      v = v * 10 + (s[n] - '0');
      ++n;
    }
    if (n == 0) { return std::nullopt; }
    s.remove_prefix(n);
    return v;
  };
  const auto h = digits(3);
  if (!h || *h > max_hours) { return std::nullopt; }
  int m = 0;
  int sec = 0;
  if (!s.empty() && s.front() == ':') {
    s.remove_prefix(1);
    const auto mm = digits(2);
    if (!mm || *mm > 59) { return std::nullopt; }
    m = *mm;
    if (!s.empty() && s.front() == ':') {
      s.remove_prefix(1);
      const auto ss = digits(2);
      if (!ss || *ss > 59) { return std::nullopt; }
      sec = *ss;
    }
  }
  return sign * (*h * 3600 + m * 60 + sec);
}

//! A zone designation: three or more letters, or <...> with letters, digits, '+' and '-'.
bool readName(std::string_view& s) {
  std::size_t n = 0;
  if (!s.empty() && s.front() == '<') {
    const auto close = s.find('>');
    if (close == std::string_view::npos || close < 4) { return false; }
    for (std::size_t i = 1; i < close; ++i) {
      const char c = s[i];
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '-';
      if (!ok) { return false; }
    }
    s.remove_prefix(close + 1);
    return true;
  }
  while (n < s.size() && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))) { ++n; }
  if (n < 3) { return false; }
  s.remove_prefix(n);
  return true;
}

std::optional<int> readNumber(std::string_view& s, int lo, int hi) {
  std::size_t n = 0;
  int v = 0;
  while (n < s.size() && n < 3 && s[n] >= '0' && s[n] <= '9') {
    v = v * 10 + (s[n] - '0');
    ++n;
  }
  if (n == 0 || v < lo || v > hi) { return std::nullopt; }
  s.remove_prefix(n);
  return v;
}

std::optional<TimeZone::RuleDate> readRuleDate(std::string_view& s) {
  using Kind = TimeZone::RuleDate::Kind;
  TimeZone::RuleDate d;
  if (!s.empty() && s.front() == 'M') {
    s.remove_prefix(1);
    const auto month = readNumber(s, 1, 12);
    if (!month || s.empty() || s.front() != '.') { return std::nullopt; }
    s.remove_prefix(1);
    const auto week = readNumber(s, 1, 5);
    if (!week || s.empty() || s.front() != '.') { return std::nullopt; }
    s.remove_prefix(1);
    const auto weekday = readNumber(s, 0, 6);
    if (!weekday) { return std::nullopt; }
    d.kind = Kind::MonthWeekDay;
    d.month = *month;
    d.week = *week;
    d.weekday = *weekday;
  } else if (!s.empty() && s.front() == 'J') {
    s.remove_prefix(1);
    const auto day = readNumber(s, 1, 365);
    if (!day) { return std::nullopt; }
    d.kind = Kind::Julian1;
    d.day = *day;
  } else {
    const auto day = readNumber(s, 0, 365);
    if (!day) { return std::nullopt; }
    d.kind = Kind::Julian0;
    d.day = *day;
  }
  if (!s.empty() && s.front() == '/') {
    s.remove_prefix(1);
    const auto time = readHms(s, 167);  // RFC 8536 §3.3.1 extends the hour range to -167..167
    if (!time) { return std::nullopt; }
    d.time = *time;
  }
  return d;
}

//! Local midnight of the rule's day in `year`, as days since the epoch.
std::int64_t ruleDay(const TimeZone::RuleDate& d, int year) {
  using Kind = TimeZone::RuleDate::Kind;
  const std::chrono::year y{year};
  const sys_days jan1{y / std::chrono::January / 1};
  if (d.kind == Kind::Julian0) { return (jan1 + days{d.day}).time_since_epoch().count(); }
  if (d.kind == Kind::Julian1) {
    const int leap = y.is_leap() && d.day >= 60 ? 1 : 0;  // Jn never counts February 29
    return (jan1 + days{d.day - 1 + leap}).time_since_epoch().count();
  }
  const std::chrono::month m{static_cast<unsigned>(d.month)};
  const std::chrono::weekday wd{static_cast<unsigned>(d.weekday)};
  sys_days day = d.week == 5 ? sys_days{y / m / wd[std::chrono::last]}
                             : sys_days{y / m / wd[static_cast<unsigned>(d.week)]};
  return day.time_since_epoch().count();
}

int yearOf(std::int64_t unix_seconds) {
  const auto day =
      std::chrono::floor<days>(std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}});
  return static_cast<int>(std::chrono::year_month_day{day}.year());
}

std::int32_t ruleOffset(const TimeZone::Rule& rule, std::int64_t t) {
  if (!rule.dst_offset) { return rule.std_offset; }
  const int year = yearOf(t + rule.std_offset);
  // Each change happens at a local time read in the offset in force before it.
  const std::int64_t start = ruleDay(rule.start, year) * kDay + rule.start.time - rule.std_offset;
  const std::int64_t end = ruleDay(rule.end, year) * kDay + rule.end.time - *rule.dst_offset;
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? *rule.dst_offset : rule.std_offset;
}

}  // namespace

std::optional<TimeZone::Rule> TimeZone::parseRule(std::string_view tz) {
  Rule rule;
  if (!readName(tz)) { return std::nullopt; }
  const auto std_offset = readHms(tz, 24);
  if (!std_offset) { return std::nullopt; }
  rule.std_offset = -*std_offset;  // POSIX counts hours west of UTC
  if (tz.empty()) { return rule; }
  if (!readName(tz)) { return std::nullopt; }
  rule.dst_offset = rule.std_offset + 3600;
  if (!tz.empty() && tz.front() != ',') {
    const auto dst_offset = readHms(tz, 24);
    if (!dst_offset) { return std::nullopt; }
    rule.dst_offset = -*dst_offset;
  }
  // The rule is optional in POSIX, but a TZif footer always has one (RFC 8536 §3.3).
  if (tz.empty() || tz.front() != ',') { return std::nullopt; }
  tz.remove_prefix(1);
  const auto start = readRuleDate(tz);
  if (!start || tz.empty() || tz.front() != ',') { return std::nullopt; }
  tz.remove_prefix(1);
  const auto end = readRuleDate(tz);
  if (!end || !tz.empty()) { return std::nullopt; }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

Result<TimeZone> TimeZone::fromTzif(std::string_view bytes) {
  Reader r{bytes};
  auto header = readHeader(r);
  if (!header) { return fail(ErrorCode::InvalidInput, "tzif: bad header"); }
  std::size_t time_bytes = 4;
  if (header->version != '\0') {
    // Version 2 and later repeat the data with 64-bit times after the version 1 block.
    r.skip(blockBytes(*header, 4));
    header = readHeader(r);
    if (!header) { return fail(ErrorCode::InvalidInput, "tzif: bad second header"); }
    time_bytes = 8;
  }
  if (!r.has(blockBytes(*header, time_bytes))) {
    return fail(ErrorCode::InvalidInput, "tzif: truncated data");
  }
  TimeZone zone;
  zone.transitions_.reserve(header->timecnt);
  for (std::uint32_t i = 0; i < header->timecnt; ++i) {
    const std::int64_t t = time_bytes == 8 ? r.i64() : r.i32();
    if (!zone.transitions_.empty() && t <= zone.transitions_.back()) {
      return fail(ErrorCode::InvalidInput, "tzif: transitions out of order");
    }
    zone.transitions_.push_back(t);
  }
  std::vector<std::uint8_t> type_of(header->timecnt);
  for (auto& type : type_of) {
    type = r.u8();
    if (type >= header->typecnt) { return fail(ErrorCode::InvalidInput, "tzif: bad type index"); }
  }
  std::vector<std::int32_t> type_offsets(header->typecnt);
  for (auto& offset : type_offsets) {
    offset = r.i32();
    r.skip(2);  // isdst, designation index
    if (offset == INT32_MIN || offset < -25 * 3600 || offset > 26 * 3600) {
      return fail(ErrorCode::InvalidInput, "tzif: bad offset");
    }
  }
  r.skip(header->charcnt + header->leapcnt * (time_bytes + 4U) + header->isstdcnt +
         header->isutcnt);
  zone.initial_offset_ = type_offsets[0];
  for (const auto type : type_of) { zone.offsets_.push_back(type_offsets[type]); }
  if (time_bytes == 8) {
    // Footer: "\n" TZ string "\n"; an empty string means no rule after the last transition.
    if (!r.has(2) || r.bytes[r.pos] != '\n') {
      return fail(ErrorCode::InvalidInput, "tzif: no footer");
    }
    const auto close = r.bytes.find('\n', r.pos + 1);
    if (close == std::string_view::npos) {
      return fail(ErrorCode::InvalidInput, "tzif: no footer");
    }
    const std::string_view tz = r.bytes.substr(r.pos + 1, close - r.pos - 1);
    if (!tz.empty()) {
      zone.rule_ = parseRule(tz);
      if (!zone.rule_) { return fail(ErrorCode::InvalidInput, "tzif: bad footer rule"); }
    }
  }
  if (!r.ok) { return fail(ErrorCode::InvalidInput, "tzif: truncated data"); }
  return zone;
}

Result<TimeZone> TimeZone::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) { return fail(ErrorCode::NotFound, "cannot open " + path); }
  std::string bytes;
  bytes.resize(kMaxFileBytes + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > kMaxFileBytes) { return fail(ErrorCode::TooLarge, path + ": too large"); }
  auto zone = fromTzif(bytes);
  if (!zone) { return fail(zone.error().code, path + ": " + zone.error().detail); }
  return zone;
}

std::int32_t TimeZone::offsetAtSeconds(std::int64_t t) const {
  if (transitions_.empty() || t < transitions_.front()) {
    return transitions_.empty() && rule_ ? ruleOffset(*rule_, t) : initial_offset_;
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  const auto i = static_cast<std::size_t>(std::distance(transitions_.begin(), it)) - 1;
  if (i + 1 == transitions_.size() && rule_) { return ruleOffset(*rule_, t); }
  return offsets_[i];
}

std::chrono::seconds TimeZone::offsetAt(SysTime t) const {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  return std::chrono::seconds{offsetAtSeconds(secs)};
}

SysTime TimeZone::fromLocal(std::chrono::sys_seconds local) const {
  const std::int64_t l = local.time_since_epoch().count();
  const std::int32_t before = offsetAtSeconds(l - kDay);
  const std::int32_t after = offsetAtSeconds(l + kDay);
  const std::int64_t first = l - before;
  const std::int64_t second = l - after;
  const bool first_ok = offsetAtSeconds(first) == before;
  const bool second_ok = offsetAtSeconds(second) == after;
  std::int64_t utc = first;  // also for a skipped time: read with the offset before the change
  if (first_ok && second_ok) {
    utc = std::min(first, second);
  } else if (second_ok) {
    utc = second;
  }
  return SysTime{std::chrono::seconds{utc}};
}

}  // namespace bb
