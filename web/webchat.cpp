#include "web/webchat.hpp"

#include <algorithm>
#include <functional>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "bot/conversation/codec.hpp"
#include "bot/security/crypto.hpp"
#include "bot/log.hpp"
#include "bot/text/local_time.hpp"
#include "bot/text/utf8.hpp"
#include "web/html.hpp"

namespace bb::web {
namespace {

using json = nlohmann::json;

constexpr const char* kCookie = "bb_chat";
constexpr std::size_t kSessionHexChars = 32;

bool isSessionId(const std::string& s) {
  return s.size() == kSessionHexChars && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

std::string contentTypeOf(const std::string& name) {
  auto ends = [&name](const char* ext) {
    const std::string e(ext);
    return name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".js")) { return "text/javascript; charset=utf-8"; }
  if (ends(".css")) { return "text/css; charset=utf-8"; }
  if (ends(".svg")) { return "image/svg+xml"; }
  if (ends(".png")) { return "image/png"; }
  if (ends(".html")) { return "text/html; charset=utf-8"; }
  return "application/octet-stream";
}

HttpResponse withPageHeaders(HttpResponse r) {
  r.header("Content-Security-Policy", kContentSecurityPolicy);
  r.header("Cache-Control", "no-store");
  return r;
}

}  // namespace

WebChat::WebChat(Engine& engine, Store& store, media::MediaStore& media, const Clock& clock,
                 Random& random, WebChatOptions options)
    : engine_(engine),
      store_(store),
      media_(media),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      assets_(options_.asset_dir) {}

std::vector<Route> WebChat::routes() {
  auto bind = [this](HttpResponse (WebChat::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  return {
      Route{"GET", "/", "root", [](const HttpRequest&) {
              HttpResponse r = HttpResponse::text(302, "");
              r.header("Location", "/chat");
              return r;
            }},
      Route{"GET", "/chat", "chat_page", bind(&WebChat::page)},
      Route{"GET", R"(/chat/static/([A-Za-z0-9_-]+\.(?:js|css|svg|png)))", "chat_static",
            bind(&WebChat::asset)},
      Route{"POST", "/chat/api/send", "chat_send", bind(&WebChat::send)},
      Route{"POST", "/chat/api/photo", "chat_photo", bind(&WebChat::photo)},
      Route{"GET", "/chat/api/messages", "chat_messages", bind(&WebChat::messages)},
      // Any token: a mistyped or cut-off link gets the friendly page, never a bare 404.
      Route{"GET", R"(/chat/follow/([^/]{0,200}))", "chat_follow", bind(&WebChat::follow)},
      Route{"GET", "/datenschutz", "privacy_notice", bind(&WebChat::privacy)},
  };
}

std::string WebChat::csrfFor(const std::string& session) const {
  return crypto::toHex(crypto::hmacSha256(options_.csrf_key, "csrf:" + session));
}

std::string WebChat::sessionOf(const HttpRequest& req) const {
  std::string s = req.cookie(kCookie);
  return isSessionId(s) ? s : std::string();
}

flows::Lang WebChat::langOf(const std::string& session) {
  if (session.empty()) { return flows::Lang::De; }
  auto c = store_.citizen(engine_.pseudonymOf(Channel::WebChat, session));
  if (c && *c) { return flows::langFromString((*c)->lang).value_or(flows::Lang::De); }
  return flows::Lang::De;
}

HttpResponse WebChat::error(int status, const std::string& code, const std::string& text_key,
                            const std::string& session) {
  const auto lang = langOf(session);
  json body = {{"error", code}, {"message", engine_.flowData().texts.render(lang, text_key)}};
  return HttpResponse::json(status, body.dump());
}

HttpResponse WebChat::page(const HttpRequest& req) {
  std::string session = sessionOf(req);
  const bool fresh = session.empty();
  if (fresh) { session = random_.hex(kSessionHexChars / 2); }
  auto html = assets_.get("chat.html");
  if (!html) { return HttpResponse::text(500, "chat page missing"); }
  const auto lang = langOf(fresh ? std::string() : session);
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = fillTemplate(*html, {{"CSRF_TOKEN", csrfFor(session)},
                                {"LANG", flows::toString(lang)},
                                {"MAX_UPLOAD_BYTES", std::to_string(options_.max_upload_bytes)},
                                {"PHOTO_LONG_EDGE", std::to_string(options_.clean.max_edge_px)},
                                {"MAX_MESSAGE_CHARS", std::to_string(options_.max_message_chars)}});
  if (fresh) {
    std::string cookie = std::string(kCookie) + "=" + session + "; Path=/; HttpOnly; SameSite=Strict";
    if (options_.secure_cookies) { cookie += "; Secure"; }
    r.header("Set-Cookie", cookie);
  }
  return withPageHeaders(r);
}

HttpResponse WebChat::asset(const HttpRequest& req) {
  if (req.matches.empty()) { return HttpResponse::text(404, "not found"); }
  const std::string& name = req.matches[0];
  if (name == "chat.html") { return HttpResponse::text(404, "not found"); }
  auto content = assets_.get(name);
  if (!content) { return HttpResponse::text(404, "not found"); }
  HttpResponse r;
  r.content_type = contentTypeOf(name);
  r.body = *content;
  r.header("Cache-Control", "public, max-age=300");
  return r;
}

std::optional<HttpResponse> WebChat::checkPost(const HttpRequest& req, std::string& session) {
  session = sessionOf(req);
  if (session.empty()) { return error(403, "no_session", "webchat.error.session", session); }
  if (!crypto::constantTimeEquals(req.header("x-csrf-token"), csrfFor(session))) {
    return error(403, "csrf", "webchat.error.session", session);
  }
  if (!allowRate(session)) { return error(429, "rate_limited", "webchat.error.rate", session); }
  return std::nullopt;
}

bool WebChat::allowRate(const std::string& session) {
  // A token bucket per session: messages_per_minute, refilled continuously, burst of the same.
  const double capacity = options_.messages_per_minute;
  const auto now = clock_.monotonic();
  std::lock_guard lock(rate_mutex_);
  if (buckets_.size() > 100000) { buckets_.clear(); }  // bounded memory under abuse
  auto [it, inserted] = buckets_.try_emplace(session, capacity, now);
  auto& [tokens, last] = it->second;
  if (!inserted) {
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - last).count();
    tokens = std::min(capacity, tokens + minutes * capacity);
    last = now;
  }
  if (tokens < 1.0) { return false; }
  tokens -= 1.0;
  return true;
}

HttpResponse WebChat::send(const HttpRequest& req) {
  std::string session;
  if (auto bad = checkPost(req, session)) { return *bad; }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error(400, "bad_request", "webchat.error.bad_request", session);
  }
  InboundEvent e;
  e.channel = Channel::WebChat;
  e.external_id = "web:" + random_.hex(12);
  e.user_id = session;
  e.chat_id = session;
  e.sent_at = clock_.now();
  if (body.contains("text") && body["text"].is_string()) {
    e.kind = InboundKind::Text;
    e.text = body["text"].get<std::string>();
    if (e.text.empty()) { return error(400, "empty", "webchat.error.bad_request", session); }
    if (codePoints(e.text) > static_cast<std::size_t>(options_.max_message_chars)) {
      return error(413, "too_long", "webchat.error.too_long", session);
    }
  } else if (body.contains("choice") && body["choice"].is_string()) {
    e.kind = InboundKind::Choice;
    e.choice_id = body["choice"].get<std::string>();
    if (e.choice_id.empty() || e.choice_id.size() > 200) {
      return error(400, "bad_request", "webchat.error.bad_request", session);
    }
  } else if (body.contains("lat") && body.contains("lon") && body["lat"].is_number() &&
             body["lon"].is_number()) {
    const double lat = body["lat"].get<double>();
    const double lon = body["lon"].get<double>();
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
      return error(400, "bad_location", "webchat.error.bad_request", session);
    }
    e.kind = InboundKind::Location;
    e.location = GeoPoint{lat, lon};
    if (body.contains("accuracy") && body["accuracy"].is_number()) {
      e.location_accuracy_m = body["accuracy"].get<double>();
    }
  } else {
    return error(400, "bad_request", "webchat.error.bad_request", session);
  }
  auto r = engine_.ingest({e});
  if (!r) { return error(503, "unavailable", "webchat.error.unavailable", session); }
  return HttpResponse::json(202, R"({"ok":true})");
}

