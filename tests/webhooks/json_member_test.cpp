// The one JSON member reader of the wire parsers (webhooks/json_member.*): absent members and
// members of another type read as "not there", never as an exception.

#include <doctest/doctest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "webhooks/json_member.hpp"

using nlohmann::json;
namespace wh = bb::webhooks;

TEST_CASE("json member: each reader checks the type and never throws") {
  const json obj = json::parse(R"({"s":"text","o":{"a":1},"a":[1,2],"i":-7,"u":18446744073709551615,
    "big":9223372036854775807,"d":1.5,"t":true,"f":false,"n":null})");
  CHECK(wh::member(obj, "n") != nullptr);
  CHECK(wh::member(obj, "missing") == nullptr);
  CHECK(wh::objectMember(obj, "o") == &obj["o"]);
  CHECK(wh::objectMember(obj, "a") == nullptr);
  CHECK(wh::arrayMember(obj, "a") == &obj["a"]);
  CHECK(wh::arrayMember(obj, "o") == nullptr);
  CHECK(wh::stringMember(obj, "s") == "text");
  CHECK(wh::stringMember(obj, "i").empty());
  CHECK(wh::stringMember(obj, "missing").empty());
  CHECK(wh::int64Member(obj, "i") == -7);
  CHECK(wh::int64Member(obj, "big") == INT64_MAX);
  CHECK_FALSE(wh::int64Member(obj, "u").has_value());  // above int64: not an id we can hold
  CHECK_FALSE(wh::int64Member(obj, "d").has_value());
  CHECK_FALSE(wh::int64Member(obj, "s").has_value());
  CHECK(wh::numberMember(obj, "d") == 1.5);
  CHECK(wh::numberMember(obj, "i") == -7.0);
  CHECK_FALSE(wh::numberMember(obj, "s").has_value());
  CHECK(wh::isTrue(obj, "t"));
  CHECK_FALSE(wh::isTrue(obj, "f"));
  CHECK_FALSE(wh::isTrue(obj, "i"));
  CHECK_FALSE(wh::isTrue(obj, "missing"));
  // Not an object at all: every reader answers "not there".
  for (const json& other : {json(nullptr), json(3), json("x"), json::array({1}),
                            json(json::value_t::discarded)}) {
    CHECK(wh::member(other, "s") == nullptr);
    CHECK(wh::stringMember(other, "s").empty());
    CHECK_FALSE(wh::int64Member(other, "i").has_value());
    CHECK_FALSE(wh::numberMember(other, "d").has_value());
    CHECK_FALSE(wh::isTrue(other, "t"));
  }
}

TEST_CASE("json member: a non-finite number is no number") {
  // The parser already refuses 1e400; a value built in code may still hold one.
  CHECK(json::parse(R"({"lat":1e400})", nullptr, false).is_discarded());
  const json obj = {{"lat", std::numeric_limits<double>::infinity()},
                    {"lon", -std::numeric_limits<double>::infinity()},
                    {"nan", std::numeric_limits<double>::quiet_NaN()}};
  CHECK_FALSE(wh::numberMember(obj, "lat").has_value());
  CHECK_FALSE(wh::numberMember(obj, "lon").has_value());
  CHECK_FALSE(wh::numberMember(obj, "nan").has_value());
}
