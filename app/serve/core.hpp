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
#include "storage/database.hpp"
#include "storage/sqlite_channel_state.hpp"
#include "storage/sqlite_gazetteer.hpp"
#include "storage/sqlite_proposal_store.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_subscription_store.hpp"

namespace bb::app {

//! The engine's options from the config; erasure removes files from `media`, a commit with
//! replies wakes the channel's outbox through `wake`.
EngineOptions engineOptions(const config::Config& c, media::MediaStore& media,
                            const outbox::WakeBoard& wake);

//! Imports `path` (flows.gazetteer_file, CSV) when the database holds no gazetteer yet; an
//! empty path does nothing. A later `buergerbox gazetteer import` is never overwritten.
Result<void> seedGazetteer(geo::Gazetteer& gazetteer, const std::string& path);

//! Built, not started: Engine::start() is the caller's, once the demo data is in place.
struct Core {
  Core(const config::Config& config, storage::Database& db, const FlowData& flows,
       const EngineKeys& keys, const Clock& clock, Random& random);

  storage::SqliteStore store;
  media::MediaStore media;
  //! Replies leave at once: each started channel registers its outbox worker here.
  outbox::WakeBoard wake;
  storage::SqliteProposalStore proposals;
  Participation participation;  //!< declared before the engine, which uses it until it stops
  storage::SqliteSubscriptionStore subscriptions;
  storage::SqliteGazetteer gazetteer;  //!< typed addresses and the nearest address of a pin
  Engine engine;
  //! What the Matrix and Telegram adapters keep between requests.
  storage::SqliteMatrixTransactionLog matrix_transactions;
  storage::SqliteTelegramOffsetStore telegram_offsets;
};

}  // namespace bb::app
