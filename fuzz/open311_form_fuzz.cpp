// libFuzzer target: the Open311 POST parser — the form decoding (application/x-www-form-urlencoded)
// that createRequest and postUpdate read their fields from, and the field lookups they do.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bot/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto form = bb::parseForm(body);
  std::size_t total = 0;
  for (const char* key : {"api_key", "service_code", "lat", "long", "address_string",
                          "description", "attribute[extra]", "jurisdiction_id"}) {
    auto range = form.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) { total += it->second.size(); }
  }
  if (total > size) { __builtin_trap(); }  // decoding never grows the data
  return 0;
}