HttpResponse WebChat::photo(const HttpRequest& req) {
  std::string session;
  if (auto bad = checkPost(req, session)) { return *bad; }
  if (req.body.size() > options_.max_upload_bytes) {
    return error(413, "too_large", "webchat.error.photo_too_large", session);
  }
  auto cleaned = media::cleanImage(req.body, options_.clean);
  if (!cleaned) {
    log::info("webchat_photo_rejected", {{"reason", cleaned.error().detail}});
    const bool heic = cleaned.error().detail == "heic_unsupported";
    if (cleaned.error().code == ErrorCode::TooLarge) {
      return error(413, "too_large", "webchat.error.photo_too_large", session);
    }
    return error(400, heic ? "heic_unsupported" : "photo_rejected",
                 heic ? "webchat.error.photo_heic" : "webchat.error.photo_rejected", session);
  }
  auto id = media_.put(*cleaned);
  if (!id) { return error(503, "unavailable", "webchat.error.unavailable", session); }
  InboundEvent e;
  e.channel = Channel::WebChat;
  e.external_id = "web:" + random_.hex(12);
  e.user_id = session;
  e.chat_id = session;
  e.sent_at = clock_.now();
  e.kind = InboundKind::Image;
  e.media = MediaRef{"sha256:" + *id, cleaned->mime_type, *id};
  auto r = engine_.ingest({e});
  if (!r) { return error(503, "unavailable", "webchat.error.unavailable", session); }
  return HttpResponse::json(202, R"({"ok":true})");
}

