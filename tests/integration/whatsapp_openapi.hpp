#pragma once
// Meta's OpenAPI description of `POST /{phone-number-id}/messages` (tests/fixtures/whatsapp,
// see SOURCES.md) with the location-request addition, for the integration tests that check
// every body the real server sends to the Graph API.

#include <nlohmann/json.hpp>

#include <string>

#include "tests/support/openapi_validator.hpp"

namespace bb::test {

inline const nlohmann::json& whatsappSendSchemas() {
  namespace openapi = bb::tests::openapi;
  static const nlohmann::json doc = [] {
    const std::string dir = std::string(BB_FIXTURE_DIR) + "/whatsapp/";
    nlohmann::json d = openapi::loadJsonFile(dir + "openapi_send_message_v23.json");
    const nlohmann::json addition =
        openapi::loadJsonFile(dir + "openapi_location_request_addition.json");
    nlohmann::json& s = d["components"]["schemas"];
    s["InteractiveObject"]["properties"]["type"]["enum"].push_back(addition["interactive_type"]);
    s["ActionObject"]["oneOf"].push_back(addition["action_branch"]);
    return d;
  }();
  return doc;
}

}  // namespace bb::test
