// `whatsapp templates --config FILE`: the template catalogue as the request bodies of Meta's
// POST /{waba-id}/message_templates (a JSON array on stdout, one per template and language).
// `whatsapp templates --check --config FILE`: the account's templates against the catalogue;
// exit 0 when every one is approved, 1 otherwise, 2 on usage or config errors.
// The access token goes only into the Authorization header and never into any output.

#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "app/commands/commands.hpp"
#include "bot/channels/whatsapp_templates.hpp"
#include "bot/ports.hpp"
#include "webhooks/whatsapp/templates.hpp"

namespace bb::app {
namespace {

namespace wa = webhooks::whatsapp;

//! Most pages read before giving up (100 templates a page: far beyond Meta's 6,000 limit).
constexpr int kMaxPages = 100;

bool hasFlag(const Args& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag) { return true; }
  }
  return false;
}

//! `text` with every occurrence of the token masked (Graph error texts are printed).
std::string scrub(std::string text, const std::string& token) {
  if (token.size() < 4) { return text; }
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), "****");
  }
  return text;
}

std::optional<TemplateCatalogue> loadCatalogueOrReport(const config::Config& config) {
  const std::string& file = config.whatsapp.templates_file;
  if (file.empty()) {
    std::cerr << "whatsapp templates: whatsapp.templates_file is not set "
                 "(BUERGERBOX_WHATSAPP_TEMPLATES_FILE); the shipped catalogue is "
                 "config/whatsapp_templates.json\n";
    return std::nullopt;
  }
  auto catalogue = loadTemplateCatalogue(file);
  if (!catalogue) {
    std::cerr << "whatsapp templates: " << catalogue.error().detail << "\n";
    return std::nullopt;
  }
  return std::move(*catalogue);
}

//! Every template of the account, page by page; nullopt after printing why not.
std::optional<std::vector<AccountTemplate>> readAccount(const config::WhatsAppConfig& w) {
  auto http = makeCurlHttpClient();
  const std::string first = wa::templateListUrl(w.api_base, w.business_account_id);
  std::vector<AccountTemplate> all;
  std::set<std::string> seen;
  std::optional<std::string> url = first;
  for (int page = 0; url && page < kMaxPages; ++page) {
    if (!seen.insert(*url).second) { break; }  // a page pointing back: stop, do not loop
    auto parsed = wa::parseTemplatePage(http->send(wa::templateListCall(*url, w.access_token)));
    if (!parsed) {
      std::cerr << "whatsapp templates --check: GET message_templates failed: "
                << scrub(parsed.error().detail, w.access_token) << "\n";
      return std::nullopt;
    }
    all.insert(all.end(), parsed->templates.begin(), parsed->templates.end());
    url = wa::nextTemplatePageUrl(*parsed, w.api_base, first);
  }
  return all;
}

std::string describe(const TemplateCheck& c) {
  std::string line = std::string(toString(c.kind)) + " " + c.name + " " + c.language + ": " + c.status;
  if (c.status == "missing") { line += " (not in the account: submit it, see docs/channels/whatsapp.md)"; }
  if (!c.account_category.empty()) {
    line += "; category " + c.account_category + " in the account, " + c.category +
            " in the catalogue";
  }
  return line;
}

int checkAccount(const config::Config& config, const TemplateCatalogue& catalogue) {
  const auto& w = config.whatsapp;
  if (w.business_account_id.empty() || w.access_token.empty()) {
    std::cerr << "whatsapp templates --check: whatsapp.business_account_id and "
                 "whatsapp.access_token are required (BUERGERBOX_WHATSAPP_BUSINESS_ACCOUNT_ID, "
                 "BUERGERBOX_WHATSAPP_ACCESS_TOKEN)\n";
    return 2;
  }
  const auto account = readAccount(w);
  if (!account) { return 1; }
  std::map<std::string, int> not_approved;
  std::size_t approved = 0;
  for (const auto& check : checkTemplates(catalogue, *account)) {
    std::cout << describe(check) << "\n";
    if (check.approved()) {
      ++approved;
    } else {
      ++not_approved[check.status];
    }
  }
  for (const auto kind : catalogue.missingKinds()) {
    std::cout << toString(kind) << ": no template in the catalogue\n";
    ++not_approved["no template"];
  }
  std::cout << "summary: " << approved << " approved";
  for (const auto& [status, count] : not_approved) { std::cout << ", " << count << " " << status; }
  std::cout << "\n";
  return not_approved.empty() ? 0 : 1;
}

}  // namespace

int runWhatsApp(const Args& args) {
  if (args.size() < 2 || args[1] != "templates" || argValue(args, "--config").empty()) {
    return kBadUsage;
  }
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  const auto catalogue = loadCatalogueOrReport(config);
  if (!catalogue) { return 2; }
  if (hasFlag(args, "--check")) { return checkAccount(config, *catalogue); }
  std::cout << wa::templateCreateBodies(*catalogue) << "\n";
  return 0;
}

}  // namespace bb::app
