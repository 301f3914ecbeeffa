#include "app/demo/demo_keys.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bot/security/crypto.hpp"
#include "bot/log.hpp"

namespace bb::app {

Result<void> ensureDemoKeys(config::Config& config) {
  auto& privacy = config.privacy;
  if (!privacy.pseudonym_key.empty() && !privacy.encryption_key.empty()) { return {}; }
  namespace fs = std::filesystem;
  fs::path dir = fs::path(config.storage.path).parent_path();
  if (dir.empty()) { dir = "."; }
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path file = dir / "demo-keys.json";

  nlohmann::json keys = nlohmann::json::object();
  if (std::ifstream in(file); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    keys = nlohmann::json::parse(ss.str(), nullptr, false);
    if (keys.is_discarded() || !keys.is_object()) {
      return fail(ErrorCode::InvalidInput, file.string() + " is not valid JSON");
    }
  }
  bool changed = false;
  for (const char* name : {"pseudonym_key", "encryption_key"}) {
    if (!keys.contains(name) || !keys[name].is_string() || keys[name].get<std::string>().size() != 64) {
      keys[name] = crypto::randomHex(32);
      changed = true;
    }
  }
  if (changed) {
    const std::string text = keys.dump(2) + "\n";
    const std::string tmp = file.string() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { return fail(ErrorCode::Unavailable, "cannot write " + file.string()); }
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
      return fail(ErrorCode::Unavailable, "cannot write " + file.string());
    }
    log::warn("demo_keys_generated", {{"file", file.string()}});
  }
  if (privacy.pseudonym_key.empty()) { privacy.pseudonym_key = keys["pseudonym_key"]; }
  if (privacy.encryption_key.empty()) { privacy.encryption_key = keys["encryption_key"]; }
  return {};
}

}  // namespace bb::app
