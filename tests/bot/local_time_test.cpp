// The one time formatter (bot/text/local_time.*) and the TZif reader under it
// (bot/text/time_zone.*): times a person reads are Europe/Berlin local time from the system's
// tzdata, across both DST changes, and also after the last transition a file lists.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bot/text/local_time.hpp"
#include "bot/text/time_zone.hpp"

namespace {

using namespace std::chrono;
using bb::SysTime;
using bb::TimeZone;

SysTime utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return SysTime{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi}};
}

std::string berlinFile() {
  std::ifstream in(std::string(bb::kDefaultZoneinfoDir) + "/Europe/Berlin", std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "tzdata is not installed (scripts/install-deps.sh)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) { out.push_back(static_cast<char>(v >> shift)); }
}

//! A version 2 TZif file with one time type (`offset`, designation "LMT"), the given transitions
//! (all to that type) and `footer` as its TZ string.
std::string tzif(std::int32_t offset, const std::vector<std::int64_t>& transitions,
                 const std::string& footer) {
  std::string out;
  auto header = [&out, &transitions] {
    out += "TZif2";
    out.append(15, '\0');
    for (const std::uint32_t n :
         {0U, 0U, 0U, static_cast<std::uint32_t>(transitions.size()), 1U, 4U}) {
      put32(out, n);
    }
  };
  header();
  for (const auto t : transitions) { put32(out, static_cast<std::uint32_t>(t)); }
  out.append(transitions.size(), '\0');
  put32(out, static_cast<std::uint32_t>(offset));
  out += std::string("\0\0LMT\0", 6);
  header();
  for (const auto t : transitions) {
    put32(out, static_cast<std::uint32_t>(static_cast<std::uint64_t>(t) >> 32));
    put32(out, static_cast<std::uint32_t>(t));
  }
  out.append(transitions.size(), '\0');
  put32(out, static_cast<std::uint32_t>(offset));
  out += std::string("\0\0LMT\0", 6);
  out += "\n" + footer + "\n";
  return out;
}

}  // namespace

TEST_CASE("local time: the DST changes of 2026 in Europe/Berlin") {
  // Spring: at 01:00 UTC the clocks go from 02:00 CET to 03:00 CEST.
  CHECK(bb::localDateTime(utc(2026, 3, 29, 0, 30)) == "29.03.2026 01:30");  // CET
  CHECK(bb::localDateTime(utc(2026, 3, 29, 1, 30)) == "29.03.2026 03:30");  // CEST
  // Autumn: at 01:00 UTC the clocks go from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
  CHECK(bb::localDateTime(utc(2026, 10, 25, 0, 30)) == "25.10.2026 02:30");  // CEST
  CHECK(bb::localDateTime(utc(2026, 10, 25, 1, 30)) == "25.10.2026 02:30");  // CET
  CHECK(bb::localDateTime(utc(2026, 3, 29, 0, 59)) == "29.03.2026 01:59");
  CHECK(bb::localDateTime(utc(2026, 3, 29, 1, 0)) == "29.03.2026 03:00");
  CHECK(bb::localDateTime(utc(2026, 10, 25, 0, 59)) == "25.10.2026 02:59");
  CHECK(bb::localDateTime(utc(2026, 10, 25, 1, 0)) == "25.10.2026 02:00");
}

TEST_CASE("local time: the date is the local one, also around midnight UTC") {
  CHECK(bb::localDate(utc(2026, 3, 28, 23, 30)) == "29.03.2026");
  CHECK(bb::localIsoDate(utc(2026, 3, 28, 23, 30)) == "2026-03-29");
  CHECK(bb::localDate(utc(2026, 7, 31, 22, 0)) == "01.08.2026");
  CHECK(bb::localDate(utc(2026, 7, 31, 21, 59)) == "31.07.2026");
  CHECK(bb::localDateTime(utc(2025, 12, 31, 23, 5)) == "01.01.2026 00:05");
  CHECK(bb::localIsoDate(utc(2026, 1, 5, 12, 0)) == "2026-01-05");
}

