#include "bot/channels/whatsapp_templates.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/json_error.hpp"

namespace bb {
namespace {

using json = nlohmann::json;

struct KindInfo {
  NoticeKind kind;
  const char* name;
  std::vector<std::string> parameters;
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> kKinds = {
      {NoticeKind::TicketStatus, "ticket_status", {"ticket number", "status"}},
      {NoticeKind::StaffMessage, "staff_message", {"ticket number"}},
      {NoticeKind::ProposalModerated, "proposal_moderated", {"campaign", "proposal title", "result"}},
      {NoticeKind::ProposalOutcome, "proposal_outcome", {"campaign", "proposal title", "outcome"}},
      {NoticeKind::SubscriptionReminder, "subscription_reminder", {"topic list"}},
      {NoticeKind::Broadcast, "broadcast", {"topic", "short title"}},
  };
  return kKinds;
}

const KindInfo& info(NoticeKind kind) {
  for (const auto& k : kinds()) {
    if (k.kind == kind) { return k; }
  }
  return kinds().front();
}

//! Characters as Meta counts them: code points (UTF-8 continuation bytes not counted).
std::size_t characters(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  }));
}

bool validName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxTemplateNameChars &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

Unexpected<Error> invalid(const std::string& where, const std::string& what) {
  return fail(ErrorCode::InvalidInput, where + ": " + what);
}

//! Keys of `object` that are not in `known`, as "a, b"; empty when none.
std::string unknownKeys(const json& object, std::initializer_list<const char*> known) {
  std::string out;
  for (const auto& [key, value] : object.items()) {
    (void)value;
    const bool ok = std::any_of(known.begin(), known.end(), [&key](const char* k) { return key == k; });
    if (!ok) { out += (out.empty() ? "" : ", ") + key; }
  }
  return out;
}

//! The body's parameters must be {{1}}..{{n}} with no gap, n the kind's count, and never at the
//! very start or end of the text (WhatsApp Manager refuses such bodies).
Result<void> checkBody(const std::string& where, const std::string& body, NoticeKind kind) {
  if (body.empty()) { return invalid(where, "empty"); }
  if (characters(body) > kMaxTemplateBodyChars) {
    return invalid(where, std::to_string(characters(body)) + " characters, Meta allows at most " +
                              std::to_string(kMaxTemplateBodyChars));
  }
  const auto numbers = templatePlaceholders(body);
  if (!numbers) { return invalid(where, "a placeholder is not of the form {{1}}, {{2}}, ..."); }
  const std::set<int> used(numbers->begin(), numbers->end());
  const int highest = used.empty() ? 0 : *used.rbegin();
  for (int n = 1; n <= highest; ++n) {
    if (used.count(n) == 0) {
      return invalid(where, "uses {{" + std::to_string(highest) + "}} but not {{" +
                                std::to_string(n) + "}} (parameters are numbered 1..n without gaps)");
    }
  }
  const auto& wanted = info(kind).parameters;
  if (used.size() != wanted.size()) {
    std::string names;
    for (const auto& p : wanted) { names += (names.empty() ? "" : ", ") + p; }
    return invalid(where, "uses " + std::to_string(used.size()) + " parameter(s); " +
                              toString(kind) + " takes " + std::to_string(wanted.size()) + " (" +
                              names + ")");
  }
  if (body.rfind("{{", 0) == 0 || (body.size() >= 2 && body.compare(body.size() - 2, 2, "}}") == 0)) {
    return invalid(where, "starts or ends with a parameter (WhatsApp Manager refuses that)");
  }
  return {};
}

Result<TemplateLanguage> parseLanguage(const std::string& where, const std::string& code,
                                       const json& j, NoticeKind kind) {
  if (!j.is_object()) { return invalid(where, "expected {\"body\", \"examples\", \"button\"}"); }
  if (auto extra = unknownKeys(j, {"body", "examples", "button"}); !extra.empty()) {
    return invalid(where, "unknown key(s) " + extra);
  }
  TemplateLanguage lang;
  lang.code = code;
  const auto body = j.find("body");
  if (body == j.end() || !body->is_string()) { return invalid(where + ".body", "missing (a string)"); }
  lang.body = body->get<std::string>();
  if (auto r = checkBody(where + ".body", lang.body, kind); !r) { return fail(r.error().code, r.error().detail); }
  const auto examples = j.find("examples");
  if (examples == j.end() || !examples->is_array()) {
    return invalid(where + ".examples", "missing (an array with one value per parameter)");
  }
  for (const auto& e : *examples) {
    if (!e.is_string() || e.get<std::string>().empty()) {
      return invalid(where + ".examples", "each example must be a non-empty string");
    }
    lang.examples.push_back(e.get<std::string>());
  }
  const std::size_t params = info(kind).parameters.size();
  if (lang.examples.size() != params) {
    return invalid(where + ".examples", std::to_string(lang.examples.size()) +
                                            " example(s) for " + std::to_string(params) +
                                            " parameter(s); give one per parameter");
  }
  const auto button = j.find("button");
  if (button == j.end() || !button->is_string() || button->get<std::string>().empty() ||
      characters(button->get<std::string>()) > kMaxQuickReplyChars) {
    return invalid(where + ".button", "the quick-reply label, 1..25 characters");
  }
  lang.button = button->get<std::string>();
  return lang;
}

