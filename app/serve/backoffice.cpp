#include "app/serve/backoffice.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "bot/log.hpp"

namespace bb::app {
namespace {

bool pushConfigured(const ForwarderOptions& f) {
  return !f.url.empty() || !f.department_urls.empty();
}

}  // namespace

web::Open311Options open311Options(const config::Config& c) {
  web::Open311Options o;
  o.public_grid_m = c.open311.public_grid_m;
  o.jurisdiction_id = c.open311.jurisdiction_id;
  o.base_url = c.server.public_url;
  o.contact = c.open311.contact;
  return o;
}

// A crew may open a push days later (backoffice.photo_link_hours, default 7 days); a fresh link
// is one GET /api/v1/tickets/{n} away.
std::shared_ptr<const PhotoUrlSigner> photoLinks(const config::Config& c) {
  return std::make_shared<const PhotoUrlSigner>(c.server.public_url, c.backoffice.secret,
                                                std::chrono::hours(c.backoffice.photo_link_hours));
}

ForwarderOptions forwarderOptions(const config::Config& c) {
  ForwarderOptions f;
  f.url = c.backoffice.url;
  std::vector<std::pair<std::string, std::string>> urls;
  config::parseDepartmentUrls(c.backoffice.department_urls, urls);
  for (const auto& [dept, url] : urls) { f.department_urls[dept] = url; }
  f.secret = c.backoffice.secret;
  // An entry is given up by its age (backoffice.give_up_after_hours, default 24), not by a count
  // of tries: ten tries with a 2 s base ended within the first hour of an outage.
  // backoffice.max_tries is still read so existing configs load; it no longer ends an entry.
  f.max_tries = 0;
  f.retry_base = std::chrono::milliseconds(c.backoffice.retry_base_ms);
  f.retry_max = std::chrono::milliseconds(c.backoffice.retry_max_ms);
  f.give_up_after = std::chrono::hours(c.backoffice.give_up_after_hours);
  f.photo_links = photoLinks(c);
  return f;
}

BackOffice::BackOffice(const config::Config& config, CaseStore& case_store, Engine& engine,
                       Store& store, const media::MediaStore& media, const Clock& clock,
                       Random& random, Metrics& metrics)
    : cases(case_store) {
  service = std::make_unique<CaseService>(engine, store, cases, clock, random);
  registerCaseQueueMetrics(metrics, cases);
  push = forwarderOptions(config);
  if (config.open311.enabled) {
    open311 = std::make_unique<web::Open311Api>(*service, clock, open311Options(config));
    open311->setPlaceNamer([&engine](double lat, double lon) {
      return engine.describePlace(lat, lon, flows::Lang::De);
    });
    web::BackofficeApiOptions api_options;
    api_options.photo_links = push.photo_links;  // one key: links in pushes work in the API
    api_options.media = &media;
    api_options.public_grid_m = config.open311.public_grid_m;
    api = std::make_unique<web::BackofficeApi>(*service, api_options);
  }
  if (!pushConfigured(push)) { return; }
  registerUnroutedMetric(metrics, cases, push);
  http = makeCurlHttpClient();
  forwarder = std::make_unique<CaseForwarder>(cases, *http, clock, push, &metrics);
}

std::vector<Route> BackOffice::routes() {
  std::vector<Route> out;
  if (open311) { out = open311->routes(); }
  if (api) {
    const auto more = api->routes();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

void BackOffice::start(Leadership& leadership) {
  if (!forwarder) { return; }
  forwarder->runOnlyWhileLeading(leadership);
  forwarder->start();
  log::info("backoffice_push_enabled",
            {{"departments", std::to_string(push.department_urls.size())},
             {"secret", config::maskSecret(push.secret)}});
}

void BackOffice::stop() {
  if (forwarder) { forwarder->stop(); }
}

}  // namespace bb::app
