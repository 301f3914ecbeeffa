// Issue 14: invalid UTF-8 from form fields and query parameters becomes U+FFFD at the edge.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "bot/http/http.hpp"
#include "bot/text/utf8.hpp"

TEST_CASE("utf8: valid text is unchanged, every invalid sequence becomes U+FFFD") {
  const std::string valid = "Straße, Bürger – 😀 ok";
  CHECK(bb::isValidUtf8(valid));
  CHECK(bb::toValidUtf8(valid) == valid);
  const std::string r = "\xEF\xBF\xBD";
  CHECK(bb::toValidUtf8("a\xFF" "b") == "a" + r + "b");          // never valid
  CHECK(bb::toValidUtf8("a\x80") == "a" + r);                     // stray continuation
  CHECK(bb::toValidUtf8("\xC3") == r);                            // truncated
  CHECK(bb::toValidUtf8("\xC0\xAF") == r + r);                    // overlong "/"
  CHECK(bb::toValidUtf8("\xE0\x80\xAF") == r + r + r);            // overlong
  CHECK(bb::toValidUtf8("\xED\xA0\x80") == r + r + r);            // surrogate U+D800
  CHECK(bb::toValidUtf8("\xF4\x90\x80\x80") == r + r + r + r);    // above U+10FFFF
  CHECK(bb::toValidUtf8("\xF0\x9F\x98") == r + r + r);            // truncated 4-byte
  for (const std::string bad : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "x\xF4\x90\x80\x80y"}) {
    const std::string fixed = bb::toValidUtf8(bad);
    CHECK(bb::isValidUtf8(fixed));
    CHECK_NOTHROW((void)nlohmann::json(fixed).dump());
  }
}

TEST_CASE("utf8: form fields are decoded to valid UTF-8 only") {
  const auto form = bb::parseForm("description=Loch%FF%C3%28%E2%82&address_string=Stra%C3%9Fe");
  REQUIRE(form.count("description") == 1);
  const std::string d = form.find("description")->second;
  CHECK(bb::isValidUtf8(d));
  CHECK(d.rfind("Loch", 0) == 0);
  CHECK(form.find("address_string")->second == "Straße");
}
