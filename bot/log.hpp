#pragma once
// Structured logfmt lines on stderr: `ts=... level=info event=flow_transition conv=812 ...`.
// Only internal ids, states, codes and durations go in; never personal data (DESIGN.md §6).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level level);
bool parseLevel(const std::string& name, Level& out);
bool enabled(Level level);

//! One key=value field; values are quoted when they contain spaces or quotes.
using Field = std::pair<std::string_view, std::string>;

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
//! The same with fields put together at run time.
void write(Level level, std::string_view event, const std::vector<Field>& fields);

inline void debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (enabled(Level::Debug)) { write(Level::Debug, event, fields); }
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (enabled(Level::Info)) { write(Level::Info, event, fields); }
}
inline void info(std::string_view event, const std::vector<Field>& fields) {
  if (enabled(Level::Info)) { write(Level::Info, event, fields); }
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (enabled(Level::Warn)) { write(Level::Warn, event, fields); }
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::Error, event, fields);
}

//! Redirects output (tests capture log lines to check that no personal data leaks).
using Sink = void (*)(std::string_view line);
void setSink(Sink sink);  // nullptr restores stderr

}  // namespace bb::log
