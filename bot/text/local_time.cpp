#include "bot/text/local_time.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include "bot/text/time_zone.hpp"

namespace bb {
namespace {

std::mutex g_mutex;
std::shared_ptr<const TimeZone> g_zone;
bool g_tried = false;

std::shared_ptr<const TimeZone> zone() {
  std::lock_guard lock(g_mutex);
  if (!g_tried) {
    g_tried = true;
    auto loaded =
        TimeZone::load(std::string(kDefaultZoneinfoDir) + "/" + std::string(kLocalZoneName));
    if (loaded) { g_zone = std::make_shared<const TimeZone>(std::move(*loaded)); }
  }
  return g_zone;
}

struct Civil {
  std::chrono::year_month_day date;
  std::chrono::hh_mm_ss<std::chrono::seconds> time;
  bool utc = false;  //!< the zone could not be loaded: the time is UTC and must say so
};

Civil civil(SysTime t) {
  const auto z = zone();
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto local = z ? secs + z->offsetAt(t) : secs;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  return Civil{std::chrono::year_month_day{day},
               std::chrono::hh_mm_ss<std::chrono::seconds>{local - day}, z == nullptr};
}

std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) { return std::nullopt; }
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') { return std::nullopt; }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

//! "YYYY-MM-DD" at the start of `text` as a valid date in years 1900..2200 (the nanosecond clock
//! ends in 2262).
std::optional<std::chrono::sys_days> readDate(std::string_view text) {
  const auto y = digits(text, 0, 4);
  const auto m = digits(text, 5, 2);
  const auto d = digits(text, 8, 2);
  if (!y || !m || !d || text[4] != '-' || text[7] != '-' || *y < 1900 || *y > 2200) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) { return std::nullopt; }
  return std::chrono::sys_days{ymd};
}

SysTime fromLocal(std::chrono::sys_seconds local) {
  const auto z = zone();
  return z ? z->fromLocal(local) : SysTime{local};
}

}  // namespace

std::chrono::sys_days localDay(SysTime t) { return std::chrono::sys_days{civil(t).date}; }

int localHour(SysTime t) { return static_cast<int>(civil(t).time.hours().count()); }

Result<void> loadLocalZone(const std::string& zoneinfo_dir) {
  const std::string path = zoneinfo_dir + "/" + std::string(kLocalZoneName);
  auto loaded = TimeZone::load(path);
  if (!loaded) {
    return fail(loaded.error().code,
                "time zone " + std::string(kLocalZoneName) +
                    " cannot be loaded (install Debian's tzdata): " + loaded.error().detail);
  }
  std::lock_guard lock(g_mutex);
  g_zone = std::make_shared<const TimeZone>(std::move(*loaded));
  g_tried = true;
  return {};
}

std::string localDate(SysTime t) {
  const Civil c = civil(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%04d", static_cast<unsigned>(c.date.day()),
                static_cast<unsigned>(c.date.month()), static_cast<int>(c.date.year()));
  return buf;
}

std::string localDateTime(SysTime t) {
  const Civil c = civil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%04d %02d:%02d%s", static_cast<unsigned>(c.date.day()),
                static_cast<unsigned>(c.date.month()), static_cast<int>(c.date.year()),
                static_cast<int>(c.time.hours().count()), static_cast<int>(c.time.minutes().count()),
                c.utc ? " UTC" : "");
  return buf;
}

std::string localIsoDate(SysTime t) {
  const Civil c = civil(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(c.date.year()),
                static_cast<unsigned>(c.date.month()), static_cast<unsigned>(c.date.day()));
  return buf;
}

std::optional<SysTime> parseLocalDateTime(std::string_view text) {
  if (text.size() != 16 || text[10] != 'T' || text[13] != ':') { return std::nullopt; }
  const auto day = readDate(text);
  const auto h = digits(text, 11, 2);
  const auto m = digits(text, 14, 2);
  if (!day || !h || !m || *h > 23 || *m > 59) { return std::nullopt; }
  return fromLocal(*day + std::chrono::hours{*h} + std::chrono::minutes{*m});
}

std::optional<SysTime> parseLocalDate(std::string_view text) {
  if (text.size() != 10) { return std::nullopt; }
  const auto day = readDate(text);
  if (!day) { return std::nullopt; }
  return fromLocal(std::chrono::sys_seconds{*day});
}

}  // namespace bb
