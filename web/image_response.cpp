#include "web/image_response.hpp"

namespace bb::web {

HttpResponse imageResponse(const media::MediaStore& media, const std::string& content_id,
                           bool thumbnail, const std::string& cache_control) {
  if (!media::MediaStore::isValidId(content_id)) { return HttpResponse::text(404, "not found"); }
  auto bytes = thumbnail ? media.readThumbnail(content_id) : media.read(content_id);
  if (!bytes) { return HttpResponse::text(404, "not found"); }
  std::string type = "image/jpeg";  // thumbnails are always JPEG
  if (!thumbnail) {
    auto mime = media.mimeType(content_id);
    type = mime && (*mime == "image/jpeg" || *mime == "image/png" || *mime == "image/webp")
               ? *mime
               : "application/octet-stream";
  }
  HttpResponse r;
  r.content_type = type;
  r.body = std::move(*bytes);
  r.header("X-Content-Type-Options", "nosniff");
  r.header("Cache-Control", cache_control);
  r.header("Content-Disposition", "inline");
  r.header("Content-Security-Policy", "default-src 'none'; sandbox");
  return r;
}

}  // namespace bb::web
