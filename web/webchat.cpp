#include "web/webchat.hpp"

#include <algorithm>
#include <deque>
#include <limits>
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

//! The bot's newest messages a reload shows (older ones stay in the database, not on the page).
constexpr std::size_t kTranscriptBotMessages = 200;
constexpr int kOutboxPage = 100;

json botJson(const OutboxRow& row, const OutboundMessage& m) {
  json j = {{"id", row.id}, {"text", m.text}, {"request_location", m.request_location}};
  j["choices"] = json::array();
  for (const auto& c : m.choices) { j["choices"].push_back({{"id", c.id}, {"label", c.label}}); }
  if (!m.follow_url.empty()) { j["follow_url"] = m.follow_url; }
  return j;
}

//! A citizen entry as the page shows it. A picked choice marks the bot message it answered
//! (the latest one with choices before it) and takes that button's label.
json citizenJson(const TranscriptEntry& e, json& shown) {
  using Kind = TranscriptEntry::Kind;
  json j = {{"from", "citizen"}};
  switch (e.kind) {
    case Kind::Text: j["text"] = e.text; break;
    case Kind::Photo: j["photo"] = "/chat/api/photo/" + e.photo_id; break;
    case Kind::Location:
      j["location"] = true;
      if (e.accuracy_m) { j["accuracy"] = *e.accuracy_m; }
      break;
    case Kind::Choice: {
      j["text"] = e.text;
      for (auto it = shown.rbegin(); it != shown.rend(); ++it) {
        if ((*it)["from"] != "bot" || (*it)["choices"].empty()) { continue; }
        for (const auto& c : (*it)["choices"]) {
          if (c["id"] == e.choice_id && !it->contains("picked")) {
            (*it)["picked"] = e.choice_id;
            j["text"] = c["label"];
          }
        }
        break;
      }
      break;
    }
  }
  return j;
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
      assets_(options_.asset_dir),
      transcripts_(options_.transcript) {}

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
      Route{"GET", "/chat/api/transcript", "chat_transcript", bind(&WebChat::transcript)},
      Route{"GET", R"(/chat/api/photo/([0-9a-f]{64}))", "chat_sent_photo",
            bind(&WebChat::sentPhoto)},
      // Any token: a mistyped or cut-off link gets the friendly page, never a bare 404.
      Route{"GET", R"(/chat/follow/([^/]{0,200}))", "chat_follow", bind(&WebChat::follow)},
      Route{"GET", R"(/chat/follow/([^/]{0,200})/photo/([0-9]{1,15}))", "chat_follow_photo",
            bind(&WebChat::followPhoto)},
      Route{"POST", R"(/chat/follow/([^/]{0,200})/message)", "chat_follow_message",
            bind(&WebChat::followMessage)},
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
  TranscriptEntry shown;
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
    shown.kind = TranscriptEntry::Kind::Choice;
    shown.choice_id = e.choice_id;
    // The label the page showed, for choices the bot did not offer (the language switch).
    if (body.contains("label") && body["label"].is_string() &&
        codePoints(body["label"].get<std::string>()) <= 200) {
      shown.text = body["label"].get<std::string>();
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
    shown.kind = TranscriptEntry::Kind::Location;
    shown.accuracy_m = e.location_accuracy_m;
  } else {
    return error(400, "bad_request", "webchat.error.bad_request", session);
  }
  if (e.kind == InboundKind::Text) { shown.text = e.text; }
  // Where the citizen sent it: before the event goes on, or a poll may fetch the answer first.
  shown.after_outbox = transcripts_.seen(session);
  auto r = engine_.ingest({e});
  if (!r) { return error(503, "unavailable", "webchat.error.unavailable", session); }
  transcripts_.add(session, std::move(shown));
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
  TranscriptEntry shown;
  shown.kind = TranscriptEntry::Kind::Photo;
  shown.photo_id = *id;
  shown.after_outbox = transcripts_.seen(session);
  auto r = engine_.ingest({e});
  if (!r) { return error(503, "unavailable", "webchat.error.unavailable", session); }
  transcripts_.add(session, std::move(shown));
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
        last = row.id;
        if (row.status == "withheld") { continue; }  // the citizen stopped notifications
        auto m = decodeOutbound(row.payload);
        if (!m) { continue; }
        out["messages"].push_back(botJson(row, *m));
        if (row.status == "queued") {
          // The web chat delivers by being fetched.
          (void)store_.markOutbox(row.id, "delivered", "", "", row.tries + 1, clock_.now(), clock_.now());
        }
      }
      out["last"] = last;
      transcripts_.fetched(session, last);
      if (!slot.held) { out["retry_ms"] = 1500; }
      HttpResponse r = HttpResponse::json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
      r.header("Cache-Control", "no-store");
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

