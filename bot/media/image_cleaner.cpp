#include "bot/media/image_cleaner.hpp"

#include <array>
#include <cstddef>
#include <new>

#include "bot/media/codecs.hpp"
#include "bot/media/jpeg_segments.hpp"
#include "bot/media/pixels.hpp"
#include "bot/media/sha256.hpp"

namespace bb::media {

namespace {

constexpr int kMaxEdgeLimit = 65'500;  // libjpeg's JPEG_MAX_DIMENSION

enum class Format { Jpeg, Png, Webp, Heif, Unknown };

bool startsWith(std::string_view s, std::size_t offset, std::string_view prefix) {
  return s.size() >= offset + prefix.size() && s.substr(offset, prefix.size()) == prefix;
}

bool isHeifBrand(std::string_view brand) {
  constexpr std::array<std::string_view, 11> kBrands = {
      "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "heif", "mif1", "msf1"};
  for (std::string_view b : kBrands) {
    if (brand == b) {
      return true;
    }
  }
  return false;
}

// Magic bytes only; a declared MIME type or file name is never consulted.
Format sniff(std::string_view in) {
  if (startsWith(in, 0, "\xFF\xD8\xFF")) {
    return Format::Jpeg;
  }
  if (startsWith(in, 0, "\x89PNG\r\n\x1A\n")) {
    return Format::Png;
  }
  if (startsWith(in, 0, "RIFF") && startsWith(in, 8, "WEBP")) {
    return Format::Webp;
  }
  if (startsWith(in, 4, "ftyp") && in.size() >= 12) {
    if (isHeifBrand(in.substr(8, 4))) {
      return Format::Heif;
    }
    // Compatible brands follow the minor version, inside the box (its size is big-endian).
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t box = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                      (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    box = box < in.size() ? box : in.size();
    for (std::size_t off = 16; off + 4 <= box; off += 4) {
      const std::string_view brand = in.substr(off, 4);
      if (brand == "heic" || brand == "heix") {
        return Format::Heif;
      }
    }
  }
  return Format::Unknown;
}

Result<void> checkOptions(const CleanOptions& o) {
  const bool ok = o.max_edge_px >= 1 && o.max_edge_px <= kMaxEdgeLimit &&
                  o.thumbnail_edge_px >= 1 && o.thumbnail_edge_px <= kMaxEdgeLimit &&
                  o.jpeg_quality >= 1 && o.jpeg_quality <= 100 && o.max_pixels > 0 &&
                  o.max_input_bytes > 0;
  if (!ok) {
    return fail(ErrorCode::Internal, "invalid_clean_options");
  }
  return {};
}

// PNG output may carry only image data and colour encoding; no text, time, EXIF or ICC chunk.
bool pngOutputIsClean(std::string_view png) {
  constexpr std::array<std::string_view, 8> kAllowed = {"IHDR", "PLTE", "tRNS", "IDAT",
                                                         "IEND", "sRGB", "gAMA", "cHRM"};
  std::size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(png.data() + pos);
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    const std::string_view type = png.substr(pos + 4, 4);
    bool allowed = false;
    for (std::string_view a : kAllowed) {
      allowed = allowed || a == type;
    }
    if (!allowed || length > png.size() - pos - 12) {
      return false;
    }
    if (type == "IEND") {
      return true;
    }
    pos += 12 + length;
  }
  return false;
}

bool jpegOutputIsClean(std::string_view jpeg) {
  const Result<JpegSegmentInfo> info = scanJpegSegments(jpeg);
  return info.has_value() && !info->has_metadata;
}

// What the JPEG segment walk found out before decoding.
struct JpegFacts {
  int orientation = 1;
  Size stored;  // frame size from SOFn; the decoder may return a 1/8-multiple of it
};

Result<Pixels> decode(Format format, std::string_view input, const CleanOptions& options,
                      JpegFacts& facts) {
  DecodeLimits limits;
  limits.max_pixels = options.max_pixels;
  limits.target_edge = options.max_edge_px;
  switch (format) {
    case Format::Jpeg: {
      const Result<JpegSegmentInfo> info = scanJpegSegments(input);
      if (!info) {
        return fail(info.error().code, info.error().detail);
      }
      facts.orientation = info->orientation;
      facts.stored = Size{info->width, info->height};
      return decodeJpeg(input, limits);
    }
    case Format::Png: return decodePng(input, limits);
    case Format::Webp: return decodeWebp(input, limits);
    case Format::Heif: return fail(ErrorCode::InvalidInput, "heic_unsupported");
    case Format::Unknown: break;
  }
  return fail(ErrorCode::InvalidInput, "unsupported_format");
}

Result<CleanedImage> clean(std::string_view input, const CleanOptions& options) {
  if (Result<void> ok = checkOptions(options); !ok) {
    return fail(ok.error().code, ok.error().detail);
  }
  if (input.size() > options.max_input_bytes) {
    return fail(ErrorCode::TooLarge, "input_too_large");
  }
  if (input.empty()) {
    return fail(ErrorCode::InvalidInput, "empty_input");
  }
  const Format format = sniff(input);
  JpegFacts facts;
  Result<Pixels> decoded = decode(format, input, options, facts);
  if (!decoded) {
    return fail(decoded.error().code, decoded.error().detail);
  }
  Pixels pixels = applyOrientation(*decoded, facts.orientation);
  // The output size follows from the full stored size, not from a DCT-scaled decode, so the
  // aspect ratio is the one of the original.
  Size full{pixels.width, pixels.height};
  if (format == Format::Jpeg) {
    full = facts.orientation >= 5 ? Size{facts.stored.height, facts.stored.width} : facts.stored;
  }
  pixels = resizeArea(pixels, fitWithin(full.width, full.height, options.max_edge_px));

  CleanedImage cleaned;
  cleaned.width = pixels.width;
  cleaned.height = pixels.height;
  // Only a PNG with alpha stays PNG; WebP alpha is composited onto white like the thumbnail.
  const bool keep_png = format == Format::Png && pixels.channels == 4;
  if (!keep_png) {
    pixels = flattenOnWhite(pixels);
  }
  Result<std::string> bytes =
      keep_png ? encodePng(pixels) : encodeJpeg(pixels, options.jpeg_quality);
  if (!bytes) {
    return fail(bytes.error().code, bytes.error().detail);
  }
  cleaned.bytes = std::move(*bytes);
  cleaned.mime_type = keep_png ? "image/png" : "image/jpeg";

  const Pixels opaque = flattenOnWhite(pixels);
  const Pixels small =
      resizeArea(opaque, fitWithin(opaque.width, opaque.height, options.thumbnail_edge_px));
  Result<std::string> thumbnail = encodeJpeg(small, options.jpeg_quality);
  if (!thumbnail) {
    return fail(thumbnail.error().code, thumbnail.error().detail);
  }
  cleaned.thumbnail_jpeg = std::move(*thumbnail);

  // Fail closed: prove the encoders wrote no metadata before anyone can store the result.
  const bool main_clean =
      keep_png ? pngOutputIsClean(cleaned.bytes) : jpegOutputIsClean(cleaned.bytes);
  if (!main_clean || !jpegOutputIsClean(cleaned.thumbnail_jpeg)) {
    return fail(ErrorCode::Internal, "output_not_clean");
  }
  Result<std::string> sha = sha256Hex(cleaned.bytes);
  if (!sha) {
    return fail(sha.error().code, sha.error().detail);
  }
  cleaned.sha256_hex = std::move(*sha);
  return cleaned;
}

}  // namespace

Result<CleanedImage> cleanImage(std::string_view input, const CleanOptions& options) {
  try {
    return clean(input, options);
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::Unavailable, "out_of_memory");
  } catch (...) {
    return fail(ErrorCode::Internal, "unexpected_exception");
  }
}

}  // namespace bb::media
