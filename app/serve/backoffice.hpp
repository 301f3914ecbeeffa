#pragma once
// The back office: the case queue, Open311 GeoReport v2 and /api/v1 (open311.enabled), and the
// signed push to the city's systems (backoffice.url or department_urls).

#include <memory>
#include <vector>

#include "bot/cases/case_service.hpp"
#include "bot/cases/forwarder.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/runtime/metrics.hpp"
#include "config/config.hpp"
#include "web/backoffice/api_v1.hpp"
#include "web/open311/open311.hpp"

namespace bb::app {

web::Open311Options open311Options(const config::Config& c);
//! Signs photo links (server.public_url, backoffice.secret; valid 7 days).
std::shared_ptr<const PhotoUrlSigner> photoLinks(const config::Config& c);
//! The push targets; none when neither backoffice.url nor department_urls is set.
ForwarderOptions forwarderOptions(const config::Config& c);

//! Built, not started: start() starts the push, which runs while `leadership` leads (one
//! instance pushes, however many share the database).
struct BackOffice {
  BackOffice(const config::Config& config, CaseStore& cases, Engine& engine, Store& store,
             const media::MediaStore& media, const Clock& clock, Random& random,
             Metrics& metrics);
  std::vector<Route> routes();
  void start(Leadership& leadership);
  void stop();

  ForwarderOptions push;
  CaseStore& cases;
  std::unique_ptr<CaseService> service;
  std::unique_ptr<web::Open311Api> open311;  //!< null unless open311.enabled
  std::unique_ptr<web::BackofficeApi> api;   //!< null unless open311.enabled
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<CaseForwarder> forwarder;  //!< null without a push target
};

}  // namespace bb::app
