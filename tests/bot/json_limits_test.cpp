#include <doctest/doctest.h>

#include <string>

#include "bot/security/json_limits.hpp"

TEST_CASE("json limits: nesting is counted on raw bytes, strings and escapes skipped") {
  CHECK(bb::jsonDepthWithin(R"({"a":[1,{"b":2}]})", 3));
  CHECK_FALSE(bb::jsonDepthWithin(R"({"a":[1,{"b":2}]})", 2));
  CHECK(bb::jsonDepthWithin(R"({"text":"[[[[{{{{ \" [[[["})", 1));  // brackets inside a string
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  CHECK_FALSE(bb::jsonDepthWithin(deep, 64));
  CHECK(bb::jsonDepthWithin(deep, 1000));
}
