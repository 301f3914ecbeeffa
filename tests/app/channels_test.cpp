// The channel modules of app/: every messenger is one entry of channelSpecs(), built from its
// own config section by the same code.

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "app/channels/channel_module.hpp"
#include "app/serve/core.hpp"
#include "storage/stores.hpp"
#include "support/engine_harness.hpp"
#include "app/app_fixture.hpp"

namespace {

//! A core (not started) over a fresh database: what a channel's builder gets.
struct ChannelFixture {
  bb::test::TempDir dir;
  bb::config::Config config = bb::test::appConfig(dir.path());
  bb::test::FakeClock clock;
  bb::test::FakeRandom random;
  bb::FlowData flows = bb::test::loadShippedFlowData();
  std::unique_ptr<bb::storage::Stores> stores;
  std::unique_ptr<bb::app::Core> core;

  ChannelFixture() {
    config.whatsapp.access_token = "wa-access-token-0001";
    config.whatsapp.send_concurrency = 7;
    config.telegram.bot_token = "123456:telegram-token-0002";
    config.telegram.per_chat_interval_ms = 1234;
    config.telegram.max_tries = 3;
    config.matrix.as_token = "matrix-as-token-0003";
    config.matrix.hs_token = "matrix-hs-token-0004";
    config.matrix.rate_per_second = 9;
  }
  ~ChannelFixture() {
    core.reset();
    if (stores) { stores->close(); }
  }
  bb::app::ChannelContext context() {
    if (!stores) {
      auto opened = bb::storage::openStores(config, clock);
      REQUIRE(opened.has_value());
      stores = std::move(*opened);
      auto keys = bb::engineKeys(config.privacy.pseudonym_key, config.privacy.encryption_key);
      REQUIRE(keys.has_value());
      core = std::make_unique<bb::app::Core>(config, *stores, flows, *keys, clock, random);
    }
    return {config, core->engine, core->store, clock, core->matrix_transactions,
            core->telegram_offsets};
  }
  const bb::app::ChannelSpec& spec(bb::Channel channel) {
    const auto& specs = bb::app::channelSpecs();
    auto it = std::find_if(specs.begin(), specs.end(),
                           [channel](const auto& s) { return s.channel == channel; });
    REQUIRE(it != specs.end());
    return *it;
  }
};

std::set<std::string> routeNames(const bb::app::ChannelParts& parts) {
  std::set<std::string> out;
  for (const auto& r : parts.routes) { out.insert(r.method + " " + r.name); }
  return out;
}

}  // namespace

TEST_CASE("app: the channel list names WhatsApp, Telegram and Matrix once each, in start order") {
  const auto& specs = bb::app::channelSpecs();
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].channel == bb::Channel::WhatsApp);
  CHECK(specs[1].channel == bb::Channel::Telegram);
  CHECK(specs[2].channel == bb::Channel::Matrix);
  CHECK(std::string(specs[0].name) == "whatsapp");
  CHECK(std::string(specs[1].name) == "telegram");
  CHECK(std::string(specs[2].name) == "matrix");
}

TEST_CASE("app: a channel runs when its own section is enabled") {
  ChannelFixture f;
  for (const auto& spec : bb::app::channelSpecs()) { CHECK_FALSE(spec.enabled(f.config)); }
  f.config.telegram.enabled = true;
  CHECK_FALSE(f.spec(bb::Channel::WhatsApp).enabled(f.config));
  CHECK(f.spec(bb::Channel::Telegram).enabled(f.config));
  CHECK_FALSE(f.spec(bb::Channel::Matrix).enabled(f.config));
}

TEST_CASE("app: the WhatsApp module has its routes, sender, fetcher and limits from its section") {
  ChannelFixture f;
  const auto parts = f.spec(bb::Channel::WhatsApp).build(f.context());
  CHECK(parts.http != nullptr);
  CHECK(parts.sender != nullptr);
  CHECK(parts.fetcher != nullptr);
  CHECK(parts.extras == nullptr);
  CHECK(routeNames(parts) == std::set<std::string>{"GET whatsapp_verify", "POST whatsapp_webhook"});
  CHECK(parts.limits.rate_per_second == doctest::Approx(f.config.whatsapp.rate_per_second));
  CHECK(parts.limits.recipient_interval_ms == f.config.whatsapp.recipient_interval_ms);
  CHECK(parts.limits.concurrency == 7);
  CHECK(parts.limits.max_image_bytes == 5u * 1024 * 1024);
}

TEST_CASE("app: the Telegram module takes the webhook route or the poller, by mode") {
  ChannelFixture f;
  SUBCASE("webhook") {
    const auto parts = f.spec(bb::Channel::Telegram).build(f.context());
    CHECK(routeNames(parts) == std::set<std::string>{"POST telegram_webhook"});
    CHECK(parts.extras != nullptr);  // the callback answerer
    CHECK(parts.limits.recipient_interval_ms == 1234);
    CHECK(parts.limits.max_tries == 3);
    CHECK(parts.limits.concurrency == 1);
    CHECK(parts.limits.max_image_bytes == 20u * 1024 * 1024);
  }
  SUBCASE("polling") {
    f.config.telegram.mode = "polling";
    const auto parts = f.spec(bb::Channel::Telegram).build(f.context());
    CHECK(parts.routes.empty());
    CHECK(parts.extras != nullptr);  // the answerer and the poller
  }
}

TEST_CASE("app: the Matrix module has the application-service routes and its limits") {
  ChannelFixture f;
  const auto parts = f.spec(bb::Channel::Matrix).build(f.context());
  CHECK(parts.sender != nullptr);
  CHECK(parts.fetcher != nullptr);
  const auto names = routeNames(parts);
  CHECK(names.count("PUT matrix_transaction") == 1);
  CHECK(names.count("PUT matrix_transaction_legacy") == 1);
  CHECK(parts.limits.rate_per_second == doctest::Approx(9));
  CHECK(parts.limits.max_image_bytes == 10u * 1024 * 1024);
}

TEST_CASE("app: a started channel module logs channel_enabled with its secrets masked, and stops") {
  ChannelFixture f;
  f.config.telegram.mode = "polling";
  f.config.telegram.poll_timeout_s = 0;
  f.config.telegram.api_base = "http://127.0.0.1:9";  // nothing listens: each poll fails at once
  f.config.matrix.homeserver_url = "http://127.0.0.1:9";
  const std::map<bb::Channel, std::string> expected = {
      {bb::Channel::WhatsApp,
       "event=channel_enabled channel=whatsapp rate_per_second=80 access_token=****0001"},
      {bb::Channel::Telegram,
       "event=channel_enabled channel=telegram mode=polling rate_per_second=30 bot_token=****0002"},
      {bb::Channel::Matrix, "event=channel_enabled channel=matrix rate_per_second=9 "
                            "as_token=****0003 hs_token=****0004"}};
  bb::Metrics metrics;
  for (const auto& spec : bb::app::channelSpecs()) {
    CAPTURE(std::string(spec.name));
    bb::test::LogCapture log;
    const auto context = f.context();  // creates the core before it is read below
    bb::app::ChannelModule module(spec, spec.build(context), f.core->engine, f.core->store,
                                  f.core->media, f.clock, metrics);
    module.start();
    module.wake();
    module.stop();
    const std::string text = log.text();
    CHECK(text.find(expected.at(spec.channel)) != std::string::npos);
    for (const char* secret : {"wa-access-token-0001", "123456:telegram-token-0002",
                               "matrix-as-token-0003", "matrix-hs-token-0004"}) {
      CHECK(text.find(secret) == std::string::npos);
    }
  }
}
