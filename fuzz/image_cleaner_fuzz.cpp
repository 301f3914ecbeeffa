// libFuzzer target: the image cleaner (JPEG/PNG/WebP decode, metadata removal, re-encode).
// Small size limits keep each run fast; the cleaner must reject, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bot/media/image_cleaner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  bb::media::CleanOptions options;
  options.max_input_bytes = 1024 * 1024;
  options.max_pixels = 1024 * 1024;
  auto cleaned = bb::media::cleanImage(input, options);
  (void)cleaned;
  return 0;
}
