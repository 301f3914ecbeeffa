#pragma once
// What the edge needs of the engine: store a batch of normalized events durably. The webhook
// adapters see only this, not the engine that processes the events later.

#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

struct IngestReport {
  int accepted = 0;
  int duplicates = 0;
};

//! Stores a batch durably (deduplicated by channel and external id) and returns only after the
//! commit, so the caller may then acknowledge the request. The Engine implements it.
class Ingest {
public:
  virtual ~Ingest() = default;
  virtual Result<IngestReport> ingest(const std::vector<InboundEvent>& events) = 0;
};

}  // namespace bb
