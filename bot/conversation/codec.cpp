#include "bot/conversation/codec.hpp"

#include <nlohmann/json.hpp>

#include "bot/security/crypto.hpp"

namespace bb {
namespace {

using json = nlohmann::json;

std::int64_t millis(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
SysTime fromMillis(std::int64_t ms) { return SysTime(std::chrono::milliseconds(ms)); }

std::optional<InboundKind> kindFromString(const std::string& s) {
  for (auto k : {InboundKind::Text, InboundKind::Choice, InboundKind::Location, InboundKind::Image,
                 InboundKind::Unsupported, InboundKind::DeliveryStatus, InboundKind::Invite,
                 InboundKind::Unreachable, InboundKind::MediaRejected}) {
    if (s == toString(k)) { return k; }
  }
  return std::nullopt;
}

json choicesJson(const std::vector<Choice>& choices) {
  json arr = json::array();
  for (const auto& c : choices) { arr.push_back({{"id", c.id}, {"label", c.label}}); }
  return arr;
}

// Texts from chat may hold invalid UTF-8; replace rather than throw on dump.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string encodeStoredInbound(const InboundEvent& e, const std::string& address_ct,
                                const std::string& key_id) {
  json j;
  j["channel"] = toString(e.channel);
  j["external_id"] = e.external_id;
  j["sent_at"] = millis(e.sent_at);
  j["kind"] = toString(e.kind);
  if (!e.text.empty()) { j["text"] = e.text; }
  if (!e.choice_id.empty()) { j["choice_id"] = e.choice_id; }
  if (!e.reply_to.empty()) { j["reply_to"] = e.reply_to; }
  if (e.location) {
    j["lat"] = e.location->lat;
    j["lon"] = e.location->lon;
    if (e.location_accuracy_m > 0) { j["accuracy"] = e.location_accuracy_m; }
  }
  if (e.media) {
    j["media"] = {{"ref", e.media->ref}, {"mime", e.media->mime_type}, {"sha256", e.media->sha256}};
  }
  j["addr"] = crypto::toHex(address_ct);
  j["key_id"] = key_id;
  return dump(j);
}

Result<StoredInbound> decodeStoredInbound(const std::string& payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) { return fail(ErrorCode::Internal, "bad stored event"); }
  try {
    StoredInbound out;
    auto& e = out.event;
    e.channel = channelFromString(j.value("channel", "")).value_or(Channel::WebChat);
    e.external_id = j.value("external_id", "");
    e.sent_at = fromMillis(j.value("sent_at", std::int64_t{0}));
    e.kind = kindFromString(j.value("kind", "")).value_or(InboundKind::Unsupported);
    e.text = j.value("text", "");
    e.choice_id = j.value("choice_id", "");
    e.reply_to = j.value("reply_to", "");
    if (j.contains("lat") && j.contains("lon")) {
      e.location = GeoPoint{j["lat"].get<double>(), j["lon"].get<double>()};
      e.location_accuracy_m = j.value("accuracy", 0.0);
    }
    if (j.contains("media") && j["media"].is_object()) {
      const auto& m = j["media"];
      e.media = MediaRef{m.value("ref", ""), m.value("mime", ""), m.value("sha256", "")};
    }
    auto addr = crypto::fromHex(j.value("addr", ""));
    if (!addr) { return fail(ErrorCode::Internal, "bad stored address"); }
    out.address_ct = *addr;
    out.key_id = j.value("key_id", "");
    return out;
  } catch (const std::exception&) {
    return fail(ErrorCode::Internal, "bad stored event");
  }
}

std::string encodeOutbound(const OutboundMessage& m) {
  json j;
  j["text"] = m.text;
  if (!m.choices.empty()) { j["choices"] = choicesJson(m.choices); }
  if (m.request_location) { j["request_location"] = true; }
  if (!m.template_name.empty()) {
    j["template_name"] = m.template_name;
    j["template_params"] = m.template_params;
  }
  if (!m.follow_url.empty()) { j["follow_url"] = m.follow_url; }
  if (!m.notice_kind.empty()) {
    j["notice"] = {{"kind", m.notice_kind}, {"params", m.notice_params}};
  }
  return dump(j);
}

Result<OutboundMessage> decodeOutbound(const std::string& payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) { return fail(ErrorCode::Internal, "bad outbound"); }
  try {
    OutboundMessage m;
    m.text = j.value("text", "");
    if (j.contains("choices") && j["choices"].is_array()) {
      for (const auto& c : j["choices"]) {
        m.choices.push_back(Choice{c.value("id", ""), c.value("label", "")});
      }
    }
    m.request_location = j.value("request_location", false);
    m.template_name = j.value("template_name", "");
    if (j.contains("template_params") && j["template_params"].is_array()) {
      m.template_params = j["template_params"].get<std::vector<std::string>>();
    }
    m.follow_url = j.value("follow_url", "");
    if (j.contains("notice") && j["notice"].is_object()) {
      const json& n = j["notice"];
      m.notice_kind = n.value("kind", "");
      if (n.contains("params") && n["params"].is_array()) {
        m.notice_params = n["params"].get<std::vector<std::string>>();
      }
    }
    return m;
  } catch (const std::exception&) {
    return fail(ErrorCode::Internal, "bad outbound");
  }
}