Result<WhatsAppTemplate> parseTemplate(std::size_t index, const json& t) {
  std::string where = "[" + std::to_string(index) + "]";
  if (!t.is_object()) { return invalid(where, "expected an object"); }
  const auto kind_text = t.find("kind");
  if (kind_text == t.end() || !kind_text->is_string()) {
    return invalid(where + ".kind", "missing (one of ticket_status, staff_message, "
                                    "proposal_moderated, proposal_outcome, subscription_reminder, broadcast)");
  }
  const auto kind = noticeKindFromString(kind_text->get<std::string>());
  if (!kind) { return invalid(where + ".kind", "unknown kind '" + kind_text->get<std::string>() + "'"); }
  where += " " + kind_text->get<std::string>();
  if (auto extra = unknownKeys(t, {"kind", "name", "category", "languages"}); !extra.empty()) {
    return invalid(where, "unknown key(s) " + extra);
  }
  WhatsAppTemplate out;
  out.kind = *kind;
  const auto name = t.find("name");
  if (name == t.end() || !name->is_string() || !validName(name->get<std::string>())) {
    return invalid(where + ": name", "1..512 characters of a-z, 0-9 and _ (Meta's rule)");
  }
  out.name = name->get<std::string>();
  const auto category = t.find("category");
  if (category == t.end() || !category->is_string() ||
      (*category != "UTILITY" && *category != "MARKETING")) {
    return invalid(where + ": category", "UTILITY or MARKETING");
  }
  out.category = category->get<std::string>();
  const auto langs = t.find("languages");
  if (langs == t.end() || !langs->is_object() || !langs->contains("de")) {
    return invalid(where + ": languages", "expected {\"de\": {...}, \"en\": {...}} (de required)");
  }
  if (auto extra = unknownKeys(*langs, {"de", "en"}); !extra.empty()) {
    return invalid(where + ": languages", "unknown language(s) " + extra + " (de, en)");
  }
  for (const char* code : {"de", "en"}) {
    if (!langs->contains(code)) { continue; }
    auto lang = parseLanguage(where + ": " + code, code, (*langs)[code], out.kind);
    if (!lang) { return fail(lang.error().code, lang.error().detail); }
    out.languages.push_back(std::move(*lang));
  }
  return out;
}

}  // namespace

const char* toString(NoticeKind kind) { return info(kind).name; }

std::optional<NoticeKind> noticeKindFromString(std::string_view text) {
  for (const auto& k : kinds()) {
    if (text == k.name) { return k.kind; }
  }
  return std::nullopt;
}

std::vector<std::string> noticeParameters(NoticeKind kind) { return info(kind).parameters; }

const WhatsAppTemplate* TemplateCatalogue::find(NoticeKind kind) const {
  for (const auto& t : templates) {
    if (t.kind == kind) { return &t; }
  }
  return nullptr;
}

std::vector<NoticeKind> TemplateCatalogue::missingKinds() const {
  std::vector<NoticeKind> out;
  for (const auto kind : kNoticeKinds) {
    if (find(kind) == nullptr) { out.push_back(kind); }
  }
  return out;
}

std::optional<std::vector<int>> templatePlaceholders(std::string_view body) {
  std::vector<int> out;
  for (std::size_t at = body.find("{{"); at != std::string_view::npos; at = body.find("{{", at)) {
    std::size_t i = at + 2;
    int number = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9' && number < 1000) {
      number = number * 10 + (body[i] - '0');
      ++i;
    }
    if (i == at + 2 || number == 0 || body.substr(i, 2) != "}}") { return std::nullopt; }
    out.push_back(number);
    at = i + 2;
  }
  return out;
}

Result<TemplateCatalogue> parseTemplateCatalogue(const std::string& json_text) {
  const json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded()) {
    return fail(ErrorCode::InvalidInput,
                config::jsonSyntaxError(json_text).value_or("JSON syntax error"));
  }
  if (!root.is_array()) {
    return fail(ErrorCode::InvalidInput, "expected a JSON array of templates");
  }
  TemplateCatalogue out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < root.size(); ++i) {
    auto t = parseTemplate(i, root[i]);
    if (!t) { return fail(t.error().code, t.error().detail); }
    const std::string where = "[" + std::to_string(i) + "] " + toString(t->kind);
    if (out.find(t->kind) != nullptr) { return invalid(where, "a second template for this kind"); }
    if (!names.insert(t->name).second) { return invalid(where + ": name", "'" + t->name + "' is used twice"); }
    out.templates.push_back(std::move(*t));
  }
  return out;
}

Result<TemplateCatalogue> loadTemplateCatalogue(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) { return fail(ErrorCode::NotFound, path + ": cannot read the file"); }
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = parseTemplateCatalogue(ss.str());
  if (!parsed) { return fail(parsed.error().code, config::inFile(path, parsed.error().detail)); }
  return parsed;
}

std::vector<TemplateCheck> checkTemplates(const TemplateCatalogue& catalogue,
                                          const std::vector<AccountTemplate>& account) {
  std::vector<TemplateCheck> out;
  for (const auto& t : catalogue.templates) {
    for (const auto& lang : t.languages) {
      TemplateCheck check{t.kind, t.name, lang.code, "missing", t.category, ""};
      const auto found = std::find_if(account.begin(), account.end(), [&](const AccountTemplate& a) {
        return a.name == t.name && a.language == lang.code;
      });
      if (found != account.end()) {
        check.status = found->status.empty() ? "UNKNOWN" : found->status;
        if (found->category != t.category) { check.account_category = found->category; }
      }
      out.push_back(std::move(check));
    }
  }
  return out;
}

}  // namespace bb
