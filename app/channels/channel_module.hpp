#pragma once
// A messenger channel as `serve` runs it: the channel's own parts (routes, sender, media fetcher,
// delivery limits, any threads of its own) and the outbox and media-job workers every channel
// shares. A channel's file only builds its own parts from the config; channelSpecs() lists the
// channels, so a new messenger is one entry there.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "bot/channels/matrix_transactions.hpp"
#include "bot/channels/telegram_offset.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/http/http.hpp"
#include "bot/log.hpp"
#include "bot/media/media_jobs.hpp"
#include "bot/media/media_store.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/outbox/outbox_worker.hpp"
#include "bot/ports.hpp"
#include "bot/runtime/metrics.hpp"
#include "config/config.hpp"

namespace bb::app {

//! What a channel's builder may use; all of it outlives the channel.
struct ChannelContext {
  const config::Config& config;
  Engine& engine;
  Store& store;
  const Clock& clock;
  MatrixTransactionLog& matrix_transactions;
  TelegramOffsetStore& telegram_offsets;

  //! Stores an inbound batch durably (Engine::ingest): what every channel's routes call.
  std::function<Result<IngestReport>(const std::vector<InboundEvent>&)> ingest() const;
  std::size_t maxBodyBytes() const;
};

//! What a channel's config allows its delivery workers.
struct DeliveryLimits {
  double rate_per_second = 1;
  int recipient_interval_ms = 1000;  //!< minimum gap between two sends to one recipient
  int max_tries = 8;
  int retry_base_ms = 5000;
  int concurrency = 1;  //!< sends in flight at once
  std::size_t max_image_bytes = 5 * 1024 * 1024;
};

//! What a channel owns besides sender and fetcher: threads of its own (Telegram: the callback
//! answerer and the poller) and the state its routes keep. They start after the delivery workers
//! and stop before them.
class ChannelExtras {
public:
  virtual ~ChannelExtras() = default;
  virtual void start() {}
  virtual void stop() {}
};

//! What a channel builds. Each member may refer to those declared before it (the HTTP client
//! first), so they are destroyed after everything that uses them.
struct ChannelParts {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<outbox::ChannelSender> sender;
  std::unique_ptr<media::MediaFetcher> fetcher;
  std::unique_ptr<ChannelExtras> extras;  //!< may be null
  std::vector<Route> routes;
  DeliveryLimits limits;
  //! What channel_enabled logs besides the channel's name: its mode and rate, secrets masked.
  std::vector<log::Field> log_fields;
};

//! What the instances sharing one database agree on for every channel's delivery.
struct SharedDelivery {
  outbox::SharedSendRate* rate = nullptr;  //!< null: this instance's own limiter alone
  std::chrono::milliseconds claim_lease{120000};  //!< OutboxOptions::claim_lease
};

//! One messenger channel: when it runs and how its parts are built.
struct ChannelSpec {
  Channel channel;
  const char* name;  //!< in logs
  bool (*enabled)(const config::Config& config);
  ChannelParts (*build)(const ChannelContext& context);
};

//! The messenger channels `serve` can run, in start order.
const std::vector<ChannelSpec>& channelSpecs();

//! A channel's parts and its delivery workers: the outbox worker sends through the channel's
//! sender within its limits, the media-job worker fetches through its fetcher.
class ChannelModule {
public:
  ChannelModule(const ChannelSpec& spec, ChannelParts parts, Engine& engine, Store& store,
                media::MediaStore& media_store, const Clock& clock, Metrics& metrics,
                const SharedDelivery& shared = {});
  ChannelModule(const ChannelModule&) = delete;
  ChannelModule& operator=(const ChannelModule&) = delete;

  const std::vector<Route>& routes() const { return parts_.routes; }
  //! Delivery workers first, then the channel's extras; logs channel_enabled.
  void start();
  //! The reverse of start().
  void stop();
  //! Replies were queued: the outbox worker sends now instead of at its next poll.
  void wake();

private:
  const char* name_;
  ChannelParts parts_;
  std::unique_ptr<outbox::OutboxWorker> outbox_;
  std::unique_ptr<media::MediaJobWorker> media_;
};

}  // namespace bb::app
