// Matrix wire knowledge (channels.md §3): registration, hs_token check, transaction parsing,
// geo/mxc URIs, client-server calls and their replies. Never throws; never logs.
#include "bot/security/json_limits.hpp"
#include "webhooks/matrix/matrix.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "bot/http/http.hpp"
#include "bot/security/crypto.hpp"
#include "webhooks/json_member.hpp"

namespace bb::webhooks::matrix {
namespace {

using nlohmann::json;

constexpr std::string_view kBearer = "Bearer ";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<double> number(std::string_view s) {
  // RFC 5870: num = [ "-" ] pnum; pnum = 1*DIGIT [ "." 1*DIGIT ]. A leading '+' is tolerated.
  if (!s.empty() && s.front() == '+') { s.remove_prefix(1); }
  if (s.empty()) { return std::nullopt; }
  bool digit = false;
  bool dot = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if (!(c == '-' && i == 0)) {
      return std::nullopt;
    }
  }
  if (!digit) { return std::nullopt; }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) { return std::nullopt; }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos
                                                                : pos - start));
    if (pos == std::string_view::npos) { break; }
    start = pos + 1;
  }
  return out;
}

//! origin_server_ts in milliseconds; values the clock cannot hold (negative, past the year 2255:
//! it counts nanoseconds in 64 bits, until 2262) are not real times and read as "unknown" rather
//! than overflowing.
SysTime fromMillis(std::int64_t ms) {
  constexpr std::int64_t kMaxMillis = 9'000'000'000'000;
  if (ms < 0 || ms > kMaxMillis) { return SysTime{}; }
  return SysTime{std::chrono::milliseconds(ms)};
}

//! Drops the reply fallback ("> <@user> quoted\n> ...\n\n") that clients put before a reply.
std::string stripReplyFallback(const std::string& body) {
  if (body.rfind("> ", 0) != 0) { return body; }
  std::size_t pos = 0;
  while (pos < body.size() && body.compare(pos, 1, ">") == 0) {
    const auto nl = body.find('\n', pos);
    if (nl == std::string::npos) { return body; }
    pos = nl + 1;
  }
  if (pos < body.size() && body[pos] == '\n') { ++pos; }
  return body.substr(pos);
}

std::string htmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': out += "<br>"; break;
      default: out.push_back(c); break;
    }
  }
  return out;
}

std::string regexEscape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (std::string_view(".^$*+?()[]{}|\\").find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

std::string yamlQuote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') { out.push_back('\\'); }
    out.push_back(c);
  }
  return out + "\"";
}

std::string base(const Settings& s) {
  std::string b = s.homeserver_url;
  while (!b.empty() && b.back() == '/') { b.pop_back(); }
  return b;
}

HttpCall authed(std::string method, std::string url, const Settings& settings) {
  HttpCall call;
  call.method = std::move(method);
  call.url = std::move(url);
  call.headers.emplace_back("Authorization", "Bearer " + settings.as_token);
  return call;
}

//! Handles one m.room.message; returns false when the event is ignored.
bool parseMessage(const json& ev, InboundEvent& out) {
  const json* content = objectMember(ev, "content");
  if (content == nullptr) { return false; }
  const std::string msgtype = stringMember(*content, "msgtype");
  if (msgtype.empty() || msgtype == "m.notice") { return false; }
  if (const json* rel = member(*content, "m.relates_to");
      rel != nullptr && stringMember(*rel, "rel_type") == "m.replace") {
    return false;  // an edit of an earlier message: the original was handled already
  }
  // A reply to one of our messages names it (m.in_reply_to): the engine finds its ticket.
  if (const json* rel = objectMember(*content, "m.relates_to")) {
    if (const json* reply = objectMember(*rel, "m.in_reply_to")) {
      out.reply_to = stringMember(*reply, "event_id");
    }
  }
  const std::string body = stringMember(*content, "body");
  if (msgtype == "m.text") {
    out.kind = InboundKind::Text;
    out.text = member(*content, "m.relates_to") != nullptr ? stripReplyFallback(body) : body;
  } else if (msgtype == "m.image") {
    auto mxc = parseMxc(stringMember(*content, "url"));
    if (!mxc) {
      out.kind = InboundKind::Unsupported;  // encrypted file or bad URL: cannot fetch it
      return true;
    }
    out.kind = InboundKind::Image;
    MediaRef media;
    media.ref = stringMember(*content, "url");
    if (const json* info = member(*content, "info")) {
      media.mime_type = stringMember(*info, "mimetype");
    }
    out.media = media;
    const std::string filename = stringMember(*content, "filename");
    if (!filename.empty() && filename != body) { out.text = body; }  // v1.10 caption
  } else if (msgtype == "m.location") {
    auto geo = parseGeoUri(stringMember(*content, "geo_uri"));
    if (!geo) {
      out.kind = InboundKind::Unsupported;
      return true;
    }
    out.kind = InboundKind::Location;
    out.location = GeoPoint{geo->lat, geo->lon};
    out.location_accuracy_m = geo->uncertainty_m;
  } else {
    out.kind = InboundKind::Unsupported;
  }
  return true;
}

}  // namespace

