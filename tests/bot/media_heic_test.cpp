// The HEIC decision (docs/media.md): a real HEIC file, as an iPhone sends it "as a file", is
// recognised and refused by name, so the citizen can be asked for a JPEG.
#include <doctest/doctest.h>

#include "bot/media/image_cleaner.hpp"
#include "support/server_process.hpp"

TEST_CASE("media: a real HEIC file (HEVC-coded by libheif) is rejected as heic_unsupported") {
  const std::string heic =
      bb::test::readFile(std::string(BB_FIXTURE_DIR) + "/media/gradient.heic");
  REQUIRE(heic.size() > 100);
  REQUIRE(heic.substr(4, 8) == "ftypheic");
  auto r = bb::media::cleanImage(heic);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == bb::ErrorCode::InvalidInput);
  CHECK(r.error().detail == "heic_unsupported");
}
