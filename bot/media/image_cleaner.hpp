#pragma once
// The media pipeline's cleaner (DESIGN.md §2.5, §6): decode an untrusted image, re-encode only its
// pixels, and so drop every metadata block (EXIF, GPS, XMP, IPTC, ICC, comments, maker notes,
// embedded thumbnails). Fail closed: whatever cannot be parsed and cleaned is rejected.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bot/result.hpp"

namespace bb::media {

//! Limits of the cleaner; config keys `media.max_edge_px`, `media.max_input_bytes`,
//! `media.max_pixels`, `media.jpeg_quality`, `media.thumbnail_edge_px` (see docs/media.md).
struct CleanOptions {
  int max_edge_px = 2048;                          //!< longer edge capped (downscale keeps aspect)
  std::size_t max_input_bytes = 20 * 1024 * 1024;  //!< larger input → ErrorCode::TooLarge
  std::uint64_t max_pixels = 40'000'000;  //!< decompression-bomb guard, checked from the header
  int jpeg_quality = 85;                  //!< 1..100, for the image and the thumbnail
  int thumbnail_edge_px = 320;            //!< longer edge of the staff-inbox thumbnail
};

struct CleanedImage {
  std::string bytes;           //!< re-encoded image with no metadata at all
  std::string mime_type;       //!< "image/jpeg" or "image/png"
  int width = 0, height = 0;   //!< of `bytes`, after orientation and downscaling
  std::string sha256_hex;      //!< of `bytes`, lowercase: the content address
  std::string thumbnail_jpeg;  //!< small JPEG for the staff inbox, also metadata-free
};

//! Detects the format from magic bytes (a declared MIME type is never trusted): JPEG, PNG and
//! WebP are accepted. HEIC/HEIF → InvalidInput "heic_unsupported"; anything else → InvalidInput
//! "unsupported_format"; over `max_input_bytes` → TooLarge; corrupt, truncated, bad segment
//! lengths, more than `max_pixels` → InvalidInput with a short detail (never user data).
//! The EXIF Orientation of a JPEG is applied to the pixels before the metadata is dropped.
//! A PNG with an alpha channel stays PNG; everything else becomes a baseline JPEG.
Result<CleanedImage> cleanImage(std::string_view input, const CleanOptions& options = {});

}  // namespace bb::media
