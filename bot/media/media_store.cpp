#include "bot/media/media_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot/media/sha256.hpp"

namespace bb::media {

namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;

// errno text only: paths hold content hashes, which we keep out of error details too.
Unexpected<Error> ioError(const char* what) {
  const int saved = errno;
  return fail(ErrorCode::Unavailable,
              std::string(what) + ": " + std::error_code(saved, std::generic_category()).message());
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  int release() { return std::exchange(fd, -1); }
};

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRegularFile(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// mkdir -p; every directory this creates gets mode 0700. Existing ones are left as they are.
Result<void> ensureDirectory(const std::string& path) {
  if (isDirectory(path)) {
    return {};
  }
  for (std::size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    const std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) {
      return ioError("media_mkdir_failed");
    }
    if (slash == std::string::npos) {
      break;
    }
  }
  if (!isDirectory(path)) {
    return fail(ErrorCode::Unavailable, "media_dir_not_a_directory");
  }
  return {};
}

Result<void> syncDirectory(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0 || ::fsync(d.fd) != 0) {
    return ioError("media_dir_fsync_failed");
  }
  return {};
}

Result<void> writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError("media_write_failed");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Temp file in the same directory (mode 0600, O_EXCL), fsync, rename over `target`, fsync dir.
Result<void> writeAtomically(const std::string& dir, const std::string& target,
                             std::string_view bytes) {
  std::string temp = dir + "/.tmp-XXXXXX";
  Fd file(::mkostemp(temp.data(), O_CLOEXEC));
  if (file.fd < 0) {
    return ioError("media_create_failed");
  }
  Result<void> ok = [&]() -> Result<void> {
    if (::fchmod(file.fd, kFileMode) != 0) {
      return ioError("media_chmod_failed");
    }
    if (Result<void> w = writeAll(file.fd, bytes); !w) {
      return w;
    }
    if (::fsync(file.fd) != 0) {
      return ioError("media_fsync_failed");
    }
    if (::close(file.release()) != 0) {
      return ioError("media_close_failed");
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      return ioError("media_rename_failed");
    }
    return {};
  }();
  if (!ok) {
    ::unlink(temp.c_str());
    return ok;
  }
  return syncDirectory(dir);
}

Result<std::string> readWholeFile(const std::string& path) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.fd < 0) {
    if (errno == ENOENT) {
      return fail(ErrorCode::NotFound, "media_not_found");
    }
    return ioError("media_open_failed");
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(ErrorCode::Unavailable, "media_not_a_file");
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError("media_read_failed");
    }
    if (n == 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

Result<void> unlinkIfPresent(const std::string& path, bool& removed) {
  if (::unlink(path.c_str()) == 0) {
    removed = true;
    return {};
  }
  if (errno == ENOENT) {
    return {};
  }
  return ioError("media_unlink_failed");
}

bool hasMagic(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

constexpr std::string_view kJpegMagic = "\xFF\xD8\xFF";
constexpr std::string_view kPngMagic = "\x89PNG\r\n\x1A\n";

}  // namespace

MediaStore::MediaStore(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') {
    dir_.pop_back();
  }
}

bool MediaStore::isValidId(const std::string& id) {
  if (id.size() != 64) {
    return false;
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

Result<std::string> MediaStore::put(const CleanedImage& image) {
  std::string ext;
  if (image.mime_type == "image/jpeg" && hasMagic(image.bytes, kJpegMagic)) {
    ext = ".jpg";
  } else if (image.mime_type == "image/png" && hasMagic(image.bytes, kPngMagic)) {
    ext = ".png";
  } else {
    return fail(ErrorCode::InvalidInput, "media_type_mismatch");
  }
  if (!hasMagic(image.thumbnail_jpeg, kJpegMagic)) {
    return fail(ErrorCode::InvalidInput, "media_thumbnail_missing");
  }
  if (!isValidId(image.sha256_hex)) {
    return fail(ErrorCode::InvalidInput, "media_bad_id");
  }
  Result<std::string> sha = sha256Hex(image.bytes);
  if (!sha) {
    return fail(sha.error().code, sha.error().detail);
  }
  if (*sha != image.sha256_hex) {
    return fail(ErrorCode::InvalidInput, "media_sha256_mismatch");
  }
  if (dir_.empty()) {
    return fail(ErrorCode::Internal, "media_dir_unset");
  }
  const std::string& id = image.sha256_hex;
  const std::string shard = dir_ + "/" + id.substr(0, 2);
  if (Result<void> ok = ensureDirectory(dir_); !ok) {
    return fail(ok.error().code, ok.error().detail);
  }
  if (Result<void> ok = ensureDirectory(shard); !ok) {
    return fail(ok.error().code, ok.error().detail);
  }
  // Thumbnail first: once the image exists, its thumbnail does too.
  const std::string thumb = shard + "/" + id + ".thumb.jpg";
  if (!isRegularFile(thumb)) {
    if (Result<void> ok = writeAtomically(shard, thumb, image.thumbnail_jpeg); !ok) {
      return fail(ok.error().code, ok.error().detail);
    }
  }
  const std::string main = shard + "/" + id + ext;
  if (!isRegularFile(main)) {
    if (Result<void> ok = writeAtomically(shard, main, image.bytes); !ok) {
      return fail(ok.error().code, ok.error().detail);
    }
  }
  return id;
}

Result<std::string> MediaStore::read(const std::string& id) const {
  if (!isValidId(id)) {
    return fail(ErrorCode::InvalidInput, "media_bad_id");
  }
  const std::string base = dir_ + "/" + id.substr(0, 2) + "/" + id;
  Result<std::string> jpeg = readWholeFile(base + ".jpg");
  if (jpeg || jpeg.error().code != ErrorCode::NotFound) {
    return jpeg;
  }
  return readWholeFile(base + ".png");
}

Result<std::string> MediaStore::readThumbnail(const std::string& id) const {
  if (!isValidId(id)) {
    return fail(ErrorCode::InvalidInput, "media_bad_id");
  }
  return readWholeFile(dir_ + "/" + id.substr(0, 2) + "/" + id + ".thumb.jpg");
}

Result<std::string> MediaStore::mimeType(const std::string& id) const {
  if (!isValidId(id)) {
    return fail(ErrorCode::InvalidInput, "media_bad_id");
  }
  const std::string base = dir_ + "/" + id.substr(0, 2) + "/" + id;
  if (isRegularFile(base + ".jpg")) {
    return std::string("image/jpeg");
  }
  if (isRegularFile(base + ".png")) {
    return std::string("image/png");
  }
  return fail(ErrorCode::NotFound, "media_not_found");
}

Result<void> MediaStore::remove(const std::string& id) {
  if (!isValidId(id)) {
    return fail(ErrorCode::InvalidInput, "media_bad_id");
  }
  const std::string shard = dir_ + "/" + id.substr(0, 2);
  const std::string base = shard + "/" + id;
  bool removed = false;
  for (const char* ext : {".jpg", ".png", ".thumb.jpg"}) {
    if (Result<void> ok = unlinkIfPresent(base + ext, removed); !ok) {
      return ok;
    }
  }
  if (!removed) {
    return {};
  }
  if (Result<void> ok = syncDirectory(shard); !ok) {
    return ok;
  }
  ::rmdir(shard.c_str());  // only succeeds when the shard is empty; failure is harmless
  return {};
}

}  // namespace bb::media
