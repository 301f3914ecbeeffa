#include "app/serve/pages.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "app/demo/demo_data.hpp"
#include "bot/security/crypto.hpp"

namespace bb::app {
namespace {

//! server.asset_dir, else <prefix>/share/buergerbox/web beside <prefix>/bin/buergerbox (an
//! install, wherever its prefix is), else the source tree's web/static (a build folder).
std::string webAssetDir(const config::Config& c) {
  if (!c.server.asset_dir.empty()) { return c.server.asset_dir; }
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "buergerbox" / "web";
    if (std::filesystem::exists(installed / "chat.html", ec)) { return installed.string(); }
  }
  return BB_WEB_ASSET_DIR;
}

bool servedOverHttps(const config::Config& c) {
  return c.server.public_url.rfind("https://", 0) == 0;
}

void append(std::vector<Route>& to, const std::vector<Route>& routes) {
  to.insert(to.end(), routes.begin(), routes.end());
}

}  // namespace

web::WebChatOptions webChatOptions(const config::Config& c, const std::string& key_material) {
  web::WebChatOptions o;
  o.asset_dir = webAssetDir(c);
  o.max_message_chars = c.webchat.max_message_chars;
  o.max_upload_bytes = static_cast<std::size_t>(c.webchat.max_upload_bytes);
  o.messages_per_minute = c.webchat.messages_per_minute;
  o.secure_cookies = servedOverHttps(c);
  o.csrf_key = crypto::hmacSha256(key_material, "webchat-csrf");
  // Each waiting long poll holds a server thread: at most a quarter of them.
  o.max_waiting_polls = std::max(1, c.server.threads / 4);
  return o;
}

web::InboxOptions inboxOptions(const config::Config& c, const std::string& key_material) {
  web::InboxOptions o;
  o.asset_dir = webAssetDir(c);
  o.secure_cookies = servedOverHttps(c);
  o.login_key = crypto::hmacSha256(key_material, "inbox-login-csrf");
  // Validated when the config was loaded (config/config.cpp).
  o.trusted_proxies = config::parseCidrList(c.server.trusted_proxies).value_or(
      std::vector<config::Cidr>{});
  std::vector<std::pair<std::string, std::string>> names;
  if (config::parseDepartmentNames(c.flows.department_names, names)) {
    o.department_names.insert(names.begin(), names.end());
  }
  o.digest_hour = c.smtp.url.empty() ? -1 : c.smtp.digest_hour;
  o.tile_url = c.inbox.tile_url;
  o.tile_attribution = c.inbox.tile_attribution;
  return o;
}

web::PublicParticipationOptions publicParticipationOptions(const config::Config& c) {
  web::PublicParticipationOptions o;
  o.public_url = c.server.public_url;
  return o;
}

std::unique_ptr<web::WebChat> makeWebChat(const config::Config& c, Core& core, const Clock& clock,
                                          Random& random, const std::string& key_material) {
  if (!c.webchat.enabled) { return nullptr; }
  return std::make_unique<web::WebChat>(core.engine, core.store, core.media, clock, random,
                                        webChatOptions(c, key_material));
}

StaffPages::StaffPages(const config::Config& config, storage::Stores& stores, Core& core,
                       const Clock& clock, const std::string& key_material)
    : inbox_store(stores.inbox()),
      inbox(core.engine, core.store, inbox_store, core.media, clock,
            inboxOptions(config, key_material)),
      moderation(inbox.desk(), core.participation, core.media),
      case_store(stores.cases()),
      deliveries(inbox.desk(), case_store),
      participation_page(core.participation, clock, publicParticipationOptions(config), &core.media) {
  if (config.demo) {
    seedDemoAdmin(inbox_store, inbox.departments(), config.server.public_url, clock);
  }
}

std::vector<Route> StaffPages::routes() {
  std::vector<Route> out = inbox.routes();
  append(out, moderation.routes());
  append(out, deliveries.routes());
  append(out, participation_page.routes());
  return out;
}

}  // namespace bb::app
