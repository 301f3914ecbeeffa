#include "bot/media/codecs.hpp"

#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs FILE
#include <new>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>

// libjpeg reports errors through a callback that must not return. We longjmp back into the
// function that called setjmp. Those functions only touch C structs that live in the caller, and
// all C++ objects (buffers) are created outside them, so no destructor is ever skipped.

namespace bb::media {

namespace {

constexpr int kMaxJpegScans = 500;  // progressive scan-count DoS guard (as djpeg -maxscans)
constexpr long kMaxJpegMemory = 1024L * 1024L * 1024L;  // libjpeg's own backstop

Result<Pixels> outOfMemory() { return fail(ErrorCode::Unavailable, "out_of_memory"); }

bool tooManyPixels(std::uint64_t width, std::uint64_t height, const DecodeLimits& limits) {
  return width == 0 || height == 0 || width * height > limits.max_pixels;
}

// ---- libjpeg error handling ---------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr pub;  // first member: libjpeg only sees this part
  std::jmp_buf jump;
  const char* detail;
};

JpegError& jpegError(j_common_ptr cinfo) { return *reinterpret_cast<JpegError*>(cinfo->err); }

[[noreturn]] void jpegErrorExit(j_common_ptr cinfo) { std::longjmp(jpegError(cinfo).jump, 1); }

// Warnings (level -1) about corrupt data are fatal: a truncated or damaged photo is rejected
// instead of being stored with grey blocks. Harmless header quirks are ignored.
void jpegEmitMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) {
    return;  // trace messages
  }
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC) {
    return;
  }
  jpegError(cinfo).detail = "jpeg_corrupt";
  (*cinfo->err->error_exit)(cinfo);
}

void jpegOutputMessage(j_common_ptr /*cinfo*/) {}  // never print to stderr

void initJpegError(JpegError& err) {
  jpeg_std_error(&err.pub);
  err.pub.error_exit = jpegErrorExit;
  err.pub.emit_message = jpegEmitMessage;
  err.pub.output_message = jpegOutputMessage;
  err.detail = "jpeg_corrupt";
}

void jpegProgress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor) {
    const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->input_scan_number > kMaxJpegScans) {
      jpegError(cinfo).detail = "jpeg_too_many_scans";
      (*cinfo->err->error_exit)(cinfo);
    }
  }
}

// ---- JPEG decoding ----------------------------------------------------------------------

struct JpegDecoder {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  jpeg_progress_mgr progress{};
  bool created = false;

  JpegDecoder() { initJpegError(err); }
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
  ~JpegDecoder() {
    if (created) {
      jpeg_destroy_decompress(&cinfo);
    }
  }
};

bool jpegReadHeader(JpegDecoder& d, std::string_view input) {
  if (setjmp(d.err.jump) != 0) {
    return false;
  }
  d.cinfo.err = &d.err.pub;
  jpeg_create_decompress(&d.cinfo);
  d.created = true;
  d.cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  d.progress.progress_monitor = jpegProgress;
  d.cinfo.progress = &d.progress;
  jpeg_mem_src(&d.cinfo, reinterpret_cast<const unsigned char*>(input.data()),
               static_cast<unsigned long>(input.size()));
  return jpeg_read_header(&d.cinfo, TRUE) == JPEG_HEADER_OK;
}

bool jpegStart(JpegDecoder& d) {
  if (setjmp(d.err.jump) != 0) {
    return false;
  }
  return jpeg_start_decompress(&d.cinfo) == TRUE;
}

bool jpegReadRows(JpegDecoder& d, unsigned char* out, std::size_t stride) {
  if (setjmp(d.err.jump) != 0) {
    return false;
  }
  while (d.cinfo.output_scanline < d.cinfo.output_height) {
    JSAMPROW row = out + static_cast<std::size_t>(d.cinfo.output_scanline) * stride;
    if (jpeg_read_scanlines(&d.cinfo, &row, 1) != 1) {
      return false;  // suspension cannot happen with a memory source
    }
  }
  return jpeg_finish_decompress(&d.cinfo) == TRUE;
}

// Smallest n in 1..8 such that decoding at n/8 keeps the longer edge ≥ target.
int jpegScaleNum(unsigned width, unsigned height, int target_edge) {
  const unsigned longer = width > height ? width : height;
  if (target_edge <= 0 || longer <= static_cast<unsigned>(target_edge)) {
    return 8;
  }
  for (unsigned n = 1; n < 8; ++n) {
    if ((longer * n + 7) / 8 >= static_cast<unsigned>(target_edge)) {
      return static_cast<int>(n);
    }
  }
  return 8;
}

// ---- JPEG encoding ----------------------------------------------------------------------

struct StringDestination {
  jpeg_destination_mgr pub;  // first member
  std::string* out;
  JOCTET buffer[16384];
};

StringDestination& destination(j_compress_ptr cinfo) {
  return *reinterpret_cast<StringDestination*>(cinfo->dest);
}

