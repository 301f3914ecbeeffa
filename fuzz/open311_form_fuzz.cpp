// libFuzzer target: the Open311 POST parser — the form decoding (application/x-www-form-urlencoded)
// that createRequest and postUpdate read their fields from, and the field lookups they do.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bot/http/http.hpp"
#include "bot/text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto form = bb::parseForm(body);
  for (const auto& [key, value] : form) {
    if (!bb::isValidUtf8(key) || !bb::isValidUtf8(value)) { __builtin_trap(); }  // only text on
  }
  std::size_t total = 0;
  for (const char* key : {"api_key", "service_code", "lat", "long", "address_string",
                          "description", "attribute[extra]", "jurisdiction_id"}) {
    auto range = form.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) { total += it->second.size(); }
  }
  // Decoding never grows the data beyond U+FFFD (3 bytes) per input byte.
  if (total > 3 * size) { __builtin_trap(); }
  return 0;
}
