#include "storage/rows.hpp"

namespace bb::storage {

std::int64_t toMillis(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SysTime fromMillis(std::int64_t ms) { return SysTime(std::chrono::milliseconds(ms)); }

std::optional<SysTime> optionalTime(const SQLite::Column& c) {
  if (c.isNull()) { return std::nullopt; }
  return fromMillis(c.getInt64());
}

std::string optionalText(const SQLite::Column& c) {
  return c.isNull() ? std::string() : c.getString();
}

std::int64_t optionalId(const SQLite::Column& c) { return c.isNull() ? 0 : c.getInt64(); }

std::string blob(const SQLite::Column& c) {
  if (c.isNull()) { return {}; }
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
}

Channel channelOf(const SQLite::Column& c) {
  return channelFromString(c.getString()).value_or(Channel::WebChat);
}

std::string textColumn(SQLite::Statement& q) { return q.getColumn(0).getString(); }

std::int64_t int64Column(SQLite::Statement& q) { return q.getColumn(0).getInt64(); }

const char* const kCitizenColumns =
    "c.pseudonym, c.channel, c.address_ct, c.key_id, c.lang, c.consent_version, c.unreachable, "
    "c.last_inbound_at, c.consent_at, c.notifications_stopped_at";

CitizenRecord readCitizen(SQLite::Statement& q) {
  CitizenRecord c;
  c.pseudonym = q.getColumn(0).getString();
  c.channel = channelOf(q.getColumn(1));
  c.address_ct = blob(q.getColumn(2));
  c.key_id = q.getColumn(3).getString();
  c.lang = q.getColumn(4).getString();
  c.consent_version = q.getColumn(5).getInt();
  c.unreachable = q.getColumn(6).getInt() != 0;
  c.last_inbound_at = optionalTime(q.getColumn(7));
  c.consent_at = optionalTime(q.getColumn(8));
  c.notifications_stopped_at = optionalTime(q.getColumn(9));
  return c;
}

Result<void> changeOrRefuse(Database& database, ErrorCode code, const char* refusal,
                            const std::function<bool(SQLite::Database&)>& change) {
  bool refused = false;
  auto r = database.write([&](SQLite::Database& db) { refused = !change(db); });
  if (r && refused) { return fail(code, refusal); }
  return r;
}

}  // namespace bb::storage
