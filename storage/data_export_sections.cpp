#include "storage/data_export_sections.hpp"

#include "bot/text/timestamp.hpp"
#include "storage/millis.hpp"

namespace bb::storage {

namespace {

// The citizen's own tickets, for the sections about them.
#define BB_OWN_TICKETS "(SELECT number FROM tickets WHERE reporter = :p)"

bool endsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

const std::vector<ExportSection>& exportSections() {
  // clang-format off
  static const std::vector<ExportSection> kSections = {
    {"citizen",
     "SELECT channel, lang, consent_version, consent_at, created_at, last_inbound_at, unreachable, "
     "notifications_stopped_at FROM citizens WHERE pseudonym = :p", true},
    {"conversation",
     "SELECT state, data, updated_at FROM conversations WHERE pseudonym = :p", true},
    {"tickets",
     "SELECT t.number, t.kind, t.category_id, t.department, t.district_id, t.status, t.lat, t.lon, "
     "t.address_text, t.description, t.extra_answer, t.channel, t.created_at, t.updated_at, "
     "t.closed_at, t.anonymized_at, p.public_description, p.external_ref "
     "FROM tickets t LEFT JOIN ticket_public p ON p.ticket_id = t.id "
     "WHERE t.reporter = :p ORDER BY t.number", false},
    {"ticket_photos",
     "SELECT t.number AS ticket_number, tp.position, m.id AS media_id, m.content_id, m.mime_type "
     "FROM ticket_photos tp JOIN tickets t ON t.id = tp.ticket_id JOIN media m ON m.id = tp.media_id "
     "WHERE t.reporter = :p ORDER BY t.number, tp.position", false},
    // Internal staff notes are left out (see docs/privacy.md, "Export").
    // Messages other followers wrote into the citizen's ticket are theirs, not the citizen's.
    {"ticket_events",
     "SELECT t.number AS ticket_number, e.kind, e.actor, e.status, e.body, "
     "e.media_id, e.created_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
     "WHERE t.reporter = :p AND e.kind <> 'internal_note' "
     "AND (e.author IS NULL OR e.author = :p) ORDER BY e.id", false},
    // What the citizen wrote into the thread of a ticket they follow but did not report.
    {"thread_messages",
     "SELECT t.number AS ticket_number, e.body, e.media_id, e.created_at FROM ticket_events e "
     "JOIN tickets t ON t.id = e.ticket_id WHERE e.author = :p "
     "AND (t.reporter IS NULL OR t.reporter <> :p) ORDER BY e.id", false},
    {"reply_windows",
     "SELECT t.number AS ticket_number, r.opened_at, r.last_message_at FROM reply_windows r "
     "JOIN tickets t ON t.id = r.ticket_id WHERE r.pseudonym = :p ORDER BY t.number", false},
    {"follows",
     "SELECT t.number AS ticket_number, t.category_id, t.status, f.created_at "
     "FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id "
     "WHERE f.pseudonym = :p ORDER BY t.number", false},
    {"back_office_deliveries",
     "SELECT ticket_number, department, event_type, state, created_at, delivered_at "
     "FROM case_queue WHERE ticket_number IN " BB_OWN_TICKETS " ORDER BY id", false},
    {"audit",
     "SELECT at AS done_at, action, ticket_number, actor "
     "FROM audit_log WHERE ticket_number IN " BB_OWN_TICKETS " ORDER BY id", false},
    {"media",
     "SELECT id, channel, status, content_id, mime_type, error, created_at "
     "FROM media WHERE pseudonym = :p ORDER BY id", false},
    {"inbound_messages",
     "SELECT id, channel, received_at, processed_at, payload "
     "FROM inbound_events WHERE pseudonym = :p ORDER BY id", false},
    {"outbound_messages",
     "SELECT o.id, o.channel, o.kind, t.number AS ticket_number, o.status, o.payload, "
     "o.created_at, o.updated_at FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id "
     "WHERE o.pseudonym = :p ORDER BY o.id", false},
    {"subscriptions",
     "SELECT topic, created_at, reminded_at FROM sub_subscriptions WHERE pseudonym = :p "
     "ORDER BY topic", false},
    {"consents",
     "SELECT purpose, notice_version, granted_at, withdrawn_at FROM consents WHERE pseudonym = :p "
     "ORDER BY id", false},
    {"proposals",
     "SELECT id, campaign_id, status, title, description, cost_eur, topic, lat, lon, address_text, "
     "photo_media_id, reject_reason, created_at, published_at, updated_at "
     "FROM proposals WHERE author = :p ORDER BY id", false},
    {"proposal_supports",
     "SELECT s.proposal_id, p.title, s.created_at FROM proposal_supports s "
     "JOIN proposals p ON p.id = s.proposal_id WHERE s.pseudonym = :p ORDER BY s.proposal_id", false},
    {"proposal_comments",
     "SELECT id, proposal_id, status, body, reject_reason, created_at, published_at "
     "FROM proposal_comments WHERE author = :p ORDER BY id", false},
    {"proposal_notices",
     "SELECT proposal_id, notice_key, sent_at FROM proposal_notices WHERE pseudonym = :p "
     "ORDER BY proposal_id, notice_key", false},
    {"export_links",
     "SELECT created_at, expires_at FROM data_exports WHERE pseudonym = :p ORDER BY created_at", false},
  };
  // clang-format on
  return kSections;
}

#undef BB_OWN_TICKETS

const std::vector<std::string>& exportTablesRead() {
  static const std::vector<std::string> kTables = {
      "citizens",    "conversations",  "tickets",         "ticket_public",  "ticket_photos",
      "media",       "ticket_events",  "ticket_followers", "case_queue",    "audit_log",
      "inbound_events", "outbox",      "sub_subscriptions", "consents",     "proposals",
      "proposal_supports", "proposal_comments", "proposal_notices", "data_exports",
      "reply_windows"};
  return kTables;
}

nlohmann::json exportValue(const ExportCell& cell, std::string_view name) {
  using Kind = ExportCell::Kind;
  switch (cell.kind) {
    case Kind::Null: return nullptr;
    case Kind::Integer:
      if (endsWith(name, "_at")) { return rfc3339Utc(fromMillis(cell.integer)); }
      return cell.integer;
    case Kind::Real: return cell.real;
    case Kind::Text: break;
  }
  // Stored messages and drafts are JSON themselves: embedded as values, not as strings.
  if (name == "payload" || name == "data") {
    nlohmann::json parsed = nlohmann::json::parse(cell.text, nullptr, false);
    if (!parsed.is_discarded()) { return parsed; }
  }
  if (name == "actor") {
    // Staff appear by role ("staff", "backoffice", "system"), not by login.
    return cell.text.substr(0, cell.text.find(':'));
  }
  return cell.text;
}

nlohmann::json exportFrame(const std::string& pseudonym, SysTime now) {
  return {{"format", "buergerbox-citizen-export"},
          {"version", 1},
          {"generated_at", rfc3339Utc(now)},
          {"pseudonym", pseudonym}};
}

}  // namespace bb::storage