std::string botUserId(const Settings& settings) {
  return "@" + settings.sender_localpart + ":" + settings.server_name;
}

std::string registrationYaml(const Settings& s) {
  std::string y;
  y += "# Bürgerbox application service registration (list it in homeserver.yaml under\n";
  y += "# app_service_config_files and restart the homeserver). Contains secrets.\n";
  y += "id: " + yamlQuote(s.registration_id) + "\n";
  y += "url: " + yamlQuote(s.public_url) + "\n";
  y += "as_token: " + yamlQuote(s.as_token) + "\n";
  y += "hs_token: " + yamlQuote(s.hs_token) + "\n";
  y += "sender_localpart: " + yamlQuote(s.sender_localpart) + "\n";
  y += "namespaces:\n";
  y += "  users:\n";
  y += "    - exclusive: true\n";
  y += "      regex: " + yamlQuote(regexEscape(botUserId(s))) + "\n";
  y += "  aliases: []\n";
  y += "  rooms: []\n";
  y += "rate_limited: false\n";
  return y;
}

AuthResult verifyHsToken(std::string_view authorization_header, bool has_access_token_param,
                         std::string_view access_token_param, std::string_view hs_token) {
  const bool has_header = !authorization_header.empty();
  if (!has_header && !has_access_token_param) { return AuthResult::Missing; }
  if (hs_token.empty()) { return AuthResult::Forbidden; }
  bool ok = true;
  if (has_header) {
    const bool bearer = authorization_header.size() > kBearer.size() &&
                        lower(authorization_header.substr(0, kBearer.size())) == "bearer ";
    const std::string_view given =
        bearer ? authorization_header.substr(kBearer.size()) : std::string_view{};
    // Digests of equal length are compared, so the timing reveals neither the token's bytes nor
    // its length; both comparisons always run.
    ok = crypto::constantTimeEquals(crypto::sha256Hex(given), crypto::sha256Hex(hs_token)) &&
         bearer;
  }
  if (has_access_token_param) {
    ok = crypto::constantTimeEquals(crypto::sha256Hex(access_token_param),
                                    crypto::sha256Hex(hs_token)) &&
         ok;
  }
  return ok ? AuthResult::Ok : AuthResult::Forbidden;
}

std::optional<MxcUri> parseMxc(std::string_view uri) {
  constexpr std::string_view kScheme = "mxc://";
  if (uri.substr(0, kScheme.size()) != kScheme) { return std::nullopt; }
  uri.remove_prefix(kScheme.size());
  const auto slash = uri.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 255) { return std::nullopt; }
  const std::string_view server = uri.substr(0, slash);
  const std::string_view media = uri.substr(slash + 1);
  if (media.empty() || media.size() > 255) { return std::nullopt; }
  for (const char c : server) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) { return std::nullopt; }
  }
  for (const char c : media) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    if (!ok) { return std::nullopt; }
  }
  return MxcUri{std::string(server), std::string(media)};
}

std::optional<GeoUri> parseGeoUri(std::string_view uri) {
  while (!uri.empty() && std::isspace(static_cast<unsigned char>(uri.front())) != 0) {
    uri.remove_prefix(1);
  }
  while (!uri.empty() && std::isspace(static_cast<unsigned char>(uri.back())) != 0) {
    uri.remove_suffix(1);
  }
  if (uri.size() < 4 || lower(uri.substr(0, 4)) != "geo:" || uri.size() > 512) {
    return std::nullopt;
  }
  uri.remove_prefix(4);
  const auto parts = split(uri, ';');
  const auto coords = split(parts.front(), ',');
  if (coords.size() < 2 || coords.size() > 3) { return std::nullopt; }
  auto lat = number(coords[0]);
  auto lon = number(coords[1]);
  if (!lat || !lon || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
    return std::nullopt;
  }
  if (coords.size() == 3 && !number(coords[2])) { return std::nullopt; }
  GeoUri out;
  out.lat = *lat;
  out.lon = *lon;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    const std::string name = lower(parts[i].substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : parts[i].substr(eq + 1);
    if (name == "crs") {
      if (lower(value) != "wgs84") { return std::nullopt; }  // other systems: not a lat/lon
      if (i != 1) { return std::nullopt; }  // RFC 5870: crs comes first
    } else if (name == "u") {
      auto u = number(value);
      if (!u || *u < 0) { return std::nullopt; }
      out.uncertainty_m = *u;
    }
    // Other parameters are allowed by the RFC and ignored.
  }
  return out;
}