TEST_CASE(
    "local time: after the last transition of the file the footer rule "
    "decides") {
  // Debian's file lists transitions until 2037; later years come from "CET-1CEST,M3.5.0,M10.5.0/3"
  // (and a slim file lists none after 1996).
  CHECK(bb::localDateTime(utc(2040, 3, 25, 0, 30)) == "25.03.2040 01:30");
  CHECK(bb::localDateTime(utc(2040, 3, 25, 1, 30)) == "25.03.2040 03:30");
  CHECK(bb::localDateTime(utc(2040, 10, 28, 0, 30)) == "28.10.2040 02:30");
  CHECK(bb::localDateTime(utc(2040, 10, 28, 1, 30)) == "28.10.2040 02:30");
  CHECK(bb::localDateTime(utc(2040, 7, 1, 10, 0)) == "01.07.2040 12:00");

  auto slim = TimeZone::fromTzif(tzif(3600, {}, "CET-1CEST,M3.5.0,M10.5.0/3"));
  REQUIRE(slim.has_value());
  CHECK(slim->offsetAt(utc(2026, 3, 29, 0, 59)) == hours{1});
  CHECK(slim->offsetAt(utc(2026, 3, 29, 1, 0)) == hours{2});
  CHECK(slim->offsetAt(utc(2026, 10, 25, 0, 59)) == hours{2});
  CHECK(slim->offsetAt(utc(2026, 10, 25, 1, 0)) == hours{1});
  CHECK(slim->offsetAt(utc(2026, 1, 15, 12, 0)) == hours{1});

  // Before the first transition time type 0 applies; from the last one on, the footer.
  const std::int64_t y2000 = 946684800;
  auto listed = TimeZone::fromTzif(tzif(7200, {y2000}, "CET-1CEST,M3.5.0,M10.5.0/3"));
  REQUIRE(listed.has_value());
  CHECK(listed->offsetAt(utc(1999, 1, 1, 0, 0)) == hours{2});
  CHECK(listed->offsetAt(utc(2026, 1, 15, 12, 0)) == hours{1});
  auto no_rule = TimeZone::fromTzif(tzif(-18000, {y2000}, ""));
  REQUIRE(no_rule.has_value());
  CHECK(no_rule->offsetAt(utc(2026, 7, 1, 0, 0)) == hours{-5});
}

