#include "web/backoffice/api_v1.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"

namespace bb::web {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxBody = 16 * 1024;

HttpResponse jsonError(int status, const std::string& text) {
  return HttpResponse::json(status, json{{"error", text}}.dump());
}

HttpResponse fromError(const Error& e) {
  switch (e.code) {
    case ErrorCode::InvalidInput: return jsonError(400, "invalid input: " + e.detail);
    case ErrorCode::TooLarge: return jsonError(413, "too large");
    case ErrorCode::NotFound: return jsonError(404, "no such ticket");
    case ErrorCode::Conflict: return jsonError(409, "status change not allowed from the current status");
    case ErrorCode::Unauthorized: return jsonError(403, "forbidden");
    case ErrorCode::Unavailable: return jsonError(503, "temporarily unavailable");
    default: return jsonError(500, "internal error");
  }
}

std::string presentedKey(const HttpRequest& req) {
  const std::string auth = req.header("authorization");
  const std::string bearer = "Bearer ";
  if (auth.size() > bearer.size() && auth.compare(0, bearer.size(), bearer) == 0) {
    return auth.substr(bearer.size());
  }
  return req.header("x-api-key");
}

//! Authenticates, parses the number and the JSON body; on failure `error` holds the answer.
struct Call {
  std::optional<ApiPrincipal> who;
  std::int64_t number = 0;
  json body;
  std::optional<HttpResponse> error;
};

Call prepare(CaseService& service, const HttpRequest& req, bool with_body = true) {
  Call c;
  const std::string key = presentedKey(req);
  if (key.empty()) {
    c.error = jsonError(401, "missing api key");
    c.error->header("WWW-Authenticate", "Bearer");
    return c;
  }
  c.who = service.authenticate(key);
  if (!c.who) {
    c.error = jsonError(403, "invalid api key");
    return c;
  }
  const std::string& n = req.matches.empty() ? std::string() : req.matches[0];
  if (n.empty() || n.size() > 15 ||
      !std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    c.error = jsonError(404, "no such ticket");
    return c;
  }
  c.number = std::stoll(n);
  if (!with_body) { return c; }
  if (req.body.size() > kMaxBody) {
    c.error = jsonError(413, "body too large");
    return c;
  }
  c.body = json::parse(req.body, nullptr, false);
  if (c.body.is_discarded() || !c.body.is_object()) {
    c.error = jsonError(400, "body must be a JSON object");
  }
  return c;
}

std::optional<std::string> stringField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) { return std::string(); }
  if (!it->is_string()) { return std::nullopt; }
  return it->get<std::string>();
}

}  // namespace

