#pragma once
// What `check-config` finds in the loaded flow files beyond what loading them refuses: texts
// missing in a language, districts reaching outside the city limits, labels only in German.

#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"

namespace bb {

struct FlowDataFindings {
  std::vector<std::string> errors;    //!< the service would misbehave: fix before starting
  std::vector<std::string> warnings;  //!< works, but a citizen sees a fallback
};

//! How far (metres) a district's corner may lie outside the city limits and still count as on
//! them: the two files are usually drawn from different sources and share the outer edge.
inline constexpr double kBoundaryToleranceM = 25.0;

//! Checks texts (every key in every language), districts inside the boundary, category labels.
FlowDataFindings checkFlowData(const FlowData& data);

}  // namespace bb
