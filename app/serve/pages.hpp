#pragma once
// What people use in a browser: the citizen web chat, the staff inbox with the participation
// moderation, and the public participation page.

#include <memory>
#include <string>
#include <vector>

#include "app/serve/core.hpp"
#include "bot/http/http.hpp"
#include "config/config.hpp"
#include "storage/stores.hpp"
#include "web/data_export_page.hpp"
#include "web/inbox/deliveries_page.hpp"
#include "web/inbox/inbox.hpp"
#include "web/inbox/participation_moderation.hpp"
#include "web/participation/public_page.hpp"
#include "web/webchat.hpp"

namespace bb::app {

//! `key_material` (the pseudonym key) derives the CSRF key, so tokens survive a restart.
web::WebChatOptions webChatOptions(const config::Config& c, const std::string& key_material);
web::InboxOptions inboxOptions(const config::Config& c, const std::string& key_material);
web::PublicParticipationOptions publicParticipationOptions(const config::Config& c);

//! The web chat (webchat.enabled), else null.
std::unique_ptr<web::WebChat> makeWebChat(const config::Config& c, Core& core, const Clock& clock,
                                          Random& random,
                                          const std::string& key_material);

//! The page behind the links "meine daten" sends on every channel, so it is served whether or
//! not the web chat is on.
struct DataExportPages {
  DataExportPages(DataExportStore& store, const Clock& clock) : page(store, clock) {}

  web::DataExportPage page;
};

//! The staff inbox (in demo mode with a first admin), its participation moderation, and the
//! public participation page.
struct StaffPages {
  StaffPages(const config::Config& config, storage::Stores& stores, Core& core,
             const Clock& clock, const std::string& key_material);
  std::vector<Route> routes();

  InboxStore& inbox_store;
  web::Inbox inbox;
  web::ParticipationModeration moderation;
  CaseStore& case_store;
  web::DeliveriesPage deliveries;
  web::PublicParticipation participation_page;
};

}  // namespace bb::app
