// Replies from the Graph API: send outcomes by Graph error code (channels.md §1.8: "build your
// app's error handling around code … instead of … HTTP response status codes") and media URLs.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "webhooks/whatsapp/text_limits.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::webhooks::whatsapp {

namespace {

using nlohmann::json;
using Kind = SendOutcome::Kind;

constexpr std::size_t kMaxTitleUnits = 120;
constexpr std::int64_t kMaxRetryAfterSeconds = 24 * 60 * 60;

//! Parses a reply body; a discarded value when it is not JSON.
json parseBody(const std::string& body) {
  return json::parse(body, nullptr, false);
}

std::optional<Kind> kindForCode(std::int64_t code) {
  switch (code) {
    case 4:       // app API call rate limit
    case 80007:   // WABA rate limit
    case 130429:  // Cloud API throughput reached
    case 131056:  // pair rate limit (same sender and recipient)
      return Kind::RateLimited;
    case 131047:  // re-engagement: more than 24 h since the citizen last wrote
      return Kind::NeedTemplate;
    case 1:       // unknown / API unknown
    case 2:       // temporary / service unavailable
    case 131000:  // something went wrong
    case 131016:  // service unavailable
    case 131057:  // account in maintenance mode (throughput upgrade, ≤1 min)
      return Kind::Retry;
    case 0:       // authentication (token) problems: alert, no point in retrying
    case 10:
    case 100:     // invalid parameter
    case 190:
    case 368:     // account restricted by policy
    case 131008:  // required parameter missing
    case 131009:  // parameter value invalid
    case 131021:  // recipient is the sender
    case 131026:  // undeliverable (not on WhatsApp, old client, terms not accepted)
    case 131031:  // account locked
    case 131048:  // spam rate limit (quality): stop, do not retry
    case 131049:  // not delivered for ecosystem engagement: not before 24 h
    case 131050:  // user stopped marketing messages
    case 131051:  // unsupported message type
    case 131052:  // media download failed
    case 131053:  // media upload failed
      return Kind::Permanent;
    default:
      if ((code >= 200 && code <= 299) || (code >= 132000 && code <= 132999)) {
        return Kind::Permanent;  // permissions; template problems
      }
      return std::nullopt;  // unknown: the HTTP status decides
  }
}

//! Retry-After as delta-seconds (an HTTP-date is ignored), bounded to a day.
std::chrono::milliseconds retryAfter(const HttpReply& reply) {
  const auto it = reply.headers.find("retry-after");
  if (it == reply.headers.end()) { return std::chrono::milliseconds{0}; }
  std::string_view value = it->second;
  while (!value.empty() && value.front() == ' ') { value.remove_prefix(1); }
  while (!value.empty() && value.back() == ' ') { value.remove_suffix(1); }
  std::int64_t seconds = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) {
    return std::chrono::milliseconds{0};
  }
  return std::chrono::seconds{std::min(seconds, kMaxRetryAfterSeconds)};
}

std::string sentId(const json& body) {
  if (!body.is_object()) { return {}; }
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) { return {}; }
  const json& first = messages->front();
  if (!first.is_object()) { return {}; }
  const auto id = first.find("id");
  return id != first.end() && id->is_string() ? id->get<std::string>() : std::string();
}

}  // namespace

SendOutcome classifySendReply(const HttpReply& reply) {
  SendOutcome out;
  if (reply.status == 0) {
    out.kind = Kind::Retry;
    out.error_code = "transport";
    return out;
  }
  json body;
  try {
    body = parseBody(reply.body);
  } catch (const std::exception&) {
    body = json(json::value_t::discarded);
  }
  if (reply.status >= 200 && reply.status < 300) {
    // Accepted. A 2xx without an id still went out: a retry could reach the citizen twice.
    out.kind = Kind::Sent;
    out.provider_message_id = sentId(body);
    return out;
  }
  std::optional<Kind> by_code;
  const json* error = nullptr;
  if (body.is_object()) {
    const auto it = body.find("error");
    if (it != body.end() && it->is_object()) { error = &*it; }
  }
  if (error != nullptr) {
    const auto code = error->find("code");
    if (code != error->end() && code->is_number_integer()) {
      const std::int64_t value = code->get<std::int64_t>();
      out.error_code = std::to_string(value);
      by_code = kindForCode(value);
    }
    const auto message = error->find("message");
    if (message != error->end() && message->is_string()) {
      out.error_title = text::shorten(message->get<std::string>(), kMaxTitleUnits);
    }
  }
  if (out.error_code.empty()) { out.error_code = "http_" + std::to_string(reply.status); }
  if (by_code) {
    out.kind = *by_code;
  } else if (reply.status == 429) {
    out.kind = Kind::RateLimited;
  } else if (reply.status >= 500) {
    out.kind = Kind::Retry;
  } else {
    out.kind = Kind::Permanent;
  }
  if (out.kind == Kind::Retry || out.kind == Kind::RateLimited) {
    out.retry_after = retryAfter(reply);
  }
  return out;
}

Result<std::string> parseMediaUrl(const HttpReply& reply) {
  if (reply.status != 200) {
    return fail(ErrorCode::Upstream, "whatsapp media info: status " + std::to_string(reply.status));
  }
  try {
    const json body = parseBody(reply.body);
    if (!body.is_object()) { return fail(ErrorCode::Upstream, "whatsapp media info: not json"); }
    const auto url = body.find("url");
    if (url == body.end() || !url->is_string()) {
      return fail(ErrorCode::Upstream, "whatsapp media info: no url");
    }
    const std::string& value = url->get_ref<const std::string&>();
    if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) {
      return fail(ErrorCode::Upstream, "whatsapp media info: url is not http(s)");
    }
    // The URL goes into our next request: no spaces or control characters (header injection).
    for (const char c : value) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
        return fail(ErrorCode::Upstream, "whatsapp media info: url has control characters");
      }
    }
    return value;
  } catch (const std::exception&) {
    return fail(ErrorCode::Upstream, "whatsapp media info: unreadable reply");
  }
}

}  // namespace bb::webhooks::whatsapp
