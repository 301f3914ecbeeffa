#pragma once
// The conversation core of `serve`: the stores the engine works on, the media store, the board
// that wakes a channel's outbox, participation and the engine itself.

#include "bot/conversation/engine.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/media/media_store.hpp"
#include "bot/outbox/outbox_wake.hpp"
#include "bot/participation/participation.hpp"
#include "bot/ports.hpp"
#include "config/config.hpp"
#include "storage/stores.hpp"

namespace bb::app {

//! The engine's options from the config; erasure removes files from `media`, a commit with
//! replies wakes the channel's outbox through `wake`; with several instances the engine
//! processes only the conversations `ownership` gives this one (null: all).
EngineOptions engineOptions(const config::Config& c, media::MediaStore& media,
                            const outbox::WakeBoard& wake,
                            ConversationOwnership* ownership = nullptr);

//! Imports `path` (flows.gazetteer_file, CSV) when the database holds no gazetteer yet; an
//! empty path does nothing. A later `buergerbox gazetteer import` is never overwritten.
Result<void> seedGazetteer(geo::Gazetteer& gazetteer, const std::string& path);

//! Built, not started: Engine::start() is the caller's, once the demo data is in place.
struct Core {
  Core(const config::Config& config, storage::Stores& stores, const FlowData& flows,
       const EngineKeys& keys, const Clock& clock, Random& random);

  Store& store;
  media::MediaStore media;
  //! Replies leave at once: each started channel registers its outbox worker here.
  outbox::WakeBoard wake;
  ProposalStore& proposals;
  Participation participation;  //!< declared before the engine, which uses it until it stops
  SubscriptionStore& subscriptions;
  geo::Gazetteer& gazetteer;  //!< typed addresses and the nearest address of a pin
  Engine engine;
  //! What the Matrix and Telegram adapters keep between requests.
  MatrixTransactionLog& matrix_transactions;
  TelegramOffsetStore& telegram_offsets;
};

}  // namespace bb::app
