// bb_bench: the performance benchmarks. Usage in docs/performance.md.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "bench/bench.hpp"

namespace {

int usage() {
  std::cerr << "usage: bb_bench ingest|ingest-pg|e2e|broadcast|inbox|connections|gazetteer\n"
               "       [--smoke] [--seconds S]\n"
               "       [--rate R] [--rate-seconds S] [--connections N] [--senders N]\n"
               "       [--tickets N] [--subscribers N] [--send-rate R] [--send-seconds S]\n"
               "       [--sync-delay-us N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) { return usage(); }
  const std::string name = argv[1];
  bb::bench::Options o;
  bool smoke = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) { smoke = true; }
  }
  if (smoke) {
    o.smoke = true;
    o.seconds = 0.5;
    o.rate = 200;
    o.rate_seconds = 0.5;
    o.connections = 8;
    o.senders = 100;
    o.tickets = 2000;
    o.subscribers = 500;
    o.send_rate = 200;
    o.send_seconds = 1;
  }
  for (int i = 2; i + 1 < argc; i += 1) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--seconds") { o.seconds = std::atof(v); }
    else if (k == "--rate") { o.rate = std::atof(v); }
    else if (k == "--rate-seconds") { o.rate_seconds = std::atof(v); }
    else if (k == "--connections") { o.connections = std::atoi(v); }
    else if (k == "--senders") { o.senders = std::atoi(v); }
    else if (k == "--tickets") { o.tickets = std::atol(v); }
    else if (k == "--subscribers") { o.subscribers = std::atol(v); }
    else if (k == "--send-rate") { o.send_rate = std::atof(v); }
    else if (k == "--send-seconds") { o.send_seconds = std::atof(v); }
    else if (k == "--port") { o.port = std::atoi(v); }
    else if (k == "--sync-delay-us") { o.sync_delay_us = std::atoi(v); }
  }
  try {
    if (name == "ingest") { return bb::bench::benchIngest(o); }
    if (name == "ingest-pg") { return bb::bench::benchIngestPg(o); }
    if (name == "e2e") { return bb::bench::benchE2e(o); }
    if (name == "broadcast") { return bb::bench::benchBroadcast(o); }
    if (name == "inbox") { return bb::bench::benchInbox(o); }
    if (name == "connections") { return bb::bench::benchConnections(o); }
    if (name == "gazetteer") { return bb::bench::benchGazetteer(o); }
  } catch (const std::exception& e) {
    std::cerr << "bench " << name << ": " << e.what() << "\n";
    return 2;
  }
  return usage();
}
