#include "app/serve/core.hpp"

#include "bot/geo/import.hpp"
#include "bot/log.hpp"

namespace bb::app {

EngineOptions engineOptions(const config::Config& c, media::MediaStore& media,
                            const outbox::WakeBoard& wake, ConversationOwnership* ownership) {
  EngineOptions o;
  o.ownership = ownership;
  o.workers = c.flows.workers;
  o.sender_messages_per_minute = c.flows.sender_messages_per_minute;
  o.commit_max_tries = c.flows.commit_max_tries;
  o.public_url = c.server.public_url;
  o.remove_media = [&media](const std::string& content_id) { (void)media.remove(content_id); };
  o.outbox_queued = [&wake](Channel channel) { wake.notify(channel); };
  return o;
}

Result<void> seedGazetteer(geo::Gazetteer& gazetteer, const std::string& path) {
  if (path.empty()) { return {}; }
  auto info = gazetteer.info();
  if (!info) { return fail(info.error().code, info.error().detail); }
  if (*info) { return {}; }
  auto data = geo::readGazetteerFile(path, geo::formatOfFile(path));
  if (!data) { return fail(data.error().code, "flows.gazetteer_file: " + data.error().detail); }
  if (auto replaced = gazetteer.replace(*data); !replaced) { return replaced; }
  log::info("gazetteer_imported", {{"addresses", std::to_string(data->addresses.size())},
                                   {"places", std::to_string(data->places.size())}});
  return {};
}

Core::Core(const config::Config& config, storage::Stores& stores, const FlowData& flows,
           const EngineKeys& keys, const Clock& clock, Random& random)
    : store(stores.conversations()),
      media(config.storage.media_dir),
      proposals(stores.proposals()),
      participation(proposals, clock, flows),
      subscriptions(stores.subscriptions()),
      gazetteer(stores.gazetteer()),
      engine(store, clock, random, flows, keys,
             engineOptions(config, media, wake, stores.ownership())),
      matrix_transactions(stores.matrixTransactions()),
      telegram_offsets(stores.telegramOffsets()) {
  engine.setParticipation(&participation);
  engine.setSubscriptions(&subscriptions);
  engine.setGazetteer(&gazetteer);
}

}  // namespace bb::app
