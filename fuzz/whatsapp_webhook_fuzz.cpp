// libFuzzer target: the WhatsApp webhook parser on arbitrary bodies (must never crash or throw).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "webhooks/whatsapp/whatsapp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = bb::webhooks::whatsapp::parseWebhook(body);
  (void)parsed;
  return 0;
}