Result<ParsedTransaction> parseTransaction(std::string_view body, const std::string& bot_user_id) {
  if (!jsonDepthWithin(body, kMaxJsonDepth)) { return fail(ErrorCode::InvalidInput, "too deep"); }
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::InvalidInput, "not a JSON object");
  }
  const json* events = arrayMember(doc, "events");
  if (events == nullptr) {
    return fail(ErrorCode::InvalidInput, "no events array");
  }
  ParsedTransaction out;
  for (const json& ev : *events) {
    const std::string type = stringMember(ev, "type");
    const std::string event_id = stringMember(ev, "event_id");
    const std::string room_id = stringMember(ev, "room_id");
    const std::string sender = stringMember(ev, "sender");
    if (type.empty() || event_id.empty() || room_id.empty() || sender.empty()) {
      ++out.ignored;
      continue;
    }
    InboundEvent e;
    e.channel = Channel::Matrix;
    e.external_id = event_id;
    e.user_id = sender;
    e.chat_id = room_id;
    if (const auto ts = int64Member(ev, "origin_server_ts")) { e.sent_at = fromMillis(*ts); }
    const json* state_key = member(ev, "state_key");
    if (type == "m.room.member" && state_key != nullptr && state_key->is_string()) {
      const std::string target = state_key->get<std::string>();
      const json* content = member(ev, "content");
      const std::string membership = content != nullptr ? stringMember(*content, "membership") : "";
      if (membership == "invite" && target == bot_user_id && sender != bot_user_id) {
        out.invites.push_back(room_id);
        e.kind = InboundKind::Invite;
        out.events.push_back(std::move(e));
      } else if ((membership == "join" || membership == "invite") && target != bot_user_id &&
                 !target.empty()) {
        // Someone new in a room of the bot's: is it still a direct chat?
        if (std::find(out.grown_rooms.begin(), out.grown_rooms.end(), room_id) ==
            out.grown_rooms.end()) {
          out.grown_rooms.push_back(room_id);
        }
        ++out.ignored;
      } else if ((membership == "leave" || membership == "ban") && target != bot_user_id &&
                 !target.empty()) {
        e.kind = InboundKind::Unreachable;
        e.user_id = target;  // who left (or was removed), not who removed them
        out.events.push_back(std::move(e));
      } else {
        ++out.ignored;
      }
      continue;
    }
    if (sender == bot_user_id || state_key != nullptr) {
      ++out.ignored;  // our own echo, or another state event
      continue;
    }
    if (type == "m.room.encrypted") {
      if (std::find(out.encrypted_rooms.begin(), out.encrypted_rooms.end(), room_id) ==
          out.encrypted_rooms.end()) {
        out.encrypted_rooms.push_back(room_id);
      }
      continue;
    }
    if (type != "m.room.message" || !parseMessage(ev, e)) {
      ++out.ignored;
      continue;
    }
    out.events.push_back(std::move(e));
  }
  return out;
}

