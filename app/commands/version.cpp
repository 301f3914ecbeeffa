#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/version.hpp"

namespace bb::app {

int runVersion(const Args&) {
  std::cout << "buergerbox " << kVersion << "\n";
  return 0;
}

}  // namespace bb::app
