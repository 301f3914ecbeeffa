#pragma once

#include "app/commands/command.hpp"

namespace bb::app {

//! `serve --config FILE`: runs the service until SIGTERM or SIGINT, then exits 0.
int runServe(const Args& args);

}  // namespace bb::app