std::string renderMessageContent(const OutboundMessage& message) {
  std::string body = message.text;
  std::string html = htmlEscape(message.text);
  if (!message.choices.empty()) {
    if (!body.empty()) { body += "\n\n"; }
    html += "<ol>";
    for (std::size_t i = 0; i < message.choices.size(); ++i) {
      body += std::to_string(i + 1) + ". " + message.choices[i].label;
      if (i + 1 < message.choices.size()) { body += "\n"; }
      html += "<li>" + htmlEscape(message.choices[i].label) + "</li>";
    }
    html += "</ol>";
  }
  // m.text, not m.notice: mautrix bridges (bridgev2) drop m.notice from Matrix users by
  // default (bridge.bridge_notices: false), so a Signal citizen would never see a reply.
  json content = {{"msgtype", "m.text"}, {"body", body}};
  if (!message.choices.empty() || html != body) {
    content["format"] = "org.matrix.custom.html";
    content["formatted_body"] = html;
  }
  return content.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpCall sendCall(const std::string& room_id, const std::string& txn_id,
                  const std::string& content_json, const Settings& settings) {
  HttpCall call = authed("PUT",
                         base(settings) + "/_matrix/client/v3/rooms/" + urlEncode(room_id) +
                             "/send/m.room.message/" + urlEncode(txn_id) +
                             "?user_id=" + urlEncode(botUserId(settings)),
                         settings);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = content_json;
  return call;
}

HttpCall noticeCall(const std::string& room_id, const std::string& txn_id, const std::string& text,
                    const Settings& settings) {
  OutboundMessage m;
  m.text = text;
  return sendCall(room_id, txn_id, renderMessageContent(m), settings);
}

HttpCall joinCall(const std::string& room_id, const Settings& settings) {
  HttpCall call = authed("POST",
                         base(settings) + "/_matrix/client/v3/rooms/" + urlEncode(room_id) +
                             "/join?user_id=" + urlEncode(botUserId(settings)),
                         settings);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = "{}";
  return call;
}

HttpCall leaveCall(const std::string& room_id, const Settings& settings) {
  HttpCall call = authed("POST",
                         base(settings) + "/_matrix/client/v3/rooms/" + urlEncode(room_id) +
                             "/leave?user_id=" + urlEncode(botUserId(settings)),
                         settings);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = "{}";
  return call;
}

HttpCall membersCall(const std::string& room_id, const Settings& settings) {
  HttpCall call = authed("GET",
                         base(settings) + "/_matrix/client/v3/rooms/" + urlEncode(room_id) +
                             "/members?not_membership=leave&user_id=" +
                             urlEncode(botUserId(settings)),
                         settings);
  call.body.clear();
  return call;
}

std::optional<int> countMembers(std::string_view body, const std::vector<std::string>& uncounted) {
  if (!jsonDepthWithin(body, kMaxJsonDepth)) { return std::nullopt; }
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) { return std::nullopt; }
  const json* chunk = arrayMember(doc, "chunk");
  if (chunk == nullptr) { return std::nullopt; }
  int n = 0;
  for (const json& ev : *chunk) {
    const json* content = member(ev, "content");
    const std::string membership = content != nullptr ? stringMember(*content, "membership") : "";
    const std::string user = stringMember(ev, "state_key");
    if (std::find(uncounted.begin(), uncounted.end(), user) != uncounted.end()) { continue; }
    if (membership == "join" || membership == "invite") { ++n; }
  }
  return n;
}

HttpCall downloadCall(const MxcUri& mxc, const Settings& settings) {
  HttpCall call = authed("GET",
                         base(settings) + "/_matrix/client/v1/media/download/" +
                             urlEncode(mxc.server_name) + "/" + urlEncode(mxc.media_id) +
                             "?timeout_ms=20000",
                         settings);
  call.body.clear();
  call.timeout = std::chrono::milliseconds(30000);
  call.max_response_bytes = kMaxImageBytes;
  return call;
}

CallOutcome classifyReply(const HttpReply& reply) {
  CallOutcome out;
  if (reply.status == 0) {
    out.kind = CallOutcome::Kind::Retry;
    out.error_code = "transport";
    return out;
  }
  const json doc = json::parse(reply.body, nullptr, false);
  if (reply.status >= 200 && reply.status < 300) {
    out.kind = CallOutcome::Kind::Ok;
    out.event_id = stringMember(doc, "event_id");
    return out;
  }
  const std::string errcode = stringMember(doc, "errcode");
  out.error_code = !errcode.empty() && errcode.size() <= 64 && errcode.rfind("M_", 0) == 0
                       ? errcode
                       : "http_" + std::to_string(reply.status);
  if (reply.status == 429 || errcode == "M_LIMIT_EXCEEDED") {
    out.kind = CallOutcome::Kind::RateLimited;
    if (auto it = reply.headers.find("retry-after"); it != reply.headers.end()) {
      long seconds = std::strtol(it->second.c_str(), nullptr, 10);
      if (seconds > 0 && seconds < 86400) { out.retry_after = std::chrono::seconds(seconds); }
    }
    if (out.retry_after.count() == 0 && doc.is_object()) {
      if (const auto ms = numberMember(doc, "retry_after_ms")) {
        const double v = *ms;
        if (v > 0 && v < 86400000.0) {
          out.retry_after = std::chrono::milliseconds(static_cast<std::int64_t>(v));
        }
      }
    }
    return out;
  }
  if (reply.status >= 500 || reply.status == 401) {
    out.kind = CallOutcome::Kind::Retry;
  } else if (reply.status == 403) {
    out.kind = CallOutcome::Kind::Forbidden;
  } else {
    out.kind = CallOutcome::Kind::Permanent;
  }
  return out;
}

}  // namespace bb::webhooks::matrix
