#include "bot/result.hpp"

namespace bb {

const char* toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidInput: return "invalid_input";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::TooLarge: return "too_large";
    case ErrorCode::RateLimited: return "rate_limited";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Upstream: return "upstream";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

}  // namespace bb
