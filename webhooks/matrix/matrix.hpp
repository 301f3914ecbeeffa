#pragma once
// Matrix application service: all of the channel's wire knowledge, as pure functions. No sockets
// and no storage: the routes call verifyHsToken/parseTransaction, the sender and media fetcher
// send what render*/download calls build and classify the replies. Nothing outside this folder
// needs a Matrix field name. Facts and sources: reference/channels.md §3, copied notes
// and the spec extract in tests/fixtures/matrix.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/ports.hpp"
#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb::webhooks::matrix {

//! Per-deployment settings (config section `matrix`). Tokens come from the environment.
struct Settings {
  std::string homeserver_url;    //!< client-server API base, e.g. "https://matrix.example.org"
  std::string server_name;       //!< the homeserver's name, e.g. "example.org"
  std::string sender_localpart;  //!< the bot user's localpart ("buergerbox")
  std::string as_token;          //!< AS → HS: Bearer on client-server calls
  std::string hs_token;          //!< HS → AS: Bearer on /transactions
  std::string registration_id = "buergerbox";  //!< `id` of the registration file
  std::string public_url;        //!< `url` of the registration file (server.public_url)
  //! Sent once per transaction into a room whose messages arrive encrypted (config texts).
  std::string encrypted_notice;
  //! Bridge bots (matrix.bridge_bots): members of every portal room, not counted as people.
  std::vector<std::string> bridge_bots;
  //! Sent once into a direct room that grew beyond the citizen and the bot, before leaving it.
  std::string group_notice;
};

//! Largest JSON nesting accepted by parseTransaction.
inline constexpr std::size_t kMaxJsonDepth = 64;
//! Download cap of an inbound image.
inline constexpr std::size_t kMaxImageBytes = 10 * 1024 * 1024;
//! Longest transaction id accepted (ours: the HS's counter; kept as the dedup key).
inline constexpr std::size_t kMaxTxnIdLength = 255;

//! "@<sender_localpart>:<server_name>".
std::string botUserId(const Settings& settings);

//! The registration YAML for the homeserver (app_service_config_files): id, url, as_token,
//! hs_token, sender_localpart, namespaces (the bot user, exclusive; no aliases or rooms),
//! rate_limited: false.
std::string registrationYaml(const Settings& settings);

//! How a request to the AS API authenticated itself.
enum class AuthResult { Ok, Missing, Forbidden };

//! `Authorization: Bearer <hs_token>` and/or the legacy `access_token` query parameter; when both
//! are present both must match. Compared in constant time (SHA-256 digests, so the length does
//! not leak either). An empty hs_token never matches.
AuthResult verifyHsToken(std::string_view authorization_header, bool has_access_token_param,
                         std::string_view access_token_param, std::string_view hs_token);

//! A parsed `mxc://<server-name>/<media-id>` URI.
struct MxcUri {
  std::string server_name;
  std::string media_id;
};
//! Server name: hostname (letters, digits, '.', '-'), IPv6 literal in brackets, optional :port;
//! media id: [A-Za-z0-9_-]+ (path traversal impossible). Anything else → nullopt.
std::optional<MxcUri> parseMxc(std::string_view uri);

//! RFC 5870 geo URI: "geo:<lat>,<lon>[,<alt>][;crs=wgs84][;u=<uncertainty m>][;other=...]".
//! Case-insensitive scheme and parameter names; range-checked; other CRSs refused.
struct GeoUri {
  double lat = 0;
  double lon = 0;
  double uncertainty_m = 0;  //!< 0 when absent
};
std::optional<GeoUri> parseGeoUri(std::string_view uri);

//! The normalized content of one transaction.
struct ParsedTransaction {
  std::vector<InboundEvent> events;  //!< conversation events, in transaction order
  std::vector<std::string> invites;  //!< rooms the bot was invited into (join them)
  //! Rooms with encrypted messages from citizens (answer once: the room must be unencrypted).
  std::vector<std::string> encrypted_rooms;
  //! Rooms where someone other than the bot joined or was invited: the bot stays only in direct
  //! rooms (at most two joined or invited members), so these are counted again.
  std::vector<std::string> grown_rooms;
  std::size_t ignored = 0;  //!< own events, notices, edits, state and other event types
};

//! Parses `{"events":[...], "ephemeral":[...]}`; ephemeral events are ignored. Malformed JSON, a
//! non-object body, a missing/non-array `events` or nesting deeper than kMaxJsonDepth →
//! ErrorCode::InvalidInput. Single malformed events are skipped (counted as ignored); never
//! throws. Mapping: invite of the bot → invites (+ an Invite event); m.text → Text, m.image with
//! an mxc url → Image (caption when `filename` differs from `body`), m.location → Location
//! (geo_uri), other msgtypes → Unsupported; leave/ban of a user → Unreachable; m.room.encrypted →
//! encrypted_rooms. The bot's own events and m.notice are ignored.
Result<ParsedTransaction> parseTransaction(std::string_view body, const std::string& bot_user_id);

//! The m.text content (relayed by mautrix bridges, unlike m.notice) for an outbound message: the text, then choices as numbered lines
//! ("1. Label"), with an HTML formatted_body (ordered list).
std::string renderMessageContent(const OutboundMessage& message);

//! PUT {hs}/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}?user_id=<bot>.
HttpCall sendCall(const std::string& room_id, const std::string& txn_id,
                  const std::string& content_json, const Settings& settings);
//! A send of a plain notice text (used for the encrypted-room answer).
HttpCall noticeCall(const std::string& room_id, const std::string& txn_id, const std::string& text,
                    const Settings& settings);
//! POST {hs}/_matrix/client/v3/rooms/{roomId}/join?user_id=<bot> with body {}.
HttpCall joinCall(const std::string& room_id, const Settings& settings);
//! POST {hs}/_matrix/client/v3/rooms/{roomId}/leave?user_id=<bot> with body {} (also declines
//! an invite).
HttpCall leaveCall(const std::string& room_id, const Settings& settings);
//! GET {hs}/_matrix/client/v3/rooms/{roomId}/members?not_membership=leave&user_id=<bot>.
HttpCall membersCall(const std::string& room_id, const Settings& settings);
//! The number of joined and invited members in a /members answer (chunk of m.room.member
//! events), leaving out `uncounted` (bridge bots); nullopt when the body is not such an answer.
std::optional<int> countMembers(std::string_view body,
                                const std::vector<std::string>& uncounted = {});
//! A direct room: the citizen and the bot, nobody else joined or invited.
inline constexpr int kMaxDirectRoomMembers = 2;

//! GET {hs}/_matrix/client/v1/media/download/{server}/{mediaId} with the as_token.
HttpCall downloadCall(const MxcUri& mxc, const Settings& settings);

//! What a client-server reply means.
struct CallOutcome {
  enum class Kind {
    Ok,           //!< 2xx
    Retry,        //!< no answer, 5xx, 401 (token trouble the operator fixes): try again later
    RateLimited,  //!< 429 M_LIMIT_EXCEEDED: wait retry_after
    Forbidden,    //!< 403 M_FORBIDDEN: not in the room / not allowed (the citizen is gone)
    Permanent,    //!< any other 4xx
  } kind = Kind::Permanent;
  std::string event_id;  //!< send: the event id the HS gave
  std::chrono::milliseconds retry_after{0};  //!< Retry-After (s) or retry_after_ms
  std::string error_code;  //!< errcode, "http_<status>" or "transport" (never bodies)
};
CallOutcome classifyReply(const HttpReply& reply);

}  // namespace bb::webhooks::matrix
