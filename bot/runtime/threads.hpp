#pragma once
// Per-thread setup: names (shown by `top -H`, `ps -L`, gdb and perf, so an operator — and the
// per-thread CPU figures in docs/performance.md — can tell the writer from a flow worker) and
// the lower CPU priority of the threads that process and deliver.
#include <string>

namespace bb {

//! Linux keeps at most 15 characters; longer names are cut.
void setThreadName(const std::string& name);

//! Lowers the calling thread's CPU priority by `nice` steps (Linux: per thread). The threads
//! that process and deliver (flow workers, outbox, media) run at a lower priority than those
//! that acknowledge webhooks, so in a peak the acknowledgements get the CPU first; when the
//! machine is not saturated this changes nothing (docs/performance.md).
void lowerThreadPriority(int nice);

//! The step the processing and delivery threads are lowered by.
inline constexpr int kBackgroundNice = 10;

//! Raises the calling thread's CPU priority by `steps` (Linux: per thread). Allowed with
//! CAP_SYS_NICE or when RLIMIT_NICE permits it (systemd: `LimitNICE=-10`); false when refused,
//! and the thread keeps its priority.
bool raiseThreadPriority(int steps);

//! The step the storage writer is raised by: every acknowledgement waits for its commits, and on
//! a busy machine it waited for a CPU as long as it ran (docs/performance.md).
inline constexpr int kWriterRaise = 10;

}  // namespace bb
