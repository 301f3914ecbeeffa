#include <iostream>

#include "app/channels/channels.hpp"
#include "app/commands/commands.hpp"

namespace bb::app {

int runMatrix(const Args& args) {
  if (args.size() < 2 || args[1] != "registration") { return kBadUsage; }
  config::Config config;
  if (!loadConfigOrReport(args, config, false)) { return 2; }
  if (config.matrix.as_token.empty() || config.matrix.hs_token.empty() ||
      config.matrix.server_name.empty()) {
    std::cerr << "matrix registration: matrix.as_token, matrix.hs_token and matrix.server_name "
                 "are required (BUERGERBOX_MATRIX_AS_TOKEN, ..._HS_TOKEN, ..._SERVER_NAME)\n";
    return 2;
  }
  std::cout << webhooks::matrix::registrationYaml(matrixSettings(config));
  return 0;
}

}  // namespace bb::app
