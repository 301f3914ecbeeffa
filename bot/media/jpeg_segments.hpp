#pragma once
// Internal to bot/media: a bounds-checked walk over a JPEG's marker segments (SOI up to SOS), used
// to read the EXIF Orientation before the metadata is dropped and to verify cleaned output.

#include <string_view>

#include "bot/result.hpp"

namespace bb::media {

struct JpegSegmentInfo {
  int orientation = 1;           //!< EXIF Orientation 1..8 from the first Exif APP1, else 1
  bool has_metadata = false;     //!< any APP1..APP15 or COM segment
  int width = 0;                 //!< from the frame header (SOFn), as stored (before orientation)
  int height = 0;
};

//! Walks the segments up to SOS. Rejects (InvalidInput "jpeg_bad_segment") a missing SOI, a length
//! below 2 or past the end, a missing marker byte, no SOS, or no frame header (SOFn) before it.
//! A malformed EXIF block is not an error: it is dropped anyway, its orientation is then 1.
Result<JpegSegmentInfo> scanJpegSegments(std::string_view jpeg);

//! The Orientation tag (0x0112) from a TIFF block (the APP1 payload after "Exif\0\0"); 1 if absent,
//! malformed or out of range.
int exifOrientation(std::string_view tiff);

}  // namespace bb::media
