#pragma once
// The Matrix channel module: its settings from the config.

#include "config/config.hpp"
#include "webhooks/matrix/matrix.hpp"

namespace bb::app {

webhooks::matrix::Settings matrixSettings(const config::Config& c);

}  // namespace bb::app
