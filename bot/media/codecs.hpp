#pragma once
// Internal to bot/media: the only users of libjpeg, libpng and libwebp. Decoders check the size
// from the header before any pixel is decoded; no codec error can abort the process.

#include <cstdint>
#include <string>
#include <string_view>

#include "bot/media/pixels.hpp"
#include "bot/result.hpp"

namespace bb::media {

struct DecodeLimits {
  std::uint64_t max_pixels = 0;  //!< width × height from the header above this → "too_many_pixels"
  int target_edge = 0;           //!< JPEG only: decode at the smallest 1/8 scale whose longer edge
                                 //!< is still ≥ this (0 = full size)
};

//! → RGB. CMYK/YCCK are converted; any libjpeg corruption warning is fatal ("jpeg_corrupt").
Result<Pixels> decodeJpeg(std::string_view input, const DecodeLimits& limits);
//! → RGB, or RGBA when the PNG has an alpha channel or tRNS.
Result<Pixels> decodePng(std::string_view input, const DecodeLimits& limits);
//! → RGB, or RGBA when the WebP has alpha. Animated WebP is rejected ("webp_animated").
Result<Pixels> decodeWebp(std::string_view input, const DecodeLimits& limits);

//! Baseline JPEG with a bare JFIF header and no other marker segment. `rgb` must have 3 channels.
Result<std::string> encodeJpeg(const Pixels& rgb, int quality);
//! PNG with no text, time or EXIF chunk (libpng's simplified writer).
Result<std::string> encodePng(const Pixels& pixels);

}  // namespace bb::media
