// libFuzzer target: the Matrix appservice transaction parser, plus mxc:// and geo: URIs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "webhooks/matrix/matrix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = bb::webhooks::matrix::parseTransaction(body, "@buergerbox:example.org");
  (void)parsed;
  if (size < 4096) {
    auto mxc = bb::webhooks::matrix::parseMxc(body);
    auto geo = bb::webhooks::matrix::parseGeoUri(body);
    (void)mxc;
    (void)geo;
  }
  return 0;
}
