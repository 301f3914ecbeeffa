// Tests of the media cleaner (bot/media/image_cleaner.hpp): metadata really gone (checked with
// exiftool on the written output), limits, orientation, and fail-closed rejection.

#include <doctest/doctest.h>

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <jpeglib.h>
#include <openssl/evp.h>
#include <png.h>
#include <unistd.h>
#include <webp/encode.h>

#include "bot/media/image_cleaner.hpp"

namespace {

using bb::ErrorCode;
using bb::media::CleanedImage;
using bb::media::CleanOptions;
using bb::media::cleanImage;
using namespace std::string_literals;

// doctest cannot print ErrorCode (bb::toString returns const char*), so compare names.
std::string codeName(ErrorCode code) { return bb::toString(code); }

std::string readFixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/media/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- exiftool on a temp file ---------------------------------------------------------------

struct Tag {
  std::string group;
  std::string name;
  std::string value;
};

std::string runExiftool(const std::string& bytes) {
  char path[] = "/tmp/bb_media_exif_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  const std::string command = std::string("exiftool -a -G1 -s '") + path + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    out.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  ::unlink(path);
  REQUIRE_MESSAGE(status == 0, "exiftool failed (is libimage-exiftool-perl installed?)");
  REQUIRE_MESSAGE(out.find("[ExifTool]") != std::string::npos, "unexpected exiftool output");
  return out;
}

std::vector<Tag> parseTags(const std::string& exiftool_output) {
  std::vector<Tag> tags;
  std::istringstream lines(exiftool_output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '[') {
      continue;
    }
    const std::size_t close = line.find(']');
    if (close == std::string::npos) {
      continue;
    }
    Tag tag;
    tag.group = line.substr(1, close - 1);
    std::istringstream rest(line.substr(close + 1));
    rest >> tag.name;
    const std::size_t colon = line.find(" : ");
    tag.value = colon == std::string::npos ? "" : line.substr(colon + 3);
    tags.push_back(tag);
  }
  return tags;
}

bool hasTag(const std::vector<Tag>& tags, std::string_view group, std::string_view name) {
  for (const Tag& t : tags) {
    if ((group.empty() || t.group == group) && t.name == name) {
      return true;
    }
  }
  return false;
}

// Asserts that exiftool sees no personal metadata at all in `bytes`.
void checkNoMetadata(const std::string& bytes) {
  const std::string out = runExiftool(bytes);
  const std::vector<Tag> tags = parseTags(out);
  REQUIRE(!tags.empty());
  // Only file-level facts, the bare JFIF header, the PNG header chunks and derived values.
  const std::set<std::string> allowed_groups = {"ExifTool", "System", "File", "JFIF", "PNG",
                                                "Composite"};
  const std::set<std::string> allowed_png = {"ImageWidth",  "ImageHeight", "BitDepth",
                                             "ColorType",   "Compression", "Filter",
                                             "Interlace",   "SRGBRendering", "Gamma"};
  for (const Tag& t : tags) {
    INFO("exiftool: [" << t.group << "] " << t.name);
    CHECK(allowed_groups.count(t.group) == 1);
    CHECK(t.name.rfind("GPS", 0) != 0);
    CHECK(t.name != "Make");
    CHECK(t.name != "Model");
    CHECK(t.name != "DateTimeOriginal");
    CHECK(t.name != "CreateDate");
    CHECK(t.name != "ModifyDate");
    CHECK(t.name != "Orientation");
    CHECK(t.name != "Comment");
    CHECK(t.name != "ThumbnailImage");
    CHECK(t.group.rfind("XMP", 0) != 0);
    CHECK(t.group.rfind("IPTC", 0) != 0);
    CHECK(t.group.rfind("ICC", 0) != 0);
    for (const char* exif_group : {"IFD0", "IFD1", "ExifIFD", "GPS", "InteropIFD", "MakerNotes"}) {
      CHECK(t.group != exif_group);
    }
    if (t.group == "PNG") {
      CHECK(allowed_png.count(t.name) == 1);
    }
  }
  CHECK(out.find("Warning") == std::string::npos);
}

// ---- image builders (test inputs) ----------------------------------------------------------

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

using PixelFn = std::function<Rgb(int x, int y)>;

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> data;
  Rgb at(int x, int y) const {
    const auto w = static_cast<std::size_t>(width);
    const std::size_t i = (static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x)) *
                          static_cast<std::size_t>(channels);
    return Rgb{data[i], data[i + 1], data[i + 2]};
  }
};

