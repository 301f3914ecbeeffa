// libFuzzer target: the config loader (JSON text, environment overrides and *_file secrets are
// injected: the environment is empty and no file can be read).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bb::config::EnvReader env = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  const bb::config::FileReader files = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  auto result = bb::config::parseConfig(text, env, files);
  (void)result;
  return 0;
}
