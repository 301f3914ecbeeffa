// Subscriptions by chat: "abos" lists the topics with the citizen's subscriptions;
// a choice or "abonnieren <topics>" subscribes, "abbestellen <topics>" ends several at once, a
// typed list in the subscriptions state toggles each named topic. Consent per topic is recorded
// by the engine from the Subscribe effect (purpose "broadcast:<topic>", notice version).

#include "flows/subscriptions.hpp"

#include <algorithm>
#include <set>

#include "flows/machine.hpp"

namespace bb::flows {

namespace {

//! WhatsApp lists hold at most 10 rows: 9 topics and "menu".
constexpr std::size_t kMaxTopicChoices = 9;

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

bool isSeparator(char c) {
  return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '+' || c == '&';
}

//! Names a topic may be written as (lowercase): its id and its labels.
std::vector<std::pair<std::string, std::string>> topicNames(const std::vector<Topic>& topics) {
  std::vector<std::pair<std::string, std::string>> names;
  for (const Topic& topic : topics) {
    names.emplace_back(detail::lower(topic.id), topic.id);
    for (const auto& [lang, label] : topic.label) {
      if (!label.empty()) {
        names.emplace_back(detail::lower(label), topic.id);
      }
    }
  }
  // Longest first, so "haupt- und finanzausschuss" wins over a shorter prefix.
  std::stable_sort(names.begin(), names.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return names;
}

bool wordEndsAt(const std::string& text, std::size_t pos) {
  return pos >= text.size() || isSeparator(text[pos]);
}

}  // namespace

std::string topicLabel(const std::vector<Topic>& topics, const std::string& topic_id, Lang lang) {
  for (const Topic& topic : topics) {
    if (topic.id == topic_id) {
      const std::string label = detail::localized(topic.label, lang);
      return label.empty() ? topic.id : label;
    }
  }
  return topic_id;
}

TopicSelection parseTopicSelection(const std::vector<Topic>& topics, const std::string& text) {
  TopicSelection out;
  const std::string s = detail::lower(text);
  const auto names = topicNames(topics);
  auto add = [&out](const std::string& id) {
    if (std::find(out.topics.begin(), out.topics.end(), id) == out.topics.end()) {
      out.topics.push_back(id);
    }
  };
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (isSeparator(s[pos])) {
      ++pos;
      continue;
    }
    bool matched = false;
    for (const char* filler : {"und", "and"}) {
      const std::string f = filler;
      if (s.compare(pos, f.size(), f) == 0 && wordEndsAt(s, pos + f.size())) {
        pos += f.size();
        matched = true;
        break;
      }
    }
    if (matched) {
      continue;
    }
    for (const char* every : {"alle", "all"}) {
      const std::string f = every;
      if (s.compare(pos, f.size(), f) == 0 && wordEndsAt(s, pos + f.size())) {
        pos += f.size();
        out.all = true;
        matched = true;
        break;
      }
    }
    if (matched) {
      continue;
    }
    for (const auto& [name, id] : names) {
      if (!name.empty() && s.compare(pos, name.size(), name) == 0 &&
          wordEndsAt(s, pos + name.size())) {
        add(id);
        pos += name.size();
        matched = true;
        break;
      }
    }
    if (matched) {
      continue;
    }
    std::size_t end = pos;
    while (end < s.size() && !isSeparator(s[end])) {
      ++end;
    }
    const std::string piece = s.substr(pos, end - pos);
    bool number = !piece.empty() && piece.size() <= 3;
    for (const char c : piece) {
      number = number && c >= '0' && c <= '9';
    }
    if (number) {
      const std::size_t index = static_cast<std::size_t>(std::stoi(piece));
      if (index >= 1 && index <= topics.size()) {
        add(topics[index - 1].id);
      } else {
        out.unknown.push_back(piece);
      }
    } else {
      out.unknown.push_back(piece);
    }
    pos = end;
  }
  return out;
}

namespace detail {

namespace {

using S = State;

const std::vector<Topic>& topicsOf(const Turn& t) {
  static const std::vector<Topic> kNone;
  return t.ctx.topics == nullptr ? kNone : *t.ctx.topics;
}

bool isSubscribed(const std::set<std::string>& subscribed, const std::string& id) {
  return subscribed.count(id) > 0;
}

std::vector<Choice> choicesWith(const Turn& t, const std::set<std::string>& subscribed) {
  std::vector<Choice> choices;
  const auto& topics = topicsOf(t);
  for (std::size_t i = 0; i < topics.size() && i < kMaxTopicChoices; ++i) {
    const Topic& topic = topics[i];
    const Params p{{"topic", topicLabel(topics, topic.id, t.next.lang)}};
    if (isSubscribed(subscribed, topic.id)) {
      choices.push_back(Choice{choice::kUnsubscribePrefix + topic.id,
                               render(t, "subscriptions.choice_unsubscribe", p)});
    } else {
      choices.push_back(Choice{choice::kSubscribePrefix + topic.id,
                               render(t, "subscriptions.choice_subscribe", p)});
    }
  }
  choices.push_back(choiceOf(t, choice::kMenu));
  return choices;
}

std::set<std::string> currentSet(const Turn& t) {
  return {t.ctx.subscribed.begin(), t.ctx.subscribed.end()};
}

std::string listText(const Turn& t, const std::set<std::string>& subscribed) {
  std::string lines;
  const auto& topics = topicsOf(t);
  for (std::size_t i = 0; i < topics.size(); ++i) {
    const Params p{{"n", std::to_string(i + 1)},
                   {"topic", topicLabel(topics, topics[i].id, t.next.lang)}};
    if (!lines.empty()) {
      lines += "\n";
    }
    lines += render(t, isSubscribed(subscribed, topics[i].id) ? "subscriptions.item_on"
                                                              : "subscriptions.item_off",
                    p);
  }
  return lines;
}

std::string labels(const Turn& t, const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    out += (out.empty() ? "" : ", ") + topicLabel(topicsOf(t), id, t.next.lang);
  }
  return out;
}

//! The words after a subscribe/unsubscribe command, or the ids after "sub:" / "unsub:".
std::string argumentText(const Turn& t) {
  std::string raw = t.event.kind == EventKind::Choice ? t.event.choice_id : t.event.text;
  raw = trim(raw);
  if (!raw.empty() && raw.front() == '/') {
    raw.erase(0, 1);
  }
  const std::string low = lower(raw);
  for (const char* prefix : {choice::kUnsubscribePrefix, choice::kSubscribePrefix}) {
    if (startsWith(low, prefix)) {
      return raw.substr(std::string(prefix).size());
    }
  }
  const std::size_t space = raw.find_first_of(" \t");
  return space == std::string::npos ? std::string() : raw.substr(space + 1);
}

void sayList(Turn& t, const std::string& key, const Params& extra,
             const std::set<std::string>& subscribed) {
  Params p = extra;
  p["topics"] = listText(t, subscribed);
  say(t, key, p, choicesWith(t, subscribed));
}

//! Applies `add` and `remove`, emits the effects and answers with the new list.
void apply(Turn& t, const std::vector<std::string>& add, const std::vector<std::string>& remove,
           const std::vector<std::string>& unknown) {
  std::set<std::string> subscribed = currentSet(t);
  if (!add.empty()) {
    t.effects.emplace_back(Subscribe{add, t.ctx.settings.privacy_notice_version});
    subscribed.insert(add.begin(), add.end());
  }
  if (!remove.empty()) {
    t.effects.emplace_back(Unsubscribe{remove});
    for (const std::string& id : remove) {
      subscribed.erase(id);
    }
  }
  std::string key = "subscriptions.unchanged";
  Params p{{"url", t.ctx.settings.privacy_notice_url}};
  if (!add.empty() && !remove.empty()) {
    key = "subscriptions.changed";
  } else if (!add.empty()) {
    key = "subscriptions.subscribed";
  } else if (!remove.empty()) {
    key = "subscriptions.unsubscribed";
  }
  p["added"] = labels(t, add);
  p["removed"] = labels(t, remove);
  if (!unknown.empty()) {
    std::string pieces;
    for (const std::string& u : unknown) {
      pieces += (pieces.empty() ? "" : ", ") + u;
    }
    say(t, "subscriptions.unknown", {{"unknown", pieces}});
  }
  sayList(t, key, p, subscribed);
}

bool namesTopics(const Turn& t) {
  const TopicSelection sel = parseTopicSelection(topicsOf(t), t.event.text);
  return !sel.topics.empty() && sel.unknown.empty() && !sel.all;
}

void toggleTopics(Turn& t) {
  const TopicSelection sel = parseTopicSelection(topicsOf(t), t.event.text);
  const std::set<std::string> subscribed = currentSet(t);
  std::vector<std::string> add;
  std::vector<std::string> remove;
  for (const std::string& id : sel.topics) {
    (isSubscribed(subscribed, id) ? remove : add).push_back(id);
  }
  apply(t, add, remove, {});
}

void backToMenu(Turn& t) {
  say(t, "menu.prompt", {}, menuChoices(t));
}

// clang-format off
constexpr Transition kSubscriptions[] = {
  // from              on         guard        action        to
  {S::Subscriptions,   On::Text,  namesTopics, toggleTopics, kSame},
  {S::Subscriptions,   On::Back,  nullptr,     backToMenu,   S::Menu},
  {S::Subscriptions,   On::Next,  nullptr,     backToMenu,   S::Menu},
  {S::Subscriptions,   On::No,    nullptr,     backToMenu,   S::Menu},
};
// clang-format on

}  // namespace

std::span<const Transition> subscriptionTable() {
  return kSubscriptions;
}

std::vector<Choice> subscriptionChoices(const Turn& turn) {
  return choicesWith(turn, currentSet(turn));
}

std::optional<On> classifySubscription(const Turn& turn, const std::string& word) {
  for (const char* w : {"abos", "abo", "abonnements", "subscriptions", "meine abos",
                        "my subscriptions", "ratsinfo", "ratsinfos", "abonnieren", "subscribe"}) {
    if (word == w) {
      return On::Subscriptions;
    }
  }
  if (startsWith(word, choice::kSubscribePrefix)) {
    return On::Subscribe;
  }
  if (startsWith(word, choice::kUnsubscribePrefix)) {
    return On::Unsubscribe;
  }
  for (const char* w : {"abonnieren ", "subscribe ", "abo "}) {
    if (startsWith(word, w)) {
      return On::Subscribe;
    }
  }
  for (const char* w : {"abbestellen", "unsubscribe", "abmelden", "kündigen"}) {
    if (word == w || startsWith(word, std::string(w) + " ")) {
      return On::Unsubscribe;
    }
  }
  if (turn.event.kind == EventKind::Text && turn.ctx.texts != nullptr) {
    for (const Lang lang : {Lang::De, Lang::En}) {
      if (turn.ctx.texts->has(lang, "choice.subscriptions") &&
          lower(turn.ctx.texts->render(lang, "choice.subscriptions")) == word) {
        return On::Subscriptions;
      }
    }
  }
  return std::nullopt;
}

bool outsideDraft(const Turn& turn) {
  return !isDraftState(turn.state);
}

void showSubscriptions(Turn& t) {
  if (topicsOf(t).empty()) {
    say(t, "subscriptions.none_configured", {}, menuChoices(t));
    t.state = S::Menu;
    t.next.state = toString(S::Menu);
    return;
  }
  sayList(t, "subscriptions.list", {}, currentSet(t));
}

void subscribeTopics(Turn& t) {
  const TopicSelection sel = parseTopicSelection(topicsOf(t), argumentText(t));
  const std::set<std::string> subscribed = currentSet(t);
  std::vector<std::string> add;
  const std::vector<std::string> wanted = sel.all ? [&] {
    std::vector<std::string> ids;
    for (const Topic& topic : topicsOf(t)) {
      ids.push_back(topic.id);
    }
    return ids;
  }()
                                                  : sel.topics;
  for (const std::string& id : wanted) {
    if (!isSubscribed(subscribed, id)) {
      add.push_back(id);
    }
  }
  apply(t, add, {}, sel.unknown);
}

void unsubscribeTopics(Turn& t) {
  const TopicSelection sel = parseTopicSelection(topicsOf(t), argumentText(t));
  const std::set<std::string> subscribed = currentSet(t);
  std::vector<std::string> remove;
  if (sel.all) {
    remove.assign(subscribed.begin(), subscribed.end());
  }
  for (const std::string& id : sel.topics) {
    if (isSubscribed(subscribed, id) &&
        std::find(remove.begin(), remove.end(), id) == remove.end()) {
      remove.push_back(id);
    }
  }
  apply(t, {}, remove, sel.unknown);
}

}  // namespace detail

}  // namespace bb::flows
