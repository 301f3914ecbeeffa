#include "app/serve/core.hpp"

namespace bb::app {

EngineOptions engineOptions(const config::Config& c, media::MediaStore& media,
                            const outbox::WakeBoard& wake) {
  EngineOptions o;
  o.workers = c.flows.workers;
  o.sender_messages_per_minute = c.flows.sender_messages_per_minute;
  o.public_url = c.server.public_url;
  o.remove_media = [&media](const std::string& content_id) { (void)media.remove(content_id); };
  o.outbox_queued = [&wake](Channel channel) { wake.notify(channel); };
  return o;
}

Core::Core(const config::Config& config, storage::Database& db, const FlowData& flows,
           const EngineKeys& keys, const Clock& clock, Random& random)
    : store(db),
      media(config.storage.media_dir),
      proposals(db),
      participation(proposals, clock, flows),
      subscriptions(db),
      engine(store, clock, random, flows, keys, engineOptions(config, media, wake)),
      matrix_transactions(db, clock),
      telegram_offsets(db) {
  store.setPublicGridMeters(config.open311.public_grid_m);
  engine.setParticipation(&participation);
  engine.setSubscriptions(&subscriptions);
}

}  // namespace bb::app
