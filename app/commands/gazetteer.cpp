#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/geo/import.hpp"
#include "bot/ports.hpp"
#include "bot/text/local_time.hpp"
#include "storage/stores.hpp"

namespace bb::app {

namespace {

int importFile(const Args& args) {
  const std::string& file = args[2];
  std::string format = argValue(args, "--format");
  if (format.empty()) { format = geo::formatOfFile(file); }
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  auto data = geo::readGazetteerFile(file, format);
  if (!data) {
    std::cerr << "gazetteer import: " << data.error().detail << "\n";
    return 1;
  }
  // House-coordinate files name neither source nor licence: the operator does.
  for (const auto& [option, field] : {std::pair{"--source", &data->source},
                                      std::pair{"--licence", &data->licence}}) {
    if (std::string value = argValue(args, option); !value.empty()) { *field = value; }
  }
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  geo::Gazetteer& gazetteer = stores->gazetteer();
  // One write transaction: a running `serve` sees the old gazetteer or the new one, never a mix.
  auto replaced = gazetteer.replace(*data);
  stores->close();
  if (!replaced) {
    std::cerr << "gazetteer import: " << replaced.error().detail << "\n";
    return 1;
  }
  std::cout << "imported " << data->addresses.size() << " addresses, " << data->streets.size()
            << " streets without numbers and " << data->places.size() << " places from "
            << data->source << " (licence: "
            << (data->licence.empty() ? "not stated" : data->licence) << ")\n";
  return 0;
}

int showInfo(const Args& args) {
  config::Config config;
  if (!loadConfigOrReport(args, config, true)) { return 2; }
  if (!loadLocalZone()) {
    std::cerr << "gazetteer info: the Europe/Berlin zone rules are missing (tzdata)\n";
    return 1;
  }
  auto stores = openStoresOrReport(config, "database");
  if (!stores) { return 1; }
  geo::Gazetteer& gazetteer = stores->gazetteer();
  auto info = gazetteer.info();
  stores->close();
  if (!info) {
    std::cerr << "gazetteer info: " << info.error().detail << "\n";
    return 1;
  }
  if (!*info) {
    std::cout << "no gazetteer imported\n";
    return 0;
  }
  const geo::GazetteerInfo& i = **info;
  std::cout << "source: " << i.source << "\nlicence: " << i.licence << "\nformat: " << i.format
            << "\nimported: " << localDateTime(SysTime(std::chrono::milliseconds(i.imported_at_ms)))
            << " (Europe/Berlin)\naddresses: " << i.addresses
            << "\nstreets: " << i.streets << "\nplaces: " << i.places << "\n";
  return 0;
}

}  // namespace

int runGazetteer(const Args& args) {
  if (args.size() >= 3 && args[1] == "import" && args[2].rfind("--", 0) != 0) {
    return importFile(args);
  }
  if (args.size() >= 2 && args[1] == "info") { return showInfo(args); }
  return kBadUsage;
}

}  // namespace bb::app
