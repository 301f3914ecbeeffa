// The Matrix application-service endpoints (channels.md §3.2). Logs carry counts, errcodes and
// HTTP statuses only: never user ids, room ids, bodies, txn ids or tokens.
#include <algorithm>
#include <memory>
#include <optional>

#include "bot/security/crypto.hpp"
#include "bot/log.hpp"
#include "webhooks/matrix/channel.hpp"

namespace bb::webhooks::matrix {
namespace {

constexpr const char* kEmpty = "{}";

HttpResponse error(int status, const char* errcode, const char* message) {
  return HttpResponse::json(status, std::string(R"({"errcode":")") + errcode +
                                        R"(","error":")" + message + "\"}");
}

//! nullopt when the request may go on; otherwise the answer (401/403).
std::optional<HttpResponse> authenticate(const Settings& settings, const HttpRequest& req,
                                         const char* route) {
  const AuthResult auth = verifyHsToken(req.header("authorization"), req.hasParam("access_token"),
                                        req.param("access_token"), settings.hs_token);
  if (auth == AuthResult::Ok) { return std::nullopt; }
  log::warn("matrix_auth_refused",
            {{"route", route}, {"reason", auth == AuthResult::Missing ? "missing" : "mismatch"}});
  if (auth == AuthResult::Missing) {
    return error(401, "M_UNAUTHORIZED", "missing token");
  }
  return error(403, "M_FORBIDDEN", "bad token");
}

struct Context {
  Settings settings;
  IngestFn ingest;
  MatrixTransactionLog* transactions = nullptr;
  HttpClient* http = nullptr;
  std::size_t max_body_bytes = 0;
};

//! Joins or notices: true when the transaction may be acknowledged (done, or failed for good).
bool callDone(const CallOutcome& outcome, const char* what) {
  if (outcome.kind == CallOutcome::Kind::Ok) { return true; }
  const bool temporary = outcome.kind == CallOutcome::Kind::Retry ||
                         outcome.kind == CallOutcome::Kind::RateLimited;
  log::warn("matrix_call_failed", {{"call", what},
                                   {"code", outcome.error_code},
                                   {"retry", temporary ? "true" : "false"}});
  return !temporary;
}

//! The bot stays only in direct chats (`is_direct` on an invite is only the inviter's hint):
//! counts the room's joined and invited members and leaves a room with more than two, after
//! one notice when it was a direct chat before (`notice`). False: try again (transient).
bool keepOnlyDirect(const Context& c, const std::string& room, const std::string& txn_id,
                    bool notice) {
  const HttpReply reply = c.http->send(membersCall(room, c.settings));
  if (reply.status < 200 || reply.status >= 300) {
    return callDone(classifyReply(reply), "members");
  }
  const auto members = countMembers(reply.body, c.settings.bridge_bots);
  if (!members) {
    log::warn("matrix_members_unreadable");
    return true;
  }
  if (*members <= kMaxDirectRoomMembers) { return true; }
  bool done = true;
  if (notice) {
    const std::string notice_txn =
        "bb-grp-" + crypto::sha256Hex(txn_id + "\n" + room).substr(0, 24);
    done = callDone(classifyReply(c.http->send(
                        noticeCall(room, notice_txn, c.settings.group_notice, c.settings))),
                    "group_notice");
  }
  done = callDone(classifyReply(c.http->send(leaveCall(room, c.settings))), "leave") && done;
  log::info("matrix_group_room_left", {{"members", std::to_string(*members)},
                                       {"was_direct", notice ? "true" : "false"}});
  return done;
}

HttpResponse transaction(const Context& c, const HttpRequest& req) {
  if (auto refused = authenticate(c.settings, req, "transactions")) { return *refused; }
  if (req.body.size() > c.max_body_bytes) {
    log::warn("matrix_txn_too_large", {{"bytes", std::to_string(req.body.size())}});
    return error(413, "M_TOO_LARGE", "request too large");
  }
  const std::string txn_id = req.matches.empty() ? "" : req.matches[0];
  if (txn_id.empty() || txn_id.size() > kMaxTxnIdLength) {
    return error(400, "M_INVALID_PARAM", "bad transaction id");
  }
  auto seen = c.transactions->seen(txn_id);
  if (!seen) {
    log::error("matrix_txn_not_stored", {{"code", toString(seen.error().code)}});
    return error(503, "M_UNKNOWN", "unavailable");
  }
  if (*seen) {
    log::info("matrix_txn_repeated");
    return HttpResponse::json(200, kEmpty);
  }
  auto parsed = parseTransaction(req.body, botUserId(c.settings));
  if (!parsed) {
    log::warn("matrix_txn_unparsable");
    return error(400, "M_NOT_JSON", "bad request");
  }
  IngestReport report;
  if (!parsed->events.empty()) {
    auto stored = c.ingest(parsed->events);
    if (!stored) {
      // Not acknowledged, so the homeserver sends the transaction again.
      log::error("matrix_txn_not_stored", {{"code", toString(stored.error().code)}});
      return error(503, "M_UNKNOWN", "unavailable");
    }
    report = *stored;
  }
  bool done = true;
  for (const std::string& room : parsed->invites) {
    // Joined first: the member list of a room is readable for members only.
    const CallOutcome join = classifyReply(c.http->send(joinCall(room, c.settings)));
    if (join.kind == CallOutcome::Kind::Ok) {
      done = keepOnlyDirect(c, room, txn_id, false) && done;
    } else {
      done = callDone(join, "join") && done;
    }
  }
  for (const std::string& room : parsed->grown_rooms) {
    if (std::find(parsed->invites.begin(), parsed->invites.end(), room) != parsed->invites.end()) {
      continue;  // checked right after the join
    }
    done = keepOnlyDirect(c, room, txn_id, true) && done;
  }
  for (const std::string& room : parsed->encrypted_rooms) {
    // One notice per room and transaction; the txnId repeats when the HS repeats the txn.
    const std::string notice_txn =
        "bb-enc-" + crypto::sha256Hex(txn_id + "\n" + room).substr(0, 24);
    done = callDone(classifyReply(c.http->send(
                        noticeCall(room, notice_txn, c.settings.encrypted_notice, c.settings))),
                    "encrypted_notice") &&
           done;
  }
  if (!done) { return error(503, "M_UNKNOWN", "homeserver call failed, retry"); }
  if (auto recorded = c.transactions->record(txn_id); !recorded) {
    log::error("matrix_txn_not_recorded", {{"code", toString(recorded.error().code)}});
    return error(503, "M_UNKNOWN", "unavailable");
  }
  log::debug("matrix_txn", {{"events", std::to_string(parsed->events.size())},
                            {"accepted", std::to_string(report.accepted)},
                            {"duplicates", std::to_string(report.duplicates)},
                            {"invites", std::to_string(parsed->invites.size())},
                            {"encrypted_rooms", std::to_string(parsed->encrypted_rooms.size())},
                            {"ignored", std::to_string(parsed->ignored)}});
  return HttpResponse::json(200, kEmpty);
}

}  // namespace

std::vector<Route> routes(const Settings& settings, IngestFn ingest,
                          MatrixTransactionLog& transactions, HttpClient& http,
                          std::size_t max_body_bytes) {
  auto c = std::make_shared<Context>();
  c->settings = settings;
  c->ingest = std::move(ingest);
  c->transactions = &transactions;
  c->http = &http;
  c->max_body_bytes = max_body_bytes;
  std::vector<Route> out;
  auto txn = [c](const HttpRequest& req) { return transaction(*c, req); };
  out.push_back(Route{"PUT", R"(/_matrix/app/v1/transactions/([^/]+))", "matrix_transaction", txn});
  out.push_back(Route{"PUT", R"(/transactions/([^/]+))", "matrix_transaction_legacy", txn});
  auto not_found = [c](const HttpRequest& req) {
    if (auto refused = authenticate(c->settings, req, "query")) { return *refused; }
    return error(404, "M_NOT_FOUND", "not found");
  };
  out.push_back(Route{"GET", R"(/_matrix/app/v1/users/([^/]+))", "matrix_query_user", not_found});
  out.push_back(Route{"GET", R"(/_matrix/app/v1/rooms/([^/]+))", "matrix_query_room", not_found});
  out.push_back(Route{"POST", "/_matrix/app/v1/ping", "matrix_ping", [c](const HttpRequest& req) {
                        if (auto refused = authenticate(c->settings, req, "ping")) {
                          return *refused;
                        }
                        return HttpResponse::json(200, kEmpty);
                      }});
  auto unrecognized = [](const HttpRequest&) {
    return error(404, "M_UNRECOGNIZED", "unrecognized request");
  };
  for (const char* method : {"GET", "PUT", "POST", "DELETE"}) {
    out.push_back(Route{method, R"(/_matrix/app/.*)", "matrix_unrecognized", unrecognized});
  }
  return out;
}

}  // namespace bb::webhooks::matrix