// Encodes an RGB JPEG with libjpeg; `markers` are written verbatim (APPn/COM) after SOI/JFIF.
std::string makeJpeg(int width, int height, const PixelFn& pixel,
                     const std::vector<std::pair<int, std::string>>& markers = {}) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  for (const auto& [marker, payload] : markers) {
    jpeg_write_marker(&cinfo, marker, reinterpret_cast<const JOCTET*>(payload.data()),
                      static_cast<unsigned>(payload.size()));
  }
  std::vector<std::uint8_t> row(static_cast<std::size_t>(width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const int y = static_cast<int>(cinfo.next_scanline);
    for (int x = 0; x < width; ++x) {
      const Rgb p = pixel(x, y);
      row[static_cast<std::size_t>(x) * 3] = p.r;
      row[static_cast<std::size_t>(x) * 3 + 1] = p.g;
      row[static_cast<std::size_t>(x) * 3 + 2] = p.b;
    }
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  jpeg_destroy_compress(&cinfo);
  return out;
}

// A JPEG from raw samples in any libjpeg input colour space (grayscale, CMYK), optionally
// progressive.
std::string makeJpegRaw(int width, int height, J_COLOR_SPACE space, int components,
                        const std::vector<std::uint8_t>& samples, bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  if (progressive) {
    jpeg_simple_progression(&cinfo);
  }
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(components);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(samples.data()) +
                   static_cast<std::size_t>(cinfo.next_scanline) * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  jpeg_destroy_compress(&cinfo);
  return out;
}

Image decodeJpeg(const std::string& bytes) {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  Image img;
  img.width = static_cast<int>(cinfo.output_width);
  img.height = static_cast<int>(cinfo.output_height);
  img.channels = 3;
  img.data.resize(static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = img.data.data() + static_cast<std::size_t>(cinfo.output_scanline) *
                                         static_cast<std::size_t>(img.width) * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return img;
}

Image decodePngRgba(const std::string& bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) != 0);
  image.format = PNG_FORMAT_RGBA;
  Image img;
  img.width = static_cast<int>(image.width);
  img.height = static_cast<int>(image.height);
  img.channels = 4;
  img.data.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, img.data.data(), 0, nullptr) != 0);
  return img;
}

void putU16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
  s.push_back(static_cast<char>(v & 0xFF));
}

void putU32(std::string& s, std::uint32_t v) {
  putU16(s, (v >> 16) & 0xFFFF);
  putU16(s, v & 0xFFFF);
}

void putU32Le(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

// A big-endian TIFF block (the EXIF payload) with Make, Model, ImageDescription and, if non-zero,
// Orientation in IFD0.
std::string makeTiff(int orientation, const std::string& description) {
  struct Entry {
    unsigned tag;
    std::string ascii;  // ASCII value incl. NUL; empty for the SHORT
  };
  std::vector<Entry> entries = {{0x010E, description + '\0'},
                                {0x010F, std::string("TestCam\0", 8)},
                                {0x0110, std::string("Model-X1\0", 9)}};
  if (orientation != 0) {
    entries.push_back({0x0112, ""});
  }
  std::string tiff = "MM";
  putU16(tiff, 42);
  putU32(tiff, 8);
  putU16(tiff, static_cast<unsigned>(entries.size()));
  std::uint32_t data_offset = static_cast<std::uint32_t>(8 + 2 + entries.size() * 12 + 4);
  std::string data;
  for (const Entry& e : entries) {
    putU16(tiff, e.tag);
    if (e.ascii.empty()) {
      putU16(tiff, 3);
      putU32(tiff, 1);
      putU16(tiff, static_cast<unsigned>(orientation));
      putU16(tiff, 0);
    } else {
      putU16(tiff, 2);
      putU32(tiff, static_cast<std::uint32_t>(e.ascii.size()));
      putU32(tiff, data_offset + static_cast<std::uint32_t>(data.size()));
      data += e.ascii;
    }
  }
  putU32(tiff, 0);
  return tiff + data;
}

std::string exifApp1(int orientation, const std::string& description) {
  return std::string("Exif\0\0", 6) + makeTiff(orientation, description);
}

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (char ch : bytes) {
    crc ^= static_cast<std::uint8_t>(ch);
    for (int k = 0; k < 8; ++k) {
      crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0xEDB88320U : crc >> 1;
    }
  }
  return crc ^ 0xFFFFFFFFU;
}