HttpResponse WebChat::messages(const HttpRequest& req) {
  const std::string session = sessionOf(req);
  if (session.empty()) { return error(403, "no_session", "webchat.error.session", session); }
  std::int64_t after = 0;
  try {
    after = req.hasParam("after") ? std::stoll(req.param("after")) : 0;
  } catch (...) {
    return error(400, "bad_request", "webchat.error.bad_request", session);
  }
  const std::string pseudonym = engine_.pseudonymOf(Channel::WebChat, session);
  // Each waiting poll holds a server thread: only a few may wait, the rest come back later.
  struct Slot {
    std::atomic<int>& counter;
    bool held;
    ~Slot() {
      if (held) { counter.fetch_sub(1); }
    }
  } slot{waiting_polls_, waiting_polls_.fetch_add(1) < options_.max_waiting_polls};
  if (!slot.held) { waiting_polls_.fetch_sub(1); }
  const auto wait = slot.held ? options_.long_poll : std::chrono::milliseconds(0);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto rows = store_.outboxFor(pseudonym, Channel::WebChat, after, 50);
    if (!rows) { return error(503, "unavailable", "webchat.error.unavailable", session); }
    if (!rows->empty() || std::chrono::steady_clock::now() >= deadline) {
      json out = json::object();
      out["messages"] = json::array();
      std::int64_t last = after;
      for (const auto& row : *rows) {
        auto m = decodeOutbound(row.payload);
        if (!m) { continue; }
        json j = {{"id", row.id}, {"text", m->text}, {"request_location", m->request_location}};
        j["choices"] = json::array();
        for (const auto& c : m->choices) { j["choices"].push_back({{"id", c.id}, {"label", c.label}}); }
        if (!m->follow_url.empty()) { j["follow_url"] = m->follow_url; }
        out["messages"].push_back(j);
        last = row.id;
        if (row.status == "queued") {
          // The web chat delivers by being fetched.
          (void)store_.markOutbox(row.id, "delivered", "", "", row.tries + 1, clock_.now(), clock_.now());
        }
      }
      out["last"] = last;
      if (!slot.held) { out["retry_ms"] = 1500; }
      HttpResponse r = HttpResponse::json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
      r.header("Cache-Control", "no-store");
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

//! The follow page for a link that leads nowhere (mistyped, cut off, or the report is gone):
//! in German and English, in the chat's page frame.
HttpResponse followNotFound() {
  HttpResponse r = HttpResponse::text(404, "");
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"robots\" content=\"noindex\"><title>Meldung nicht gefunden – "
           "Bürgerbox</title><link rel=\"stylesheet\" href=\"/chat/static/chat.css\"></head>"
           "<body class=\"follow\"><main><h1>Meldung nicht gefunden</h1><p>Dieser Link ist "
           "ungültig, unvollständig kopiert, oder die Meldung wurde gelöscht. Bitte prüfen Sie "
           "den Link in Ihrer Bestätigung – oder fragen Sie im Chat mit „status“ und der "
           "Nummer Ihrer Meldung nach.</p><section lang=\"en\"><h2>Report not found</h2><p>This "
           "link is invalid, incomplete, or the report has been deleted. Please check the link in "
           "your confirmation – or ask in the chat with “status” and your report's number."
           "</p></section><p><a href=\"/chat\">Zum Chat / To the chat</a></p></main></body>"
           "</html>";
  return withPageHeaders(r);
}

bool isFollowToken(const std::string& token) {
  return token.size() == 32 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string timedList(const std::vector<StatusHistoryEntry>& entries, const std::string& css,
                      const std::function<std::string(const StatusHistoryEntry&)>& text) {
  std::string out = "<ol class=\"" + css + "\">";
  for (const auto& e : entries) {
    out += "<li><time>" + escapeHtml(localDateTime(e.at)) + "</time> " + text(e) + "</li>";
  }
  return out + "</ol>";
}

}  // namespace

HttpResponse WebChat::follow(const HttpRequest& req) {
  if (req.matches.empty() || !isFollowToken(req.matches[0])) { return followNotFound(); }
  auto ticket = store_.ticketByFollowToken(Engine::followTokenHash(req.matches[0]));
  if (!ticket || !*ticket) { return followNotFound(); }
  const auto& texts = engine_.flowData().texts;
  const auto lang = flows::Lang::De;
  const auto& t = **ticket;
  std::string category = t.category_id;
  if (const auto* c = engine_.flowData().category(t.category_id)) { category = c->label.at(flows::Lang::De); }
  // The place by its nearest address (not the citizen's own words: others follow this page).
  std::string place;
  if (t.lat && t.lon) {
    if (auto label = engine_.describePlace(*t.lat, *t.lon, lang)) {
      place = "<p class=\"place\">Ort: " + escapeHtml(*label) + "</p>";
      if (const std::string credit = engine_.placeAttribution(); !credit.empty()) {
        place += "<p class=\"attribution\"><small>Adressen: " + escapeHtml(credit) + "</small></p>";
      }
    }
  }
  std::string history;
  if (auto h = store_.statusHistory(t.number)) {
    history = timedList(*h, "history", [&](const StatusHistoryEntry& e) {
      return escapeHtml(texts.render(lang, "status." + e.status)) +
             (e.note.empty() ? "" : " – " + escapeHtml(e.note));
    });
  }
  // What the city wrote to the citizen about the report (the link is the citizen's secret).
  std::string replies;
  if (auto city = store_.staffReplies(t.number); city && !city->empty()) {
    replies = "<h2>Nachrichten der Stadt</h2>" +
              timedList(*city, "city-replies", [](const StatusHistoryEntry& e) {
                return "<span class=\"city-reply\">" + escapeHtml(e.note) + "</span>";
              });
  }
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">"
           "<title>Meldung " + std::to_string(t.number) + " – Bürgerbox</title>"
           "<link rel=\"stylesheet\" href=\"/chat/static/chat.css\"></head>"
           "<body class=\"follow\"><main><h1>Meldung <span class=\"number\">" +
           std::to_string(t.number) + "</span></h1><p class=\"category\">" + escapeHtml(category) +
           "</p>" + place + "<p class=\"status\">Stand: <strong>" +
           escapeHtml(texts.render(lang, "status." + t.status)) + "</strong></p>"
           "<h2>Verlauf</h2>" + history + replies +
           "<p><a href=\"/chat\">Zurück zum Chat</a></p></main></body></html>";
  return withPageHeaders(r);
}

HttpResponse WebChat::privacy(const HttpRequest&) {
  auto html = assets_.get("datenschutz.html");
  if (!html) { return HttpResponse::text(404, "not found"); }
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = *html;
  return withPageHeaders(r);
}

}  // namespace bb::web
