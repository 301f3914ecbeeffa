#pragma once
// The benchmarks of `bb_bench <name>` (docs/performance.md). Each prints its figures beside a
// floor measured in the same run and returns 0 when every target was met (3 when one was
// missed, 1 on a correctness failure, 2 when it could not run). `--smoke` runs tiny sizes and
// only fails on correctness (CTest).

#include <string>

namespace bb::bench {

struct Options {
  bool smoke = false;
  double seconds = 20;        //!< closed-loop phase length
  double rate = 5000;         //!< open-loop offered rate
  double rate_seconds = 10;   //!< open-loop phase length
  int connections = 64;
  int senders = 10000;
  long tickets = 1000000;     //!< inbox
  long subscribers = 100000;  //!< broadcast
  double send_rate = 500;     //!< broadcast: configured sends per second
  double send_seconds = 10;   //!< broadcast: delivery window measured
  int port = 0;  //!< ingest: only load a server already running on this port (profiling)
  //! Every sync of the server's database (and of the SQLite floor) waits this long first: a slow
  //! disk, reproducible on any machine (storage/sync_delay_vfs.hpp).
  int sync_delay_us = 0;
};

int benchIngest(const Options& o);
//! Ingest on PostgreSQL (one and two instances) beside SQLite and floors (a) and (c).
int benchIngestPg(const Options& o);
int benchE2e(const Options& o);
int benchBroadcast(const Options& o);
int benchInbox(const Options& o);
int benchConnections(const Options& o);
int benchGazetteer(const Options& o);

}  // namespace bb::bench
