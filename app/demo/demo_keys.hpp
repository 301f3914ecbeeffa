#pragma once
// Demo mode: the README's first command must run with no secrets set. Missing privacy keys are
// generated once into `<storage folder>/demo-keys.json` (mode 0600) and reused on every start.

#include "bot/result.hpp"
#include "config/config.hpp"

namespace bb::app {

Result<void> ensureDemoKeys(config::Config& config);

}  // namespace bb::app