std::string pngChunk(std::string_view type, std::string_view data) {
  std::string chunk;
  putU32(chunk, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type) + std::string(data);
  chunk += body;
  putU32(chunk, crc32(body));
  return chunk;
}

struct PngWriteState {
  std::string out;
};

void pngWrite(png_structp png, png_bytep data, png_size_t length) {
  auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
  state->out.append(reinterpret_cast<const char*>(data), length);
}

void pngFlush(png_structp /*png*/) {}

// RGBA (alpha = true) or RGB PNG via libpng's classic API, with a tEXt Comment and an eXIf chunk.
std::string makePng(int width, int height, bool alpha, const std::string& secret) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  REQUIRE(png != nullptr);
  png_infop info = png_create_info_struct(png);
  REQUIRE(info != nullptr);
  PngWriteState state;
  const int channels = alpha ? 4 : 3;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) *
                                   static_cast<std::size_t>(height) *
                                   static_cast<std::size_t>(channels));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                             static_cast<std::size_t>(x)) *
                            static_cast<std::size_t>(channels);
      pixels[i] = static_cast<std::uint8_t>(x * 4);
      pixels[i + 1] = static_cast<std::uint8_t>(y * 4);
      pixels[i + 2] = 200;
      if (alpha) {
        pixels[i + 3] = x < width / 2 ? 255 : 0;  // right half fully transparent
      }
    }
  }
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    rows[static_cast<std::size_t>(y)] =
        pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width) *
                            static_cast<std::size_t>(channels);
  }
  const std::string tiff = makeTiff(0, secret);
  std::string key = "Comment";
  std::string text = secret;
  png_text comment{};
  comment.compression = PNG_TEXT_COMPRESSION_NONE;
  comment.key = key.data();
  comment.text = text.data();
  comment.text_length = text.size();
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    FAIL("libpng failed to write the test PNG");
    return {};
  }
  png_set_write_fn(png, &state, pngWrite, pngFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_text(png, info, &comment, 1);
  png_set_eXIf_1(png, info, static_cast<png_uint_32>(tiff.size()),
                 reinterpret_cast<png_bytep>(const_cast<char*>(tiff.data())));
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return state.out;
}

// Lossless WebP in the simple format (RIFF + VP8L).
std::string makeWebpSimple(int width, int height) {
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                                3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 30;
    rgb[i + 1] = 160;
    rgb[i + 2] = 90;
  }
  std::uint8_t* encoded = nullptr;
  const std::size_t size = WebPEncodeLosslessRGB(rgb.data(), width, height, width * 3, &encoded);
  REQUIRE(size > 12);
  std::string out(reinterpret_cast<const char*>(encoded), size);
  WebPFree(encoded);
  return out;
}

// Lossless WebP (simple format) re-wrapped as extended VP8X with an EXIF chunk.
std::string makeWebpWithExif(int width, int height, const std::string& secret) {
  const std::string simple = makeWebpSimple(width, height);
  REQUIRE(simple.substr(0, 4) == "RIFF");
  std::string image_chunk = simple.substr(12);  // "VP8L" chunk with its header
  std::string vp8x = "VP8X";
  putU32Le(vp8x, 10);
  vp8x.push_back(0x08);  // EXIF flag
  vp8x.append(3, '\0');
  const auto put24 = [&](std::uint32_t v) {
    for (int i = 0; i < 3; ++i) {
      vp8x.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
  };
  put24(static_cast<std::uint32_t>(width - 1));
  put24(static_cast<std::uint32_t>(height - 1));
  std::string exif = makeTiff(0, secret);
  std::string exif_chunk = "EXIF";
  putU32Le(exif_chunk, static_cast<std::uint32_t>(exif.size()));
  exif_chunk += exif;
  if (exif.size() % 2 == 1) {
    exif_chunk.push_back('\0');
  }
  const std::string body = "WEBP" + vp8x + image_chunk + exif_chunk;
  std::string riff = "RIFF";
  putU32Le(riff, static_cast<std::uint32_t>(body.size()));
  return riff + body;
}

std::string sha256Hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), md.data(), &n, EVP_sha256(), nullptr) == 1);
  std::string hex;
  constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0x0F]);
  }
  return hex;
}

Rgb solid(std::uint8_t r, std::uint8_t g, std::uint8_t b) { return Rgb{r, g, b}; }

bool near(Rgb a, Rgb b, int tolerance = 24) {
  const auto d = [](int x, int y) { return x > y ? x - y : y - x; };
  return d(a.r, b.r) <= tolerance && d(a.g, b.g) <= tolerance && d(a.b, b.b) <= tolerance;
}