std::vector<Route> BackofficeApi::routes() {
  auto bind = [this](HttpResponse (BackofficeApi::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  const std::string ticket = "/api/v1/tickets/([^/]+)";
  return {
      Route{"PUT", ticket + "/status", "api_v1_status", bind(&BackofficeApi::setStatus)},
      Route{"POST", ticket + "/status", "api_v1_status", bind(&BackofficeApi::setStatus)},
      Route{"POST", ticket + "/notes", "api_v1_notes", bind(&BackofficeApi::addNote)},
      Route{"PUT", ticket + "/external-ref", "api_v1_external_ref",
            bind(&BackofficeApi::setExternalRef)},
      Route{"POST", ticket + "/updates", "api_v1_updates", bind(&BackofficeApi::postUpdate)},
      Route{"GET", ticket, "api_v1_ticket", bind(&BackofficeApi::getTicket)},
      Route{"GET", ticket + "/photos/([0-9]{1,15})", "api_v1_photo",
            bind(&BackofficeApi::getPhoto)},
      Route{"GET", "/api/v1/changes", "api_v1_changes", bind(&BackofficeApi::listChanges)},
  };
}

HttpResponse BackofficeApi::setStatus(const HttpRequest& req) {
  Call c = prepare(service_, req);
  if (c.error) { return *c.error; }
  auto status = stringField(c.body, "status");
  auto note = stringField(c.body, "note");
  if (!status || !note || status->empty()) {
    return jsonError(400, "status (string) is required; note must be a string");
  }
  if (c.body.contains("update_id")) { return postUpdate(req); }
  auto done = service_.setStatus(*c.who, c.number, *status, *note);
  if (!done) { return fromError(done.error()); }
  return HttpResponse::json(200, json{{"number", c.number}, {"status", *status}}.dump());
}

HttpResponse BackofficeApi::addNote(const HttpRequest& req) {
  Call c = prepare(service_, req);
  if (c.error) { return *c.error; }
  auto note = stringField(c.body, "note");
  if (!note || note->empty()) { return jsonError(400, "note (non-empty string) is required"); }
  auto done = service_.addNote(*c.who, c.number, *note);
  if (!done) { return fromError(done.error()); }
  return HttpResponse::json(201, json{{"number", c.number}}.dump());
}

HttpResponse BackofficeApi::setExternalRef(const HttpRequest& req) {
  Call c = prepare(service_, req);
  if (c.error) { return *c.error; }
  auto ref = stringField(c.body, "ref");
  if (!ref || ref->empty()) { return jsonError(400, "ref (non-empty string) is required"); }
  auto done = service_.setExternalRef(*c.who, c.number, *ref);
  if (!done) { return fromError(done.error()); }
  return HttpResponse::json(200, json{{"number", c.number}, {"ref", *ref}}.dump());
}

HttpResponse BackofficeApi::postUpdate(const HttpRequest& req) {
  Call c = prepare(service_, req);
  if (c.error) { return *c.error; }
  auto update_id = stringField(c.body, "update_id");
  auto status = stringField(c.body, "status");
  auto note = stringField(c.body, "note");
  if (!update_id || !status || !note || update_id->empty()) {
    return jsonError(400, "update_id (string) is required; status and note must be strings");
  }
  auto applied = service_.applyUpdate(*c.who, c.number, *update_id, *status, *note);
  if (!applied) { return fromError(applied.error()); }
  // A repeat answers 200 as well: the client's retry succeeded, nothing happened twice.
  return HttpResponse::json(
      200, json{{"number", c.number}, {"update_id", *update_id}, {"applied", *applied}}.dump());
}

HttpResponse BackofficeApi::getTicket(const HttpRequest& req) {
  Call c = prepare(service_, req, false);
  if (c.error) { return *c.error; }
  auto scoped = service_.ticketFor(*c.who, c.number);
  if (!scoped) { return fromError(scoped.error()); }
  auto ticket = service_.cases().publicTicket(c.number);
  auto report = service_.cases().caseReport(c.number);
  if (!ticket || !report) { return jsonError(503, "temporarily unavailable"); }
  if (!*ticket || !*report) { return jsonError(404, "no such ticket"); }
  const json out = {
      {"payload_version", kCasePayloadVersion},
      {"service_request", serviceRequestJson(snapshotOf(**ticket), options_.public_grid_m)},
      {"report", caseReportJson(**report, c.number, options_.photo_links.get(),
                                service_.clock().now())},
  };
  HttpResponse r = HttpResponse::json(200, out.dump());
  r.header("Cache-Control", "no-store");
  return r;
}

HttpResponse BackofficeApi::getPhoto(const HttpRequest& req) {
  Call c = prepare(service_, req, false);
  if (c.error) { return *c.error; }
  if (req.matches.size() < 2 || !options_.photo_links || options_.media == nullptr) {
    return jsonError(404, "no such photo");
  }
  const std::int64_t media_id = std::stoll(req.matches[1]);
  auto scoped = service_.ticketFor(*c.who, c.number);
  if (!scoped) { return fromError(scoped.error()); }
  if (!options_.photo_links->valid(c.number, media_id, req.param("expires"), req.param("sig"),
                                   service_.clock().now())) {
    return jsonError(403, "link invalid or expired");
  }
  auto report = service_.cases().caseReport(c.number);
  if (!report) { return jsonError(503, "temporarily unavailable"); }
  std::optional<CasePhoto> photo;
  if (*report) {
    // The report's photos and those the citizen sent into the thread later (citizen_message).
    for (const auto* list : {&(*report)->photos, &(*report)->message_photos}) {
      for (const auto& p : *list) {
        if (p.media_id == media_id) { photo = p; }
      }
    }
  }
  if (!photo || !media::MediaStore::isValidId(photo->content_id)) {
    return jsonError(404, "no such photo");
  }
  auto bytes = options_.media->read(photo->content_id);
  if (!bytes) { return jsonError(404, "no such photo"); }
  HttpResponse r;
  r.status = 200;
  const std::string& t = photo->mime_type;
  r.content_type = t == "image/png" || t == "image/webp" ? t : "image/jpeg";
  r.body = std::move(*bytes);
  r.header("Cache-Control", "private, no-store");
  return r;
}

HttpResponse BackofficeApi::listChanges(const HttpRequest& req) {
  const std::string key = presentedKey(req);
  if (key.empty()) { return jsonError(401, "missing api key"); }
  auto who = service_.authenticate(key);
  if (!who) { return jsonError(403, "invalid api key"); }
  auto number = [&req](const char* name, std::int64_t fallback) -> std::optional<std::int64_t> {
    const std::string v = req.param(name);
    if (v.empty()) { return fallback; }
    if (v.size() > 15 || !std::all_of(v.begin(), v.end(), [](char ch) {
          return ch >= '0' && ch <= '9';
        })) {
      return std::nullopt;
    }
    return std::stoll(v);
  };
  const auto after = number("after", 0);
  const auto limit = number("limit", 100);
  if (!after || !limit || *limit < 1 || *limit > 500) {
    return jsonError(400, "after must be a cursor, limit 1..500");
  }
  auto entries = service_.cases().caseEntriesAfter(*after, who->departments,
                                                   static_cast<int>(*limit));
  if (!entries) { return jsonError(503, "temporarily unavailable"); }
  json changes = json::array();
  std::int64_t next = *after;
  for (const auto& e : *entries) {
    json entry = changeEntryJson(e);
    if (e.event_type == "citizen_message") {
      // As in the push: the text is read now (null once the citizen erased it).
      auto message = service_.cases().citizenMessage(e.ticket_number, e.thread_first,
                                                     e.thread_last);
      if (!message) { return jsonError(503, "temporarily unavailable"); }
      entry["message"] = citizenMessageJson(&*message, e.ticket_number,
                                            options_.photo_links.get(), service_.clock().now());
    }
    changes.push_back(std::move(entry));
    next = e.id;
  }
  const json out = {{"payload_version", kCasePayloadVersion}, {"changes", changes},
                    {"next_cursor", next}};
  return HttpResponse::json(200, out.dump());
}

}  // namespace bb::web
