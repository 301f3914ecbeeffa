#include "app/channels/matrix.hpp"

namespace bb::app {

webhooks::matrix::Settings matrixSettings(const config::Config& c) {
  webhooks::matrix::Settings s;
  s.homeserver_url = c.matrix.homeserver_url;
  s.server_name = c.matrix.server_name;
  s.sender_localpart = c.matrix.sender_localpart;
  s.as_token = c.matrix.as_token;
  s.hs_token = c.matrix.hs_token;
  s.registration_id = c.matrix.registration_id;
  s.public_url = c.server.public_url;
  return s;
}

}  // namespace bb::app