HttpResponse WebChat::transcript(const HttpRequest& req) {
  const std::string session = sessionOf(req);
  if (session.empty()) { return error(403, "no_session", "webchat.error.session", session); }
  const std::string pseudonym = engine_.pseudonymOf(Channel::WebChat, session);
  std::deque<OutboxRow> rows;
  std::int64_t oldest = 0;
  std::int64_t last = 0;
  for (int page = 0; page < 50; ++page) {  // bounded: at most 5000 rows are looked at
    auto batch = store_.outboxFor(pseudonym, Channel::WebChat, last, kOutboxPage);
    if (!batch) { return error(503, "unavailable", "webchat.error.unavailable", session); }
    for (auto& row : *batch) {
      if (oldest == 0) { oldest = row.id; }
      last = row.id;
      rows.push_back(std::move(row));
      if (rows.size() > kTranscriptBotMessages) { rows.pop_front(); }
    }
    if (batch->size() < static_cast<std::size_t>(kOutboxPage)) { break; }
  }
  // Answers to bot messages that are gone (erased, expired) go with them.
  transcripts_.forgetBefore(session, oldest);
  const auto entries = transcripts_.entries(session);
  json shown = json::array();
  std::size_t next = 0;
  auto citizenBefore = [&](std::int64_t bound) {
    for (; next < entries.size() && entries[next].after_outbox < bound; ++next) {
      shown.push_back(citizenJson(entries[next], shown));
    }
  };
  for (const auto& row : rows) {
    citizenBefore(row.id);
    if (row.status == "withheld") { continue; }  // never shown: the citizen stopped them
    auto m = decodeOutbound(row.payload);
    if (!m) { continue; }
    json j = botJson(row, *m);
    j["from"] = "bot";
    shown.push_back(std::move(j));
    if (row.status == "queued") {
      (void)store_.markOutbox(row.id, "delivered", "", "", row.tries + 1, clock_.now(), clock_.now());
    }
  }
  citizenBefore(std::numeric_limits<std::int64_t>::max());
  transcripts_.fetched(session, last);
  json out = {{"entries", std::move(shown)}, {"last", last}};
  HttpResponse r = HttpResponse::json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
  r.header("Cache-Control", "no-store");
  return r;
}

