// Tests of the content-addressed media store (bot/media/media_store.hpp) on a real temp directory.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <png.h>
#include <sys/stat.h>

#include "bot/media/image_cleaner.hpp"
#include "bot/media/media_store.hpp"

namespace {

using bb::ErrorCode;
using bb::media::CleanedImage;
using bb::media::MediaStore;

namespace fs = std::filesystem;

// doctest cannot print ErrorCode (bb::toString returns const char*), so compare names.
std::string codeName(ErrorCode code) { return bb::toString(code); }

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bb_media_store_XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

CleanedImage cleanedFixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/media/" + name, std::ios::binary);
  REQUIRE(in.good());
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  auto cleaned = bb::media::cleanImage(bytes);
  REQUIRE(cleaned.has_value());
  return *cleaned;
}

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("media: store put writes content-addressed 0600 files in 0700 directories") {
  TempDir tmp;
  const fs::path root = tmp.path / "var" / "media";  // missing: created by put
  MediaStore store(root.string());
  const CleanedImage image = cleanedFixture("gps_DSCN0010.jpg");
  const auto id = store.put(image);
  REQUIRE(id.has_value());
  CHECK(*id == image.sha256_hex);
  const fs::path shard = root / id->substr(0, 2);
  const fs::path file = shard / (*id + ".jpg");
  const fs::path thumb = shard / (*id + ".thumb.jpg");
  CHECK(modeOf(root) == 0700);
  CHECK(modeOf(tmp.path / "var") == 0700);
  CHECK(modeOf(shard) == 0700);
  CHECK(modeOf(file) == 0600);
  CHECK(modeOf(thumb) == 0600);
  CHECK(slurp(file) == image.bytes);
  CHECK(slurp(thumb) == image.thumbnail_jpeg);
  // Nothing but the two files: no temp file left behind.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(shard)) {
    CHECK(entry.path().filename().string().rfind(".tmp", 0) != 0);
    ++entries;
  }
  CHECK(entries == 2);

  const auto bytes = store.read(*id);
  REQUIRE(bytes.has_value());
  CHECK(*bytes == image.bytes);
  const auto thumbnail = store.readThumbnail(*id);
  REQUIRE(thumbnail.has_value());
  CHECK(*thumbnail == image.thumbnail_jpeg);
  const auto mime = store.mimeType(*id);
  REQUIRE(mime.has_value());
  CHECK(*mime == "image/jpeg");
}