void checkRejected(const bb::Result<CleanedImage>& r, ErrorCode code, const std::string& detail) {
  REQUIRE_FALSE(r.has_value());
  CHECK(codeName(r.error().code) == codeName(code));
  if (!detail.empty()) {
    CHECK(r.error().detail == detail);
  }
}

// Position of the first marker `marker` (0xFFxx) in a JPEG's header segments.
std::size_t findMarker(const std::string& jpeg, unsigned char marker) {
  std::size_t pos = 2;
  while (pos + 4 <= jpeg.size()) {
    REQUIRE(static_cast<unsigned char>(jpeg[pos]) == 0xFF);
    const unsigned char m = static_cast<unsigned char>(jpeg[pos + 1]);
    if (m == marker) {
      return pos;
    }
    const std::size_t len = (static_cast<std::size_t>(static_cast<unsigned char>(jpeg[pos + 2]))
                             << 8) |
                            static_cast<unsigned char>(jpeg[pos + 3]);
    pos += 2 + len;
  }
  FAIL("marker not found");
  return 0;
}

}  // namespace

TEST_CASE("media: camera photos lose GPS, camera and time metadata") {
  for (const char* name : {"gps_DSCN0010.jpg", "gps_DSCN0012.jpg"}) {
    CAPTURE(name);
    const std::string input = readFixture(name);
    // Control: the input really carries what must go, so this test can fail.
    const std::vector<Tag> before = parseTags(runExiftool(input));
    REQUIRE(hasTag(before, "GPS", "GPSLatitude"));
    REQUIRE(hasTag(before, "GPS", "GPSLongitude"));
    REQUIRE(hasTag(before, "IFD0", "Make"));
    REQUIRE(hasTag(before, "ExifIFD", "DateTimeOriginal"));

    const auto cleaned = cleanImage(input);
    REQUIRE(cleaned.has_value());
    CHECK(cleaned->mime_type == "image/jpeg");
    CHECK(cleaned->width == 640);
    CHECK(cleaned->height == 480);
    CHECK(cleaned->sha256_hex == sha256Hex(cleaned->bytes));
    CHECK(cleaned->bytes != input);
    checkNoMetadata(cleaned->bytes);
    checkNoMetadata(cleaned->thumbnail_jpeg);
    const Image thumb = decodeJpeg(cleaned->thumbnail_jpeg);
    CHECK(thumb.width == 320);
    CHECK(thumb.height == 240);
    CHECK(cleaned->bytes.find("NIKON") == std::string::npos);
    CHECK(cleaned->bytes.find("Exif") == std::string::npos);
  }
}