void flushDestination(j_compress_ptr cinfo, std::size_t count) {
  StringDestination& dest = destination(cinfo);
  bool ok = true;
  try {
    dest.out->append(reinterpret_cast<const char*>(dest.buffer), count);
  } catch (...) {
    ok = false;
  }
  if (!ok) {  // leave the catch block before jumping out
    jpegError(reinterpret_cast<j_common_ptr>(cinfo)).detail = "out_of_memory";
    (*cinfo->err->error_exit)(reinterpret_cast<j_common_ptr>(cinfo));
  }
  dest.pub.next_output_byte = dest.buffer;
  dest.pub.free_in_buffer = sizeof dest.buffer;
}

void destinationInit(j_compress_ptr cinfo) {
  StringDestination& dest = destination(cinfo);
  dest.pub.next_output_byte = dest.buffer;
  dest.pub.free_in_buffer = sizeof dest.buffer;
}

boolean destinationEmpty(j_compress_ptr cinfo) {
  flushDestination(cinfo, sizeof destination(cinfo).buffer);
  return TRUE;
}

void destinationTerm(j_compress_ptr cinfo) {
  StringDestination& dest = destination(cinfo);
  flushDestination(cinfo, sizeof dest.buffer - dest.pub.free_in_buffer);
}

struct JpegEncoder {
  jpeg_compress_struct cinfo{};
  JpegError err{};
  StringDestination dest{};
  bool created = false;

  JpegEncoder() { initJpegError(err); }
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;
  ~JpegEncoder() {
    if (created) {
      jpeg_destroy_compress(&cinfo);
    }
  }
};

bool jpegCompress(JpegEncoder& e, const Pixels& rgb, int quality) {
  if (setjmp(e.err.jump) != 0) {
    return false;
  }
  e.cinfo.err = &e.err.pub;
  jpeg_create_compress(&e.cinfo);
  e.created = true;
  e.dest.pub.init_destination = destinationInit;
  e.dest.pub.empty_output_buffer = destinationEmpty;
  e.dest.pub.term_destination = destinationTerm;
  e.cinfo.dest = &e.dest.pub;
  e.cinfo.image_width = static_cast<JDIMENSION>(rgb.width);
  e.cinfo.image_height = static_cast<JDIMENSION>(rgb.height);
  e.cinfo.input_components = 3;
  e.cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&e.cinfo);
  jpeg_set_quality(&e.cinfo, quality, TRUE);
  e.cinfo.optimize_coding = TRUE;
  e.cinfo.write_JFIF_header = TRUE;  // version, aspect 1:1, no thumbnail: no personal data
  e.cinfo.density_unit = 0;
  e.cinfo.X_density = 1;
  e.cinfo.Y_density = 1;
  jpeg_start_compress(&e.cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(rgb.width) * 3;
  while (e.cinfo.next_scanline < e.cinfo.image_height) {
    // libjpeg takes non-const rows but only reads them.
    JSAMPROW row = const_cast<JSAMPLE*>(rgb.data.data()) +
                   static_cast<std::size_t>(e.cinfo.next_scanline) * stride;
    jpeg_write_scanlines(&e.cinfo, &row, 1);
  }
  jpeg_finish_compress(&e.cinfo);
  return true;
}

void cmykToRgb(const std::vector<std::uint8_t>& cmyk, bool adobe_inverted, Pixels& out) {
  const std::size_t count = cmyk.size() / 4;
  for (std::size_t i = 0; i < count; ++i) {
    unsigned c = cmyk[i * 4];
    unsigned m = cmyk[i * 4 + 1];
    unsigned y = cmyk[i * 4 + 2];
    unsigned k = cmyk[i * 4 + 3];
    if (!adobe_inverted) {
      c = 255U - c;
      m = 255U - m;
      y = 255U - y;
      k = 255U - k;
    }
    out.data[i * 3] = static_cast<std::uint8_t>((c * k + 127U) / 255U);
    out.data[i * 3 + 1] = static_cast<std::uint8_t>((m * k + 127U) / 255U);
    out.data[i * 3 + 2] = static_cast<std::uint8_t>((y * k + 127U) / 255U);
  }
}

}  // namespace

Result<Pixels> decodeJpeg(std::string_view input, const DecodeLimits& limits) {
  JpegDecoder d;
  if (!jpegReadHeader(d, input)) {
    return fail(ErrorCode::InvalidInput, d.err.detail);
  }
  if (tooManyPixels(d.cinfo.image_width, d.cinfo.image_height, limits)) {
    return fail(ErrorCode::InvalidInput, "too_many_pixels");
  }
  const bool cmyk = d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK;
  d.cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  d.cinfo.scale_num =
      static_cast<unsigned>(jpegScaleNum(d.cinfo.image_width, d.cinfo.image_height,
                                         limits.target_edge));
  d.cinfo.scale_denom = 8;
  if (!jpegStart(d)) {
    return fail(ErrorCode::InvalidInput, d.err.detail);
  }
  const int components = d.cinfo.output_components;
  if ((cmyk && components != 4) || (!cmyk && components != 3)) {
    return fail(ErrorCode::InvalidInput, "jpeg_colorspace");
  }
  Pixels pixels;
  std::vector<std::uint8_t> raw;
  try {
    pixels.width = static_cast<int>(d.cinfo.output_width);
    pixels.height = static_cast<int>(d.cinfo.output_height);
    pixels.channels = 3;
    const std::size_t count = static_cast<std::size_t>(d.cinfo.output_width) *
                              static_cast<std::size_t>(d.cinfo.output_height);
    pixels.data.resize(count * 3);
    if (cmyk) {
      raw.resize(count * 4);
    }
  } catch (const std::bad_alloc&) {
    return outOfMemory();
  }
  unsigned char* target = cmyk ? raw.data() : pixels.data.data();
  const std::size_t stride =
      static_cast<std::size_t>(d.cinfo.output_width) * static_cast<std::size_t>(components);
  if (!jpegReadRows(d, target, stride)) {
    return fail(ErrorCode::InvalidInput, d.err.detail);
  }
  if (cmyk) {
    cmykToRgb(raw, d.cinfo.saw_Adobe_marker == TRUE, pixels);
  }
  return pixels;
}

