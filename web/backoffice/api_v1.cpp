#include "web/backoffice/api_v1.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

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

Call prepare(CaseService& service, const HttpRequest& req) {
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

}  // namespace bb::web
