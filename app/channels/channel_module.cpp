#include "app/channels/channel_module.hpp"

#include <chrono>

#include "app/channels/channels.hpp"

namespace bb::app {
namespace {

outbox::OutboxOptions outboxOptions(Channel channel, const DeliveryLimits& limits,
                                    const Engine& engine, const SharedDelivery& shared) {
  outbox::OutboxOptions o;
  o.channel = channel;
  o.shared_rate = shared.rate;
  o.claim_lease = shared.claim_lease;
  o.provider_id_hash = [&engine, channel](const std::string& id) {
    return engine.providerIdHash(channel, id);
  };
  o.rate_per_second = limits.rate_per_second;
  o.recipient_interval = std::chrono::milliseconds(limits.recipient_interval_ms);
  o.max_tries = limits.max_tries;
  o.retry_base = std::chrono::milliseconds(limits.retry_base_ms);
  o.idle_poll = std::chrono::milliseconds(100);
  o.concurrency = limits.concurrency;
  return o;
}

media::MediaJobOptions mediaJobOptions(Channel channel, const DeliveryLimits& limits) {
  media::MediaJobOptions m;
  m.channel = channel;
  m.clean.max_input_bytes = limits.max_image_bytes;
  m.retry_base = std::chrono::milliseconds(limits.retry_base_ms);
  m.idle_poll = std::chrono::milliseconds(200);
  return m;
}

}  // namespace

std::function<Result<IngestReport>(const std::vector<InboundEvent>&)> ChannelContext::ingest()
    const {
  return [&engine = engine](const std::vector<InboundEvent>& events) {
    return engine.ingest(events);
  };
}

std::size_t ChannelContext::maxBodyBytes() const {
  return static_cast<std::size_t>(config.server.max_body_bytes);
}

const std::vector<ChannelSpec>& channelSpecs() {
  static const std::vector<ChannelSpec> kChannels = {whatsAppChannel(), telegramChannel(),
                                                     matrixChannel()};
  return kChannels;
}

ChannelModule::ChannelModule(const ChannelSpec& spec, ChannelParts parts, Engine& engine,
                             Store& store, media::MediaStore& media_store, const Clock& clock,
                             Metrics& metrics, const SharedDelivery& shared)
    : name_(spec.name), parts_(std::move(parts)) {
  outbox_ = std::make_unique<outbox::OutboxWorker>(
      store, *parts_.sender,
      [&engine](const std::string& ct, const std::string& key_id) {
        return engine.openAddress(ct, key_id);
      },
      clock, outboxOptions(spec.channel, parts_.limits, engine, shared),
      &metrics);
  media_ = std::make_unique<media::MediaJobWorker>(
      store, *parts_.fetcher, media_store,
      [&engine](const media::MediaOutcome& o) {
        return engine.ingestMediaOutcome(o.pseudonym, o.id, o.ready, o.content_id, o.mime_type,
                                         o.reason);
      },
      clock, mediaJobOptions(spec.channel, parts_.limits), &metrics);
}

void ChannelModule::start() {
  outbox_->start();
  media_->start();
  if (parts_.extras) { parts_.extras->start(); }
  std::vector<log::Field> fields = {{"channel", name_}};
  fields.insert(fields.end(), parts_.log_fields.begin(), parts_.log_fields.end());
  log::info("channel_enabled", fields);
}

void ChannelModule::stop() {
  if (parts_.extras) { parts_.extras->stop(); }
  media_->stop();
  outbox_->stop();
}

void ChannelModule::wake() { outbox_->wake(); }

}  // namespace bb::app