TEST_CASE("media: cleaning is deterministic and the sha256 is the content address") {
  const std::string input = readFixture("gps_DSCN0010.jpg");
  const auto a = cleanImage(input);
  const auto b = cleanImage(input);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->bytes == b->bytes);
  CHECK(a->sha256_hex == b->sha256_hex);
  CHECK(a->sha256_hex.size() == 64);
  CHECK(a->sha256_hex.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("media: the longer edge is capped at max_edge_px keeping the aspect ratio") {
  const std::string big = makeJpeg(3000, 1500, [](int x, int /*y*/) {
    return x < 1500 ? solid(220, 20, 20) : solid(20, 20, 220);
  });
  SUBCASE("default 2048") {
    const auto cleaned = cleanImage(big);
    REQUIRE(cleaned.has_value());
    CHECK(cleaned->width == 2048);
    CHECK(cleaned->height == 1024);
    const Image out = decodeJpeg(cleaned->bytes);
    CHECK(out.width == 2048);
    CHECK(out.height == 1024);
    CHECK(near(out.at(100, 512), solid(220, 20, 20)));
    CHECK(near(out.at(1900, 512), solid(20, 20, 220)));
    const Image thumb = decodeJpeg(cleaned->thumbnail_jpeg);
    CHECK(thumb.width == 320);
    CHECK(thumb.height == 160);
  }
  SUBCASE("configured 100, portrait") {
    const std::string tall = makeJpeg(300, 900, [](int, int) { return solid(90, 90, 90); });
    CleanOptions options;
    options.max_edge_px = 100;
    options.thumbnail_edge_px = 50;
    const auto cleaned = cleanImage(tall, options);
    REQUIRE(cleaned.has_value());
    CHECK(cleaned->width == 33);
    CHECK(cleaned->height == 100);
    const Image thumb = decodeJpeg(cleaned->thumbnail_jpeg);
    CHECK(thumb.width == 17);
    CHECK(thumb.height == 50);
  }
  SUBCASE("small images are not upscaled") {
    const std::string small = makeJpeg(40, 30, [](int, int) { return solid(10, 200, 10); });
    const auto cleaned = cleanImage(small);
    REQUIRE(cleaned.has_value());
    CHECK(cleaned->width == 40);
    CHECK(cleaned->height == 30);
    CHECK(decodeJpeg(cleaned->thumbnail_jpeg).width == 40);
  }
}

TEST_CASE("media: the EXIF orientation is applied before the metadata is dropped") {
  // 64×32, left half red, right half blue; the EXIF block also carries a camera make.
  const PixelFn halves = [](int x, int) {
    return x < 32 ? solid(230, 20, 20) : solid(20, 20, 230);
  };
  const Rgb red = solid(230, 20, 20);
  const Rgb blue = solid(20, 20, 230);
  struct Case {
    int orientation;
    int width, height;
    // sample points in the output and the expected colour
    int x1, y1;
    Rgb c1;
    int x2, y2;
    Rgb c2;
  };
  const Case cases[] = {
      {1, 64, 32, 8, 16, red, 56, 16, blue},   // as stored
      {3, 64, 32, 8, 16, blue, 56, 16, red},   // rotate 180
      {6, 32, 64, 16, 8, red, 16, 56, blue},   // rotate 90 clockwise: left goes to top
      {8, 32, 64, 16, 8, blue, 16, 56, red},   // rotate 90 counter-clockwise
      {2, 64, 32, 8, 16, blue, 56, 16, red},   // mirror
      {9, 64, 32, 8, 16, red, 56, 16, blue},   // invalid value: ignored
  };
  for (const Case& c : cases) {
    CAPTURE(c.orientation);
    const std::string input =
        makeJpeg(64, 32, halves, {{JPEG_APP0 + 1, exifApp1(c.orientation, "kerb")}});
    REQUIRE(hasTag(parseTags(runExiftool(input)), "IFD0", "Orientation"));  // control
    const auto cleaned = cleanImage(input);
    REQUIRE(cleaned.has_value());
    CHECK(cleaned->width == c.width);
    CHECK(cleaned->height == c.height);
    const Image out = decodeJpeg(cleaned->bytes);
    REQUIRE(out.width == c.width);
    CHECK(near(out.at(c.x1, c.y1), c.c1));
    CHECK(near(out.at(c.x2, c.y2), c.c2));
    checkNoMetadata(cleaned->bytes);
  }
}

TEST_CASE("media: grayscale, CMYK and progressive JPEGs become RGB baseline JPEGs") {
  const int w = 32;
  const int h = 24;
  const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  SUBCASE("grayscale") {
    const std::vector<std::uint8_t> gray(n, 100);
    const auto cleaned = cleanImage(makeJpegRaw(w, h, JCS_GRAYSCALE, 1, gray, false));
    REQUIRE(cleaned.has_value());
    CHECK(near(decodeJpeg(cleaned->bytes).at(16, 12), solid(100, 100, 100), 6));
  }
  SUBCASE("Adobe CMYK (inverted, as Photoshop writes it) showing red") {
    std::vector<std::uint8_t> cmyk;
    for (std::size_t i = 0; i < n; ++i) {
      cmyk.insert(cmyk.end(), {255, 0, 0, 255});
    }
    const std::string input = makeJpegRaw(w, h, JCS_CMYK, 4, cmyk, false);
    REQUIRE(runExiftool(input).find("Adobe") != std::string::npos);
    const auto cleaned = cleanImage(input);
    REQUIRE(cleaned.has_value());
    CHECK(near(decodeJpeg(cleaned->bytes).at(16, 12), solid(255, 0, 0), 30));
    checkNoMetadata(cleaned->bytes);  // the Adobe APP14 segment is gone too
  }
  SUBCASE("progressive") {
    std::vector<std::uint8_t> rgb;
    for (std::size_t i = 0; i < n; ++i) {
      rgb.insert(rgb.end(), {20, 200, 40});
    }
    const std::string input = makeJpegRaw(w, h, JCS_RGB, 3, rgb, true);
    REQUIRE(runExiftool(input).find("Progressive") != std::string::npos);
    const auto cleaned = cleanImage(input);
    REQUIRE(cleaned.has_value());
    CHECK(runExiftool(cleaned->bytes).find("Baseline DCT") != std::string::npos);
    CHECK(near(decodeJpeg(cleaned->bytes).at(16, 12), solid(20, 200, 40)));
  }
}

TEST_CASE("media: APP segments and comments of a JPEG are gone") {
  const std::string xmp =
      "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><GPSLatitude>50.1</GPSLatitude></x:xmpmeta>"s;
  const std::string input = makeJpeg(
      48, 48, [](int, int) { return solid(120, 130, 140); },
      {{JPEG_APP0 + 1, exifApp1(1, "Hauptstrasse 5")},
       {JPEG_APP0 + 1, xmp},
       {JPEG_APP0 + 13, std::string("Photoshop 3.0\0", 14) + "8BIM-iptc"},
       {JPEG_COM, "Tel. 0171 2345678"}});
  const std::string before = runExiftool(input);
  REQUIRE(before.find("Hauptstrasse 5") != std::string::npos);
  REQUIRE(before.find("0171 2345678") != std::string::npos);
  const auto cleaned = cleanImage(input);
  REQUIRE(cleaned.has_value());
  checkNoMetadata(cleaned->bytes);
  for (const char* secret : {"Hauptstrasse", "0171", "xmpmeta", "8BIM", "TestCam"}) {
    CHECK(cleaned->bytes.find(secret) == std::string::npos);
    CHECK(cleaned->thumbnail_jpeg.find(secret) == std::string::npos);
  }
}

TEST_CASE("media: a PNG with alpha stays PNG and loses its tEXt and eXIf chunks") {
  const std::string secret = "Geheimweg 12, 52062 Aachen";
  const std::string input = makePng(40, 20, true, secret);
  const std::string before = runExiftool(input);
  REQUIRE(before.find(secret) != std::string::npos);  // control: tEXt and eXIf are there
  REQUIRE(hasTag(parseTags(before), "IFD0", "Make"));
  const auto cleaned = cleanImage(input);
  REQUIRE(cleaned.has_value());
  CHECK(cleaned->mime_type == "image/png");
  CHECK(cleaned->width == 40);
  CHECK(cleaned->height == 20);
  CHECK(cleaned->bytes.find(secret) == std::string::npos);
  CHECK(cleaned->bytes.find("tEXt") == std::string::npos);
  CHECK(cleaned->bytes.find("eXIf") == std::string::npos);
  CHECK(runExiftool(cleaned->bytes).find(secret) == std::string::npos);
  checkNoMetadata(cleaned->bytes);
  checkNoMetadata(cleaned->thumbnail_jpeg);
  const Image out = decodePngRgba(cleaned->bytes);
  CHECK(out.data[3] == 255);                            // (0,0) opaque
  CHECK(out.data[(static_cast<std::size_t>(39)) * 4 + 3] == 0);  // (39,0) transparent
  const Image thumb = decodeJpeg(cleaned->thumbnail_jpeg);
  CHECK(near(thumb.at(35, 10), solid(255, 255, 255)));  // transparency shown on white
}

TEST_CASE("media: a PNG without alpha becomes a clean JPEG") {
  const std::string secret = "Max Mustermann";
  const std::string input = makePng(30, 30, false, secret);
  REQUIRE(runExiftool(input).find(secret) != std::string::npos);
  const auto cleaned = cleanImage(input);
  REQUIRE(cleaned.has_value());
  CHECK(cleaned->mime_type == "image/jpeg");
  CHECK(cleaned->bytes.find(secret) == std::string::npos);
  checkNoMetadata(cleaned->bytes);
}

TEST_CASE("media: a WebP with an EXIF chunk becomes a clean JPEG") {
  const std::string secret = "Am Markt 1, Lat 50.77";
  const std::string input = makeWebpWithExif(24, 16, secret);
  const std::string before = runExiftool(input);
  REQUIRE(before.find(secret) != std::string::npos);  // control
  REQUIRE(hasTag(parseTags(before), "", "Make"));
  const auto cleaned = cleanImage(input);
  REQUIRE(cleaned.has_value());
  CHECK(cleaned->mime_type == "image/jpeg");
  CHECK(cleaned->width == 24);
  CHECK(cleaned->height == 16);
  CHECK(cleaned->bytes.find(secret) == std::string::npos);
  checkNoMetadata(cleaned->bytes);
  const Image out = decodeJpeg(cleaned->bytes);
  CHECK(near(out.at(12, 8), solid(30, 160, 90)));
}

TEST_CASE("media: HEIC and HEIF are rejected as heic_unsupported") {
  for (const char* brand : {"heic", "heix", "mif1", "msf1", "hevc"}) {
    CAPTURE(brand);
    std::string heic("\0\0\0\x18" "ftyp", 8);
    heic += brand;
    heic += std::string("\0\0\0\0mif1heic", 12);
    heic += std::string(200, '\x42');
    checkRejected(cleanImage(heic), ErrorCode::InvalidInput, "heic_unsupported");
  }
  // Major brand unknown, but HEIC among the compatible brands.
  std::string compat("\0\0\0\x18" "ftypXXXX\0\0\0\0mif1heic", 24);
  checkRejected(cleanImage(compat), ErrorCode::InvalidInput, "heic_unsupported");
}

TEST_CASE("media: unknown formats are rejected as unsupported_format") {
  const std::string cases[] = {
      std::string("GIF89a\x01\0\x01\0", 10),
      "<svg xmlns='http://www.w3.org/2000/svg'/>",
      std::string("BM\x3e\0\0\0", 6),
      std::string("\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf", 28),
      "RIFF\x10\0\0\0WAVEfmt "s,
      "x",
  };
  for (const std::string& input : cases) {
    checkRejected(cleanImage(input), ErrorCode::InvalidInput, "unsupported_format");
  }
  checkRejected(cleanImage(""), ErrorCode::InvalidInput, "empty_input");
}

TEST_CASE("media: input over max_input_bytes is TooLarge") {
  const std::string input = readFixture("gps_DSCN0010.jpg");
  CleanOptions options;
  options.max_input_bytes = input.size() - 1;
  checkRejected(cleanImage(input, options), ErrorCode::TooLarge, "input_too_large");
  options.max_input_bytes = input.size();
  CHECK(cleanImage(input, options).has_value());
}

TEST_CASE("media: a truncated JPEG is rejected") {
  const std::string input = readFixture("gps_DSCN0012.jpg");
  SUBCASE("first half") {
    checkRejected(cleanImage(input.substr(0, input.size() / 2)), ErrorCode::InvalidInput,
                  "jpeg_corrupt");
  }
  SUBCASE("EOI missing") {
    checkRejected(cleanImage(input.substr(0, input.size() - 2)), ErrorCode::InvalidInput,
                  "jpeg_corrupt");
  }
  SUBCASE("inside the headers") {
    checkRejected(cleanImage(input.substr(0, 300)), ErrorCode::InvalidInput, "jpeg_bad_segment");
  }
}

TEST_CASE("media: a JPEG with a corrupted segment length is rejected") {
  const std::string input = readFixture("gps_DSCN0010.jpg");
  const std::size_t app1 = findMarker(input, 0xE1);
  const std::size_t dqt = findMarker(input, 0xDB);
  const auto withLength = [&](std::size_t at, unsigned length) {
    std::string bad = input;
    bad[at + 2] = static_cast<char>((length >> 8) & 0xFF);
    bad[at + 3] = static_cast<char>(length & 0xFF);
    return bad;
  };
  SUBCASE("length below 2") {
    checkRejected(cleanImage(withLength(app1, 1)), ErrorCode::InvalidInput, "jpeg_bad_segment");
  }
  SUBCASE("length 0") {
    checkRejected(cleanImage(withLength(dqt, 0)), ErrorCode::InvalidInput, "jpeg_bad_segment");
  }
  SUBCASE("length lands inside other data") {
    checkRejected(cleanImage(withLength(app1, 0x1234)), ErrorCode::InvalidInput,
                  "jpeg_bad_segment");
  }
  SUBCASE("length past the end of a small file") {
    std::string small =
        makeJpeg(16, 16, [](int, int) { return solid(1, 2, 3); }, {{JPEG_COM, "hello"}});
    const std::size_t com = findMarker(small, 0xFE);
    small[com + 2] = '\xFF';
    small[com + 3] = '\xF0';
    checkRejected(cleanImage(small), ErrorCode::InvalidInput, "jpeg_bad_segment");
  }
  SUBCASE("a DQT that is too short for its tables") {
    // The walk is consistent (the next marker follows), but libjpeg's parser refuses it.
    std::string bad = input;
    const std::size_t len = (static_cast<std::size_t>(static_cast<unsigned char>(bad[dqt + 2]))
                             << 8) |
                            static_cast<unsigned char>(bad[dqt + 3]);
    std::string shortened = bad.substr(0, dqt + 2);
    putU16(shortened, 10);
    shortened += bad.substr(dqt + 4, 8);
    shortened += bad.substr(dqt + 2 + len);
    checkRejected(cleanImage(shortened), ErrorCode::InvalidInput, "");
  }
}

TEST_CASE("media: decompression bombs are rejected from the header") {
  SUBCASE("PNG claiming 100000x100000") {
    std::string ihdr;
    putU32(ihdr, 100000);
    putU32(ihdr, 100000);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);
    const std::string bomb = std::string("\x89PNG\r\n\x1A\n", 8) + pngChunk("IHDR", ihdr) +
                             pngChunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) +
                             pngChunk("IEND", "");
    CHECK(bomb.size() < 100);
    checkRejected(cleanImage(bomb), ErrorCode::InvalidInput, "too_many_pixels");
  }
  SUBCASE("JPEG claiming 65000x65000") {
    std::string bomb = makeJpeg(16, 16, [](int, int) { return solid(1, 2, 3); });
    const std::size_t sof = findMarker(bomb, 0xC0);
    bomb[sof + 5] = static_cast<char>(65000 >> 8);  // height
    bomb[sof + 6] = static_cast<char>(65000 & 0xFF);
    bomb[sof + 7] = static_cast<char>(65000 >> 8);  // width
    bomb[sof + 8] = static_cast<char>(65000 & 0xFF);
    checkRejected(cleanImage(bomb), ErrorCode::InvalidInput, "too_many_pixels");
  }
  SUBCASE("lossless WebP claiming 16384x16384") {
    std::string bomb = makeWebpSimple(8, 8);
    REQUIRE(bomb.substr(12, 4) == "VP8L");
    // VP8L header after the 0x2F signature: 14 bits width-1, 14 bits height-1, alpha, version.
    bomb.replace(21, 4, "\xFF\xFF\xFF\x0F");
    checkRejected(cleanImage(bomb), ErrorCode::InvalidInput, "too_many_pixels");
  }
  SUBCASE("WebP canvas claiming 65536x65536") {
    std::string bomb = makeWebpWithExif(8, 8, "x");
    // VP8X canvas size: 24-bit width-1 and height-1 at offsets 24 and 27.
    bomb.replace(24, 6, "\xFF\xFF\x00\xFF\xFF\x00"s);
    checkRejected(cleanImage(bomb), ErrorCode::InvalidInput, "");
  }
  SUBCASE("configured max_pixels") {
    CleanOptions options;
    options.max_pixels = 640 * 480 - 1;
    checkRejected(cleanImage(readFixture("gps_DSCN0010.jpg"), options), ErrorCode::InvalidInput,
                  "too_many_pixels");
  }
}