std::string encodeConversation(const SavedConversation& c) {
  const auto& f = c.flow;
  const auto& d = f.draft;
  json draft;
  draft["category_id"] = d.category_id;
  if (d.location) { draft["location"] = {d.location->lat, d.location->lon}; }
  draft["address_text"] = d.address_text;
  if (d.address_unconfirmed) { draft["address_unconfirmed"] = true; }
  if (d.address_tries != 0) { draft["address_tries"] = d.address_tries; }
  if (d.editing_location) { draft["editing_location"] = true; }
  if (!d.address_choices.empty()) {
    json places = json::array();
    for (const auto& p : d.address_choices) {
      places.push_back({{"label", p.label}, {"lat", p.at.lat}, {"lon", p.at.lon}});
    }
    draft["address_choices"] = places;
  }
  draft["district_id"] = d.district_id;
  draft["department"] = d.department;
  draft["photo_ids"] = d.photo_ids;
  draft["extra_answer"] = d.extra_answer;
  draft["description"] = d.description;
  draft["letter_text"] = d.letter_text;
  if (!d.proposal_title.empty()) { draft["proposal_title"] = d.proposal_title; }
  if (d.proposal_cost) { draft["proposal_cost"] = *d.proposal_cost; }
  if (!d.proposal_topic.empty()) { draft["proposal_topic"] = d.proposal_topic; }
  if (d.proposal_id != 0) { draft["proposal_id"] = d.proposal_id; }
  if (d.proposal_page != 0) { draft["proposal_page"] = d.proposal_page; }
  if (!d.proposal_order.empty()) { draft["proposal_order"] = d.proposal_order; }
  if (!d.reply_text.empty()) { draft["reply_text"] = d.reply_text; }
  if (!d.reply_media_ids.empty()) { draft["reply_media_ids"] = d.reply_media_ids; }
  if (d.write_number != 0) { draft["write_number"] = d.write_number; }
  if (!d.stop_return.empty()) { draft["stop_return"] = d.stop_return; }
  json j;
  j["lang"] = flows::toString(f.lang);
  j["consent_version"] = f.consent_version;
  j["last_activity"] = millis(f.last_activity);
  j["draft"] = draft;
  json choices = json::array();
  for (const auto& ch : c.last_choices) { choices.push_back({{"id", ch.id}, {"label", ch.label}}); }
  j["last_choices"] = choices;
  return dump(j);
}

Result<SavedConversation> decodeConversation(const std::string& state, const std::string& data) {
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) { return fail(ErrorCode::Internal, "bad conversation"); }
  try {
    SavedConversation out;
    auto& f = out.flow;
    f.state = state;
    f.lang = flows::langFromString(j.value("lang", "de")).value_or(flows::Lang::De);
    f.consent_version = j.value("consent_version", 0);
    f.last_activity = fromMillis(j.value("last_activity", std::int64_t{0}));
    if (j.contains("draft") && j["draft"].is_object()) {
      const auto& d = j["draft"];
      f.draft.category_id = d.value("category_id", "");
      if (d.contains("location") && d["location"].is_array() && d["location"].size() == 2) {
        f.draft.location = flows::Point{d["location"][0].get<double>(), d["location"][1].get<double>()};
      }
      f.draft.address_text = d.value("address_text", "");
      f.draft.address_unconfirmed = d.value("address_unconfirmed", false);
      f.draft.address_tries = d.value("address_tries", 0);
      f.draft.editing_location = d.value("editing_location", false);
      if (d.contains("address_choices") && d["address_choices"].is_array()) {
        for (const auto& p : d["address_choices"]) {
          f.draft.address_choices.push_back(flows::GeoCandidate{
              p.value("label", ""), flows::Point{p.value("lat", 0.0), p.value("lon", 0.0)}});
        }
      }
      f.draft.district_id = d.value("district_id", "");
      f.draft.department = d.value("department", "");
      if (d.contains("photo_ids")) { f.draft.photo_ids = d["photo_ids"].get<std::vector<std::string>>(); }
      f.draft.extra_answer = d.value("extra_answer", "");
      f.draft.description = d.value("description", "");
      f.draft.letter_text = d.value("letter_text", "");
      f.draft.proposal_title = d.value("proposal_title", "");
      if (d.contains("proposal_cost") && d["proposal_cost"].is_number_integer()) {
        f.draft.proposal_cost = d["proposal_cost"].get<std::int64_t>();
      }
      f.draft.proposal_topic = d.value("proposal_topic", "");
      f.draft.proposal_id = d.value("proposal_id", std::int64_t{0});
      f.draft.proposal_page = d.value("proposal_page", 0);
      f.draft.proposal_order = d.value("proposal_order", "");
      f.draft.reply_text = d.value("reply_text", "");
      if (d.contains("reply_media_ids") && d["reply_media_ids"].is_array()) {
        f.draft.reply_media_ids = d["reply_media_ids"].get<std::vector<std::string>>();
      }
      f.draft.write_number = d.value("write_number", std::int64_t{0});
      f.draft.stop_return = d.value("stop_return", "");
    }
    if (j.contains("last_choices") && j["last_choices"].is_array()) {
      for (const auto& c : j["last_choices"]) {
        out.last_choices.push_back(flows::Choice{c.value("id", ""), c.value("label", "")});
      }
    }
    return out;
  } catch (const std::exception&) {
    return fail(ErrorCode::Internal, "bad conversation");
  }
}

SavedConversation withoutDraft(const std::string& state, const std::string& data) {
  const auto saved = decodeConversation(state, data);
  SavedConversation reset;
  if (saved) {
    reset.flow.lang = saved->flow.lang;
    reset.flow.consent_version = saved->flow.consent_version;
    reset.flow.last_activity = saved->flow.last_activity;
  }
  reset.flow.state = reset.flow.consent_version > 0 ? "menu" : "new";
  return reset;
}

}  // namespace bb
