#pragma once
// One stored photo as an HTTP answer: the cleaned image (or its thumbnail) from the media store,
// with the headers that keep a browser from treating it as anything but an image. Used by the
// inbox (ticket and proposal photos) and the public participation page (approved photos).

#include <string>

#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"

namespace bb::web {

//! The image `content_id` (or its thumbnail); 404 when the id is malformed or the file is gone.
//! `cache_control` is e.g. "private, no-store" for staff pages.
HttpResponse imageResponse(const media::MediaStore& media, const std::string& content_id,
                           bool thumbnail, const std::string& cache_control);

}  // namespace bb::web
