// The one UTF-8 helper (bot/text/utf8.hpp): invalid UTF-8 from form fields and query parameters
// becomes U+FFFD at the edge; lengths and cuts count characters and never split one.

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

TEST_CASE("utf8: characters are counted and cut as code points, never inside one") {
  CHECK(bb::codePoints("") == 0);
  CHECK(bb::codePoints("Straße") == 6);
  CHECK(bb::codePoints("\xF0\x9F\x9A\xA7 Baustelle") == 11);  // one emoji, four bytes
  CHECK(bb::codePoints("\xFF\xFE") == 2);          // bytes that start nothing count one each
  CHECK(bb::codePoints("a\xC3") == 2);              // a truncated sequence too
  CHECK(bb::codePoints("\xED\xA0\x80") == 3);       // a surrogate is three invalid bytes
  CHECK(bb::sequenceLength("\xC3\xA4", 0) == 2);
  CHECK(bb::sequenceLength("\xE2\x80\xA6", 0) == 3);
  CHECK(bb::sequenceLength("\xF0\x9F\x9A\xA7", 0) == 4);
  CHECK(bb::sequenceLength("\x80", 0) == 1);
  CHECK(bb::sequenceLength("\xC0\xAF", 0) == 1);     // overlong
  CHECK(bb::ellipsize("äöü", 2) == "äö…");
  CHECK(bb::ellipsize("äöü", 3) == "äöü");
  CHECK(bb::ellipsize("a\xF0\x9F\x9A\xA7" "b", 2) == "a\xF0\x9F\x9A\xA7…");
  CHECK(bb::ellipsize("abc", 0) == "…");
  CHECK(bb::ellipsize("", 0).empty());
}
