#pragma once
// Content-addressed storage of cleaned images (DESIGN.md §2.5, §6). Only a CleanedImage can be
// stored, so nothing reaches the disk before metadata removal succeeded.

#include <string>

#include "bot/media/image_cleaner.hpp"
#include "bot/result.hpp"

namespace bb::media {

//! Files under `dir` (created 0700 if missing; must lie outside any web root), mode 0600, each
//! written atomically (temp file + fsync + rename + directory fsync).
//! Layout: <dir>/<sha[0:2]>/<sha>.<jpg|png> and the thumbnail <dir>/<sha[0:2]>/<sha>.thumb.jpg.
//! Ids are the 64-character lowercase hex SHA-256 of the image bytes; anything else is rejected
//! with InvalidInput before the file system is touched (no path traversal).
//! Safe to use from several threads and processes: writers never share a temp file.
class MediaStore {
public:
  explicit MediaStore(std::string dir);

  //! Stores the image and its thumbnail; returns the sha256 id. Idempotent. Rejects an image whose
  //! sha256_hex does not match its bytes or whose bytes do not match its mime_type.
  Result<std::string> put(const CleanedImage& image);
  //! The image bytes; NotFound if absent.
  Result<std::string> read(const std::string& id) const;
  //! The thumbnail JPEG bytes; NotFound if absent.
  Result<std::string> readThumbnail(const std::string& id) const;
  //! "image/jpeg" or "image/png"; NotFound if absent.
  Result<std::string> mimeType(const std::string& id) const;
  //! Deletes image and thumbnail (retention, erasure). Removing a missing id succeeds, so an
  //! erasure job can be retried.
  Result<void> remove(const std::string& id);

  //! True for exactly 64 lowercase hex characters.
  static bool isValidId(const std::string& id);

private:
  std::string dir_;
};

}  // namespace bb::media
