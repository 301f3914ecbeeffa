#include "bot/media/jpeg_segments.hpp"

#include <cstddef>
#include <cstdint>

namespace bb::media {

namespace {

constexpr unsigned char kSoi = 0xD8;
constexpr unsigned char kEoi = 0xD9;
constexpr unsigned char kSos = 0xDA;
constexpr unsigned char kApp1 = 0xE1;
constexpr unsigned char kApp15 = 0xEF;
constexpr unsigned char kCom = 0xFE;
constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kTypeShort = 3;

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool isFrameHeader(unsigned char marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

unsigned char byteAt(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

// Reads TIFF integers in the block's byte order; every read is bounds-checked by the caller.
class TiffReader {
public:
  TiffReader(std::string_view data, bool little_endian) : data_(data), little_(little_endian) {}
  bool fits(std::uint64_t offset, std::uint64_t length) const {
    return offset <= data_.size() && length <= data_.size() - offset;
  }
  std::uint16_t u16(std::size_t offset) const {
    const unsigned a = byteAt(data_, offset);
    const unsigned b = byteAt(data_, offset + 1);
    return static_cast<std::uint16_t>(little_ ? (b << 8) | a : (a << 8) | b);
  }
  std::uint32_t u32(std::size_t offset) const {
    const std::uint32_t hi = u16(offset);
    const std::uint32_t lo = u16(offset + 2);
    return little_ ? (lo << 16) | hi : (hi << 16) | lo;
  }

private:
  std::string_view data_;
  bool little_;
};

}  // namespace

int exifOrientation(std::string_view tiff) {
  if (tiff.size() < 8) {
    return 1;
  }
  bool little = false;
  if (tiff.substr(0, 2) == "II") {
    little = true;
  } else if (tiff.substr(0, 2) != "MM") {
    return 1;
  }
  const TiffReader r(tiff, little);
  if (r.u16(2) != 42) {
    return 1;
  }
  const std::uint32_t ifd0 = r.u32(4);
  if (!r.fits(ifd0, 2)) {
    return 1;
  }
  const std::uint16_t count = r.u16(ifd0);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint64_t entry = std::uint64_t{ifd0} + 2 + std::uint64_t{i} * 12;
    if (!r.fits(entry, 12)) {
      return 1;
    }
    const auto e = static_cast<std::size_t>(entry);
    if (r.u16(e) != kOrientationTag) {
      continue;
    }
    if (r.u16(e + 2) != kTypeShort || r.u32(e + 4) < 1) {
      return 1;
    }
    const int value = r.u16(e + 8);  // a SHORT with count 1 sits left-justified in the value field
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

Result<JpegSegmentInfo> scanJpegSegments(std::string_view jpeg) {
  const auto bad = [] { return fail(ErrorCode::InvalidInput, "jpeg_bad_segment"); };
  if (jpeg.size() < 4 || byteAt(jpeg, 0) != 0xFF || byteAt(jpeg, 1) != kSoi) {
    return bad();
  }
  JpegSegmentInfo info;
  bool seen_exif = false;
  std::size_t pos = 2;
  while (true) {
    if (pos >= jpeg.size() || byteAt(jpeg, pos) != 0xFF) {
      return bad();
    }
    while (pos < jpeg.size() && byteAt(jpeg, pos) == 0xFF) {
      ++pos;  // fill bytes
    }
    if (pos >= jpeg.size()) {
      return bad();
    }
    const unsigned char marker = byteAt(jpeg, pos++);
    if (marker == 0x00 || marker == kSoi || marker == kEoi) {
      return bad();
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      continue;  // TEM and RSTn stand alone
    }
    if (jpeg.size() - pos < 2) {
      return bad();
    }
    const std::size_t length =
        (static_cast<std::size_t>(byteAt(jpeg, pos)) << 8) | byteAt(jpeg, pos + 1);
    if (length < 2 || length > jpeg.size() - pos) {
      return bad();
    }
    const std::string_view payload = jpeg.substr(pos + 2, length - 2);
    if (marker == kSos) {
      if (info.width == 0 || info.height == 0) {
        return bad();
      }
      return info;
    }
    if (isFrameHeader(marker) && payload.size() >= 5) {
      // P, Y (height), X (width): the first SOF counts, libjpeg rejects a second one.
      const auto u16 = [&](std::size_t i) {
        return static_cast<int>((static_cast<unsigned>(byteAt(payload, i)) << 8) |
                                byteAt(payload, i + 1));
      };
      if (info.width == 0) {
        info.height = u16(1);
        info.width = u16(3);
      }
    }
    if ((marker >= kApp1 && marker <= kApp15) || marker == kCom) {
      info.has_metadata = true;
    }
    if (marker == kApp1 && !seen_exif && payload.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
      seen_exif = true;
      info.orientation = exifOrientation(payload.substr(6));
    }
    pos += length;
  }
}

}  // namespace bb::media
