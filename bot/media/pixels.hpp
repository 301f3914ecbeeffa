#pragma once
// Internal to bot/media: a decoded 8-bit image and the few operations the cleaner needs.

#include <cstdint>
#include <vector>

namespace bb::media {

//! 8 bits per sample, rows packed without padding; channels is 3 (RGB) or 4 (RGBA).
struct Pixels {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> data;
};

struct Size {
  int width = 0;
  int height = 0;
};

//! The largest size with the same aspect ratio whose longer edge is at most `max_edge`
//! (never upscales; each edge at least 1).
Size fitWithin(int width, int height, int max_edge);

//! Applies an EXIF Orientation value (1..8) so the image displays upright; others are a no-op.
Pixels applyOrientation(const Pixels& in, int orientation);

//! Area-average (box filter) resize; meant for downscaling.
Pixels resizeArea(const Pixels& in, Size target);

//! RGBA composited onto white → RGB; RGB is returned unchanged.
Pixels flattenOnWhite(const Pixels& in);

}  // namespace bb::media