TEST_CASE("local time: POSIX TZ rules of other zones") {
  auto sydney = TimeZone::fromTzif(tzif(36000, {}, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
  REQUIRE(sydney.has_value());
  CHECK(sydney->offsetAt(utc(2026, 1, 15, 0, 0)) == hours{11});  // southern summer: DST
  CHECK(sydney->offsetAt(utc(2026, 7, 15, 0, 0)) == hours{10});
  auto new_york = TimeZone::fromTzif(tzif(-18000, {}, "EST5EDT,M3.2.0,M11.1.0"));
  REQUIRE(new_york.has_value());
  CHECK(new_york->offsetAt(utc(2026, 3, 8, 6, 59)) == hours{-5});
  CHECK(new_york->offsetAt(utc(2026, 3, 8, 7, 0)) == hours{-4});
  auto tehran = TimeZone::fromTzif(tzif(12600, {}, "<+0330>-3:30"));
  REQUIRE(tehran.has_value());
  CHECK(tehran->offsetAt(utc(2026, 7, 1, 0, 0)) == minutes{210});

  const auto rule = TimeZone::parseRule("CET-1CEST,M3.5.0,M10.5.0/3");
  REQUIRE(rule.has_value());
  CHECK(rule->std_offset == 3600);
  CHECK(rule->dst_offset == 7200);
  CHECK(rule->start.month == 3);
  CHECK(rule->start.week == 5);
  CHECK(rule->start.time == 7200);
  CHECK(rule->end.time == 10800);
  const auto julian = TimeZone::parseRule("XXX3YYY,J60/-1,300/26");
  REQUIRE(julian.has_value());
  CHECK(julian->start.kind == TimeZone::RuleDate::Kind::Julian1);
  CHECK(julian->start.time == -3600);
  CHECK(julian->end.kind == TimeZone::RuleDate::Kind::Julian0);
  CHECK(julian->end.time == 26 * 3600);
  for (const char* bad :
       {"", "CE-1", "CET", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-25",
        "CET-1CEST,M3.5.0,M10.5.0/3x", "<AB>-1"}) {
    CHECK_MESSAGE(!TimeZone::parseRule(bad).has_value(), bad);
  }
}

TEST_CASE(
    "local time: a damaged or missing zone file is an error, never a "
    "wrong time") {
  const std::string good = berlinFile();
  REQUIRE(TimeZone::fromTzif(good).has_value());
  CHECK_FALSE(TimeZone::fromTzif("").has_value());
  CHECK_FALSE(TimeZone::fromTzif("TZif2").has_value());
  CHECK_FALSE(TimeZone::fromTzif("XXif" + good.substr(4)).has_value());
  for (std::size_t cut : {std::size_t{44}, good.size() / 2, good.size() - 5}) {
    CHECK_FALSE(TimeZone::fromTzif(good.substr(0, cut)).has_value());
  }
  CHECK_FALSE(TimeZone::fromTzif(tzif(3600, {}, "CET-1CEST")).has_value());
  CHECK_FALSE(TimeZone::fromTzif(tzif(3600, {200, 100}, "")).has_value());  // out of order

  const auto missing = TimeZone::load("/nonexistent/Europe/Berlin");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == bb::ErrorCode::NotFound);
  const auto r = bb::loadLocalZone("/nonexistent");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().detail.find("Europe/Berlin") != std::string::npos);
  CHECK(r.error().detail.find("tzdata") != std::string::npos);
  // A failed load keeps the zone that was loaded before.
  CHECK(bb::localDateTime(utc(2026, 3, 29, 1, 30)) == "29.03.2026 03:30");
  REQUIRE(bb::loadLocalZone().has_value());
  CHECK(bb::localDateTime(utc(2026, 3, 29, 1, 30)) == "29.03.2026 03:30");
}

TEST_CASE("local time: form fields in local time become the right instants") {
  CHECK(bb::parseLocalDateTime("2026-07-01T12:00") == utc(2026, 7, 1, 10, 0));
  CHECK(bb::parseLocalDateTime("2026-01-15T08:05") == utc(2026, 1, 15, 7, 5));
  // 02:30 on 25 October happens twice: the first one (CEST) is meant.
  CHECK(bb::parseLocalDateTime("2026-10-25T02:30") == utc(2026, 10, 25, 0, 30));
  // 02:30 on 29 March does not exist: read as CET, which is 03:30 CEST.
  CHECK(bb::parseLocalDateTime("2026-03-29T02:30") == utc(2026, 3, 29, 1, 30));
  CHECK(bb::parseLocalDate("2026-04-01") == utc(2026, 3, 31, 22, 0));
  CHECK(bb::parseLocalDate("2026-12-24") == utc(2026, 12, 23, 23, 0));
  for (const char* bad : {"", "2026-07-01", "2026-07-01 12:00", "2026-13-01T12:00",
                          "2026-02-30T12:00", "2026-07-01T24:00", "2026-07-01T12:60",
                          "2026-07-01T12:00Z", "x026-07-01T12:00", "3000-01-01T00:00"}) {
    CHECK_MESSAGE(!bb::parseLocalDateTime(bad).has_value(), bad);
  }
  for (const char* bad : {"", "2026-7-01", "2026-02-29", "2026-04-01T00:00", "1899-12-31"}) {
    CHECK_MESSAGE(!bb::parseLocalDate(bad).has_value(), bad);
  }
}
