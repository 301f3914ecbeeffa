#include <iostream>

#include "app/commands/commands.hpp"

namespace bb::app {

int runCheckConfig(const Args& args) {
  const auto path = argValue(args, "--config");
  auto loaded = config::loadConfig(path, config::processEnv(), config::diskFiles());
  const auto zone = loadLocalZone();
  if (!zone) { std::cerr << "time zone error: " << zone.error().detail << "\n"; }
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) { std::cerr << "config error: " << e << "\n"; }
    std::cerr << loaded.errors.size() << " error(s) in " << path << "\n";
    return 2;
  }
  if (!zone) { return 2; }
  std::cout << "config ok: " << path << "\n";
  return 0;
}

}  // namespace bb::app
