// libFuzzer target: the Telegram update parser (webhook bodies).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "webhooks/telegram/telegram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = bb::webhooks::telegram::parseUpdate(body);
  (void)parsed;
  return 0;
}
