#pragma once
// Printers for assertions on types without operator<< (doctest then shows "{?}"). Enums with
// bb::toString() print through DOCTEST_CONFIG_DOUBLE_STRINGIFY (set in tests/CMakeLists.txt). This
// header is force-included into every test file.

#include <ostream>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

inline std::ostream& operator<<(std::ostream& os, ErrorCode c) { return os << toString(c); }
inline std::ostream& operator<<(std::ostream& os, Channel c) { return os << toString(c); }
inline std::ostream& operator<<(std::ostream& os, InboundKind k) { return os << toString(k); }

}  // namespace bb

namespace std {  // NOLINT: printing helper for assertions only
inline std::ostream& operator<<(std::ostream& os, const std::vector<std::string>& v) {
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) { os << (i ? ", " : "") << '"' << v[i] << '"'; }
  return os << "]";
}
}  // namespace std
