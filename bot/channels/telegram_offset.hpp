#pragma once
// Where the Telegram poller resumes: the getUpdates offset (last update_id + 1), kept durably so a
// restart does not fetch what is stored already. storage/ implements it; webhooks/telegram uses
// it.

#include <cstdint>

#include "bot/result.hpp"

namespace bb {

class TelegramOffsetStore {
public:
  virtual ~TelegramOffsetStore() = default;
  //! The saved offset; 0 when none was saved yet.
  virtual Result<std::int64_t> load() = 0;
  virtual Result<void> save(std::int64_t offset) = 0;
};

}  // namespace bb
