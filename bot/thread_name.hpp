#pragma once
// Names the calling thread (shown by `top -H`, `ps -L`, gdb and perf), so an operator — and the
// per-thread CPU figures in docs/performance.md — can tell the writer from a flow worker.
#include <string>

namespace bb {

//! Linux keeps at most 15 characters; longer names are cut.
void setThreadName(const std::string& name);

}  // namespace bb
