#include "bot/subscriptions/subscriptions.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bot/conversation/citizen_message.hpp"
#include "bot/log.hpp"
#include "bot/text/local_time.hpp"
#include "config/json_error.hpp"
#include "flows/subscriptions.hpp"

namespace bb {

namespace {

using json = nlohmann::json;

bool validTopicId(const std::string& id) {
  if (id.empty() || id.size() > 40) {
    return false;
  }
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<TopicSetting>> parseTopics(const std::string& json_text) {
  const json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded()) {
    return fail(ErrorCode::InvalidInput,
                config::jsonSyntaxError(json_text).value_or("topics: JSON syntax error"));
  }
  if (!root.is_array()) {
    return fail(ErrorCode::InvalidInput, "topics: expected a JSON array");
  }
  std::vector<TopicSetting> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const json& t = root[i];
    const std::string where = "topics[" + std::to_string(i) + "]";
    if (!t.is_object()) {
      return fail(ErrorCode::InvalidInput, where + ": expected an object");
    }
    TopicSetting s;
    const auto id = t.find("id");
    if (id == t.end() || !id->is_string() || !validTopicId(id->get<std::string>())) {
      return fail(ErrorCode::InvalidInput, where + ".id: lowercase a-z, 0-9, _ or -, 1..40");
    }
    s.topic.id = id->get<std::string>();
    if (!seen.insert(s.topic.id).second) {
      return fail(ErrorCode::InvalidInput, where + ".id: duplicate " + s.topic.id);
    }
    const auto label = t.find("label");
    if (label == t.end() || !label->is_object()) {
      return fail(ErrorCode::InvalidInput, where + ".label: expected {\"de\": ..., \"en\": ...}");
    }
    for (const auto& [lang, text] : label->items()) {
      const auto l = flows::langFromString(lang);
      if (!l || !text.is_string()) {
        return fail(ErrorCode::InvalidInput, where + ".label." + lang + ": unknown language");
      }
      s.topic.label[*l] = text.get<std::string>();
    }
    if (s.topic.label.count(flows::Lang::De) == 0) {
      return fail(ErrorCode::InvalidInput, where + ".label.de: missing");
    }
    if (const auto orgs = t.find("oparl_organizations"); orgs != t.end()) {
      if (!orgs->is_array()) {
        return fail(ErrorCode::InvalidInput, where + ".oparl_organizations: expected an array");
      }
      for (const json& o : *orgs) {
        if (!o.is_string()) {
          return fail(ErrorCode::InvalidInput, where + ".oparl_organizations: expected URLs");
        }
        s.oparl_organizations.push_back(o.get<std::string>());
      }
    }
    if (const auto now = t.find("send_at_once"); now != t.end()) {
      if (!now->is_boolean()) {
        return fail(ErrorCode::InvalidInput, where + ".send_at_once: expected true or false");
      }
      s.send_at_once = now->get<bool>();
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

std::string day(std::optional<SysTime> t) { return t ? localDate(*t) : "-"; }

//! What a consent's purpose means, in the citizen's words; an unknown purpose as it is stored.
std::string purposeLabel(const flows::TextCatalog& texts, const std::vector<flows::Topic>& topics,
                         const std::string& purpose, flows::Lang lang) {
  static const std::string kBroadcast = broadcastPurpose("");
  if (purpose == kServicePurpose || purpose == kParticipationPurpose) {
    return texts.render(lang, "consent.purpose." + purpose);
  }
  if (purpose.rfind(kBroadcast, 0) == 0) {
    return texts.render(lang, "consent.purpose.broadcast",
                        {{"topic", flows::topicLabel(topics, purpose.substr(kBroadcast.size()),
                                                     lang)}});
  }
  return purpose;
}

}  // namespace

std::string exportSubscriptions(SubscriptionStore& store, const flows::TextCatalog& texts,
                                const std::vector<flows::Topic>& topics,
                                const std::string& pseudonym, flows::Lang lang) {
  std::string text;
  if (auto subs = store.subscriptionsOf(pseudonym)) {
    for (const SubscriptionRecord& s : *subs) {
      text += "\n" + texts.render(lang, "subscriptions.export_item",
                                  {{"topic", flows::topicLabel(topics, s.topic, lang)},
                                   {"since", day(s.created_at)}});
    }
  }
  if (auto consents = store.consentsOf(pseudonym)) {
    // Local date and time: when a consent was given or withdrawn is what it proves.
    for (const ConsentRecord& c : *consents) {
      std::map<std::string, std::string> params = {
          {"purpose", purposeLabel(texts, topics, c.purpose, lang)},
          {"version", std::to_string(c.notice_version)},
          {"granted", localDateTime(c.granted_at)}};
      if (c.withdrawn_at) { params["withdrawn"] = localDateTime(*c.withdrawn_at); }
      text += "\n" + texts.render(lang,
                                  c.withdrawn_at ? "subscriptions.export_consent_withdrawn"
                                                 : "subscriptions.export_consent",
                                  params);
    }
  }
  return text;
}

RetentionReport runSubscriptionRetention(SubscriptionStore& store, const flows::TextCatalog& texts,
                                         const std::vector<flows::Topic>& topics,
                                         const RetentionOptions& options, SysTime now) {
  RetentionReport report;
  if (auto revived = store.clearAnsweredReminders()) {
    report.revived = *revived;
  }
  const auto grace = std::chrono::hours(24) * options.remove_after_days;
  if (auto removed = store.removeUnanswered(now - grace, now)) {
    report.removed = *removed;
  }
  // A month is counted as 30 days: the reminder is a courtesy, not a deadline.
  const auto inactive = std::chrono::hours(24 * 30) * options.inactive_months;
  for (;;) {
    auto due = store.inactiveSubscribers(now - inactive, 500);
    if (!due || due->empty()) {
      break;
    }
    int done = 0;
    for (const CitizenRecord& c : *due) {
      auto reminder = CitizenMessage::notice(c);
      const flows::Lang lang = reminder.lang();
      std::string names;
      if (auto mine = store.topicsOf(c.pseudonym)) {
        for (const std::string& id : *mine) {
          names += (names.empty() ? "" : ", ") + flows::topicLabel(topics, id, lang);
        }
      }
      reminder.about(NoticeKind::SubscriptionReminder, {names});
      reminder.text(texts.render(lang, "subscriptions.reminder",
                                 {{"topics", names},
                                  {"days", std::to_string(options.remove_after_days)}}));
      const NewOutbound o = reminder.build();
      if (store.remind(c.pseudonym, o, now)) {
        ++report.reminded;
        ++done;
      }
    }
    if (done == 0) {
      break;  // storage trouble: try again on the next pass
    }
  }
  if (report.reminded + report.removed + report.revived > 0) {
    log::info("subscription_retention", {{"reminded", std::to_string(report.reminded)},
                                         {"removed", std::to_string(report.removed)},
                                         {"revived", std::to_string(report.revived)}});
  }
  return report;
}

}  // namespace bb