TEST_CASE("media: store put is idempotent") {
  TempDir tmp;
  MediaStore store(tmp.path.string());
  const CleanedImage image = cleanedFixture("gps_DSCN0012.jpg");
  const auto first = store.put(image);
  REQUIRE(first.has_value());
  const fs::path file = tmp.path / first->substr(0, 2) / (*first + ".jpg");
  struct stat before {};
  REQUIRE(::stat(file.c_str(), &before) == 0);
  const auto second = store.put(image);
  REQUIRE(second.has_value());
  CHECK(*second == *first);
  struct stat after {};
  REQUIRE(::stat(file.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // not rewritten
  CHECK(store.read(*first).value() == image.bytes);
}

TEST_CASE("media: store keeps a PNG as .png with its mime type") {
  TempDir tmp;
  MediaStore store(tmp.path.string());
  // A 2x1 RGBA PNG: one opaque, one transparent pixel.
  const auto fromPng = [] {
    const unsigned char rgba[] = {200, 10, 10, 255, 10, 200, 10, 0};
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = 2;
    image.height = 1;
    image.format = PNG_FORMAT_RGBA;
    std::string png(256, '\0');
    png_alloc_size_t size = png.size();
    REQUIRE(png_image_write_to_memory(&image, png.data(), &size, 0, rgba, 0, nullptr) != 0);
    png.resize(size);
    return bb::media::cleanImage(png);
  };
  const auto cleaned = fromPng();
  REQUIRE(cleaned.has_value());
  REQUIRE(cleaned->mime_type == "image/png");
  const auto id = store.put(*cleaned);
  REQUIRE(id.has_value());
  CHECK(fs::exists(tmp.path / id->substr(0, 2) / (*id + ".png")));
  CHECK(store.mimeType(*id).value() == "image/png");
  CHECK(store.read(*id).value() == cleaned->bytes);
}

TEST_CASE("media: store rejects ids that are not 64 lowercase hex") {
  TempDir tmp;
  MediaStore store(tmp.path.string());
  const std::string valid(64, 'a');
  const std::string bad_ids[] = {"../etc/passwd",
                                 "",
                                 "..",
                                 std::string(63, 'a'),
                                 std::string(65, 'a'),
                                 std::string(64, 'A'),
                                 "../" + std::string(61, 'a'),
                                 std::string(62, 'a') + "/.",
                                 std::string(63, 'a') + '\0',
                                 std::string(63, 'a') + 'g'};
  for (const std::string& id : bad_ids) {
    CAPTURE(id);
    CHECK_FALSE(MediaStore::isValidId(id));
    const auto r = store.read(id);
    REQUIRE_FALSE(r.has_value());
    CHECK(codeName(r.error().code) == codeName(ErrorCode::InvalidInput));
    CHECK(r.error().detail.find(id.empty() ? "\x01" : id) == std::string::npos);
    CHECK(codeName(store.readThumbnail(id).error().code) == codeName(ErrorCode::InvalidInput));
    CHECK(codeName(store.mimeType(id).error().code) == codeName(ErrorCode::InvalidInput));
    CHECK(codeName(store.remove(id).error().code) == codeName(ErrorCode::InvalidInput));
  }
  CHECK(MediaStore::isValidId(valid));
  CHECK(codeName(store.read(valid).error().code) == codeName(ErrorCode::NotFound));
  CHECK(codeName(store.readThumbnail(valid).error().code) == codeName(ErrorCode::NotFound));
  CHECK(codeName(store.mimeType(valid).error().code) == codeName(ErrorCode::NotFound));
}

TEST_CASE("media: store put refuses images that are not what they claim") {
  TempDir tmp;
  MediaStore store(tmp.path.string());
  const CleanedImage good = cleanedFixture("gps_DSCN0010.jpg");
  SUBCASE("sha256 does not match the bytes") {
    CleanedImage bad = good;
    bad.bytes.back() = static_cast<char>(bad.bytes.back() ^ 1);
    CHECK(store.put(bad).error().detail == "media_sha256_mismatch");
  }
  SUBCASE("mime type does not match the bytes") {
    CleanedImage bad = good;
    bad.mime_type = "image/png";
    CHECK(store.put(bad).error().detail == "media_type_mismatch");
  }
  SUBCASE("not an id") {
    CleanedImage bad = good;
    bad.sha256_hex = "../../x";
    CHECK(codeName(store.put(bad).error().code) == codeName(ErrorCode::InvalidInput));
  }
  SUBCASE("no thumbnail") {
    CleanedImage bad = good;
    bad.thumbnail_jpeg.clear();
    CHECK(codeName(store.put(bad).error().code) == codeName(ErrorCode::InvalidInput));
  }
  CHECK(fs::is_empty(tmp.path));
}

TEST_CASE("media: store remove deletes image and thumbnail and can be repeated") {
  TempDir tmp;
  MediaStore store(tmp.path.string());
  const CleanedImage image = cleanedFixture("gps_DSCN0010.jpg");
  const auto id = store.put(image);
  REQUIRE(id.has_value());
  CHECK(store.remove(*id).has_value());
  CHECK(codeName(store.read(*id).error().code) == codeName(ErrorCode::NotFound));
  CHECK(codeName(store.readThumbnail(*id).error().code) == codeName(ErrorCode::NotFound));
  CHECK(codeName(store.mimeType(*id).error().code) == codeName(ErrorCode::NotFound));
  CHECK_FALSE(fs::exists(tmp.path / id->substr(0, 2)));  // empty shard removed
  CHECK(store.remove(*id).has_value());
  // And it can be stored again afterwards.
  CHECK(store.put(image).has_value());
  CHECK(store.read(*id).value() == image.bytes);
}
