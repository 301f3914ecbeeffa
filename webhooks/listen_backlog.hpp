#pragma once
// cpp-httplib 0.11 (Debian's compiled library) calls listen() with a backlog of 5 and does not
// expose its socket. Calling listen() again on a listening socket only changes its backlog, so
// this finds the listening TCP socket bound to `port` among the process's descriptors and
// widens the backlog (the kernel caps it at net.core.somaxconn).

namespace bb::webhooks {

inline constexpr int kListenBacklog = 4096;

//! True when a listening socket on `port` was found and its backlog set.
bool widenListenBacklog(int port, int backlog);

}  // namespace bb::webhooks