HttpResponse WebChat::sentPhoto(const HttpRequest& req) {
  const std::string session = sessionOf(req);
  if (session.empty() || req.matches.empty() || !transcripts_.hasPhoto(session, req.matches[0])) {
    return HttpResponse::text(404, "not found");
  }
  auto bytes = media_.readThumbnail(req.matches[0]);
  if (!bytes) { return HttpResponse::text(404, "not found"); }
  HttpResponse r;
  r.content_type = "image/jpeg";
  r.body = std::move(*bytes);
  r.header("Cache-Control", "private, max-age=3600");
  return r;
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

namespace {

constexpr const char* kFollowCookie = "bb_follow";

//! The notes the follow page shows after its form was sent (`?hinweis=<code>`); other values
//! show nothing, so nothing from the address is ever echoed into the page.
const char* followNotice(const std::string& code) {
  if (code == "gesendet") { return "Danke! Ihre Nachricht ist bei der zuständigen Stelle angekommen."; }
  if (code == "leer") { return "Bitte schreiben Sie zuerst eine Nachricht."; }
  if (code == "zu_lang") { return "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie etwas."; }
  if (code == "limit") {
    return "Zu dieser Meldung sind heute schon sehr viele Nachrichten angekommen. Ihre Nachricht "
           "wurde nicht gespeichert – bitte schreiben Sie morgen wieder.";
  }
  if (code == "zu_schnell") { return "Bitte warten Sie einen Moment, bevor Sie erneut schreiben."; }
  if (code == "abgeschlossen") {
    return "Diese Meldung ist abgeschlossen; Nachrichten dazu kommen nicht mehr an.";
  }
  if (code == "sitzung") { return "Bitte laden Sie die Seite neu und senden Sie die Nachricht noch einmal."; }
  if (code == "fehler") { return "Das hat leider nicht geklappt. Bitte versuchen Sie es später noch einmal."; }
  return nullptr;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) { return {}; }
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

HttpResponse redirectTo(const std::string& location) {
  HttpResponse r = HttpResponse::text(303, "");
  r.header("Location", location);
  r.header("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string WebChat::followCsrf(const std::string& browser, const std::string& token) const {
  return crypto::toHex(crypto::hmacSha256(options_.csrf_key, "follow:" + browser + ":" + token));
}

//! The citizen's own part: their description and photos (the link is their secret).
std::string WebChat::followOwnReport(const TicketRecord& t, const std::string& token) {
  std::string out;
  if (!t.description.empty()) {
    out += "<h2>Ihre Beschreibung</h2><p class=\"own-description\">" + escapeHtml(t.description) +
           "</p>";
  }
  if (!t.photo_media_ids.empty()) {
    out += "<div class=\"own-photos\">";
    for (const auto& id : t.photo_media_ids) {
      out += "<img class=\"own-photo\" src=\"/chat/follow/" + token + "/photo/" + escapeHtml(id) +
             "\" alt=\"Ihr Foto\" loading=\"lazy\">";
    }
    out += "</div>";
  }
  return out;
}

//! The city's messages and the reporter's answers, oldest first.
std::string WebChat::followConversation(const TicketRecord& t) {
  struct Line {
    SysTime at;
    std::string html;
  };
  std::vector<Line> lines;
  if (auto city = store_.staffReplies(t.number)) {
    for (const auto& e : *city) {
      lines.push_back({e.at, "<span class=\"city-reply\">" + escapeHtml(e.note) + "</span>"});
    }
  }
  if (!t.reporter.empty()) {
    if (auto own = store_.ticketMessagesOf(t.reporter, 1000)) {
      for (const auto& m : *own) {
        if (m.number != t.number || (m.body.empty() && !m.photo)) { continue; }
        const std::string body = m.body.empty() ? "(Foto)" : escapeHtml(m.body);
        lines.push_back({m.at, "<span class=\"own-message\"><b>Sie:</b> " + body + "</span>"});
      }
    }
  }
  if (lines.empty()) { return {}; }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.at < b.at; });
  std::string out = "<h2>Nachrichten der Stadt und Ihre Antworten</h2><ol class=\"city-replies\">";
  for (const auto& l : lines) {
    out += "<li><time>" + escapeHtml(localDateTime(l.at)) + "</time> " + l.html + "</li>";
  }
  return out + "</ol>";
}

//! The form to answer the city from the page, or why there is none.
std::string WebChat::followForm(const TicketRecord& t, const std::string& token,
                                const std::string& browser) {
  if (t.reporter.empty()) { return {}; }
  if (t.closed_at) {
    return "<p class=\"hint\">Diese Meldung ist abgeschlossen; Nachrichten dazu kommen nicht mehr "
           "an. Besteht das Problem noch oder wieder, melden Sie es bitte im <a href=\"/chat\">Chat"
           "</a> neu.</p>";
  }
  const std::string action = "/chat/follow/" + token + "/message";
  const auto max = engine_.flowData().settings.max_letter_chars;
  return "<section class=\"follow-answer\"><h2>Der Stadt schreiben</h2>"
         "<form method=\"post\" action=\"" + action + "\"><label for=\"follow-text\">Ihre "
         "Nachricht zu dieser Meldung</label><textarea id=\"follow-text\" name=\"text\" rows=\"4\" "
         "maxlength=\"" + std::to_string(max) + "\" required></textarea>"
         "<input type=\"hidden\" name=\"csrf\" value=\"" + followCsrf(browser, token) + "\">"
         "<button type=\"submit\" class=\"btn btn-primary\">Nachricht senden</button></form>"
         "<p class=\"hint\">Die Nachricht geht an die zuständige Stelle. Antworten sehen Sie auf "
         "dieser Seite und im Chat.</p></section>";
}

HttpResponse WebChat::follow(const HttpRequest& req) {
  if (req.matches.empty() || !isFollowToken(req.matches[0])) { return followNotFound(); }
  const std::string& token = req.matches[0];
  auto ticket = store_.ticketByFollowToken(Engine::followTokenHash(token));
  if (!ticket || !*ticket) { return followNotFound(); }
  const auto& texts = engine_.flowData().texts;
  const auto lang = flows::Lang::De;
  const auto& t = **ticket;
  std::string category = t.category_id;
  if (const auto* c = engine_.flowData().category(t.category_id)) { category = c->label.at(flows::Lang::De); }
  // The place by its nearest address (the citizen's own words are in their section below).
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
  // A browser of its own for the form's CSRF token: the chat's session cookie stays untouched.
  std::string browser = req.cookie(kFollowCookie);
  const bool fresh = !isSessionId(browser);
  if (fresh) { browser = random_.hex(kSessionHexChars / 2); }
  std::string notice;
  if (const char* n = followNotice(req.param("hinweis"))) {
    notice = "<p class=\"notice\" role=\"status\">" + escapeHtml(n) + "</p>";
  }
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">"
           "<title>Meldung " + std::to_string(t.number) + " – Bürgerbox</title>"
           "<link rel=\"stylesheet\" href=\"/chat/static/chat.css\"></head>"
           "<body class=\"follow\"><main><h1>Meldung <span class=\"number\">" +
           std::to_string(t.number) + "</span></h1>" + notice + "<p class=\"category\">" +
           escapeHtml(category) + "</p>" + place + "<p class=\"status\">Stand: <strong>" +
           escapeHtml(texts.render(lang, "status." + t.status)) + "</strong></p>" +
           followOwnReport(t, token) + "<h2>Verlauf</h2>" + history + followConversation(t) +
           followForm(t, token, browser) +
           "<p><a href=\"/chat\">Zurück zum Chat</a></p></main></body></html>";
  if (fresh) {
    std::string cookie = std::string(kFollowCookie) + "=" + browser +
                         "; Path=/chat/follow; HttpOnly; SameSite=Strict";
    if (options_.secure_cookies) { cookie += "; Secure"; }
    r.header("Set-Cookie", cookie);
  }
  return withPageHeaders(r);
}

HttpResponse WebChat::followPhoto(const HttpRequest& req) {
  if (req.matches.size() < 2 || !isFollowToken(req.matches[0])) { return followNotFound(); }
  auto ticket = store_.ticketByFollowToken(Engine::followTokenHash(req.matches[0]));
  if (!ticket || !*ticket) { return followNotFound(); }
  const auto& ids = (*ticket)->photo_media_ids;
  if (std::find(ids.begin(), ids.end(), req.matches[1]) == ids.end()) { return followNotFound(); }
  auto content = store_.readyMediaContent(std::stoll(req.matches[1]));
  if (!content || !*content || !media::MediaStore::isValidId(**content)) { return followNotFound(); }
  auto bytes = media_.readThumbnail(**content);
  if (!bytes) { return followNotFound(); }
  HttpResponse r;
  r.content_type = "image/jpeg";
  r.body = std::move(*bytes);
  r.header("Cache-Control", "private, no-store");
  return r;
}

HttpResponse WebChat::followMessage(const HttpRequest& req) {
  if (req.matches.empty() || !isFollowToken(req.matches[0])) { return followNotFound(); }
  const std::string token = req.matches[0];
  const std::string hash = Engine::followTokenHash(token);
  auto ticket = store_.ticketByFollowToken(hash);
  if (!ticket || !*ticket) { return followNotFound(); }
  const std::string back = "/chat/follow/" + token + "?hinweis=";
  const auto form = parseForm(req.body);
  const auto field = [&form](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  const std::string browser = req.cookie(kFollowCookie);
  if (!isSessionId(browser) ||
      !crypto::constantTimeEquals(field("csrf"), followCsrf(browser, token))) {
    return redirectTo(back + "sitzung");
  }
  if (!allowRate("follow:" + hash)) { return redirectTo(back + "zu_schnell"); }
  const std::string text = trimmed(field("text"));
  if (text.empty()) { return redirectTo(back + "leer"); }
  if (codePoints(text) > engine_.flowData().settings.max_letter_chars) {
    return redirectTo(back + "zu_lang");
  }
  auto posted = engine_.postFromFollowPage((*ticket)->number, text);
  if (!posted) {
    log::warn("follow_message_failed", {{"code", toString(posted.error().code)}});
    return redirectTo(back + "fehler");
  }
  switch (*posted) {
    case Engine::FollowMessage::Posted: return redirectTo(back + "gesendet");
    case Engine::FollowMessage::Closed: return redirectTo(back + "abgeschlossen");
    case Engine::FollowMessage::DailyCap: return redirectTo(back + "limit");
    case Engine::FollowMessage::NoReporter: break;
  }
  return followNotFound();
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