TEST_CASE("media: garbage behind valid magic bytes is rejected without a crash") {
  std::uint32_t state = 12345;
  const auto next = [&] {
    state = state * 1103515245U + 12345U;
    return static_cast<char>((state >> 16) & 0xFF);
  };
  const std::string magics[] = {std::string("\xFF\xD8\xFF", 3),
                                std::string("\x89PNG\r\n\x1A\n", 8),
                                std::string("RIFF\x40\0\0\0WEBPVP8 ", 16)};
  for (const std::string& magic : magics) {
    for (int round = 0; round < 20; ++round) {
      std::string input = magic;
      for (int i = 0; i < 64 + round * 37; ++i) {
        input.push_back(next());
      }
      const auto r = cleanImage(input);
      CHECK_FALSE(r.has_value());
    }
  }
  // Bit flips in a real photo: either rejected or cleaned, never a crash or a metadata leak.
  const std::string photo = readFixture("gps_DSCN0010.jpg");
  for (std::size_t at = 20; at < photo.size(); at += photo.size() / 25) {
    std::string flipped = photo;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5A);
    const auto r = cleanImage(flipped);
    if (r.has_value()) {
      CHECK(r->bytes.find("NIKON") == std::string::npos);
      CHECK(r->bytes.find("Exif") == std::string::npos);
    }
  }
}

TEST_CASE("media: invalid options are refused instead of guessed") {
  const std::string input = readFixture("gps_DSCN0010.jpg");
  CleanOptions options;
  options.jpeg_quality = 0;
  checkRejected(cleanImage(input, options), ErrorCode::Internal, "invalid_clean_options");
  options = CleanOptions{};
  options.max_edge_px = 0;
  checkRejected(cleanImage(input, options), ErrorCode::Internal, "invalid_clean_options");
}