Result<Pixels> decodePng(std::string_view input, const DecodeLimits& limits) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, input.data(), input.size()) == 0) {
    png_image_free(&image);
    return fail(ErrorCode::InvalidInput, "png_corrupt");
  }
  if (tooManyPixels(image.width, image.height, limits)) {
    png_image_free(&image);
    return fail(ErrorCode::InvalidInput, "too_many_pixels");
  }
  const bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  image.format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  Pixels pixels;
  try {
    pixels.width = static_cast<int>(image.width);
    pixels.height = static_cast<int>(image.height);
    pixels.channels = alpha ? 4 : 3;
    pixels.data.resize(PNG_IMAGE_SIZE(image));
  } catch (const std::bad_alloc&) {
    png_image_free(&image);
    return outOfMemory();
  }
  // On failure libpng frees the image itself; png_image_free is then a no-op.
  const int ok = png_image_finish_read(&image, nullptr, pixels.data.data(), 0, nullptr);
  png_image_free(&image);
  if (ok == 0) {
    return fail(ErrorCode::InvalidInput, "png_corrupt");
  }
  return pixels;
}

Result<Pixels> decodeWebp(std::string_view input, const DecodeLimits& limits) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(input.data());
  WebPBitstreamFeatures features{};
  if (WebPGetFeatures(data, input.size(), &features) != VP8_STATUS_OK) {
    return fail(ErrorCode::InvalidInput, "webp_corrupt");
  }
  if (features.has_animation != 0) {
    return fail(ErrorCode::InvalidInput, "webp_animated");
  }
  if (features.width <= 0 || features.height <= 0 ||
      tooManyPixels(static_cast<std::uint64_t>(features.width),
                    static_cast<std::uint64_t>(features.height), limits)) {
    return fail(ErrorCode::InvalidInput, "too_many_pixels");
  }
  Pixels pixels;
  pixels.width = features.width;
  pixels.height = features.height;
  pixels.channels = features.has_alpha != 0 ? 4 : 3;
  const std::size_t stride =
      static_cast<std::size_t>(pixels.width) * static_cast<std::size_t>(pixels.channels);
  try {
    pixels.data.resize(stride * static_cast<std::size_t>(pixels.height));
  } catch (const std::bad_alloc&) {
    return outOfMemory();
  }
  const std::uint8_t* decoded =
      pixels.channels == 4
          ? WebPDecodeRGBAInto(data, input.size(), pixels.data.data(), pixels.data.size(),
                               static_cast<int>(stride))
          : WebPDecodeRGBInto(data, input.size(), pixels.data.data(), pixels.data.size(),
                              static_cast<int>(stride));
  if (decoded == nullptr) {
    return fail(ErrorCode::InvalidInput, "webp_corrupt");
  }
  return pixels;
}

Result<std::string> encodeJpeg(const Pixels& rgb, int quality) {
  if (rgb.channels != 3 || rgb.width <= 0 || rgb.height <= 0) {
    return fail(ErrorCode::Internal, "jpeg_encode_input");
  }
  std::string out;
  JpegEncoder e;
  e.dest.out = &out;
  if (!jpegCompress(e, rgb, quality)) {
    return fail(ErrorCode::Internal, "jpeg_encode_failed");
  }
  return out;
}

Result<std::string> encodePng(const Pixels& pixels) {
  if ((pixels.channels != 3 && pixels.channels != 4) || pixels.width <= 0 || pixels.height <= 0) {
    return fail(ErrorCode::Internal, "png_encode_input");
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(pixels.width);
  image.height = static_cast<png_uint_32>(pixels.height);
  image.format = pixels.channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data.data(), 0, nullptr) == 0) {
    png_image_free(&image);
    return fail(ErrorCode::Internal, "png_encode_failed");
  }
  std::string out;
  try {
    out.resize(size);
  } catch (const std::bad_alloc&) {
    png_image_free(&image);
    return fail(ErrorCode::Unavailable, "out_of_memory");
  }
  const int ok =
      png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data.data(), 0, nullptr);
  png_image_free(&image);
  if (ok == 0) {
    return fail(ErrorCode::Internal, "png_encode_failed");
  }
  out.resize(size);
  return out;
}

}  // namespace bb::media
