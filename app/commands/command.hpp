#pragma once
// What every subcommand shares: its arguments, the way it asks for the usage text, and loading
// the config with every error printed.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bot/result.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"

namespace bb::storage {
class Stores;
}

namespace bb::app {

//! argv without the program name; args[0] is the subcommand.
using Args = std::vector<std::string>;

//! A subcommand's exit code when its arguments do not fit: main prints the usage, exits 2.
inline constexpr int kBadUsage = -1;

//! The value after `name` ("--config FILE" → "FILE"); empty when absent.
std::string argValue(const Args& args, const std::string& name);
//! Every value after a repeatable `name` ("--department a --department b").
std::vector<std::string> argValues(const Args& args, const std::string& name);

//! Loads and validates the config at `--config`, printing every error to stderr. Demo mode with
//! `create_demo_keys` first fills the missing privacy keys (app/demo/demo_keys.hpp).
bool loadConfigOrReport(const Args& args, config::Config& out, bool create_demo_keys);

//! Opens and migrates the database (storage::openDatabase); null after printing
//! "<what>: <why>" to stderr.
std::unique_ptr<storage::Database> openDatabaseOrReport(const config::Config& config,
                                                        std::string_view what);

//! False after explaining on stderr that `command` works on the SQLite file only, when
//! storage.backend is postgresql (whose backups and restores are PostgreSQL's own tools).
bool sqliteOnly(const config::Config& config, std::string_view command);

//! Opens and migrates the configured backend (storage.backend) with every store on it; null
//! after printing "<what>: <why>" to stderr.
std::unique_ptr<storage::Stores> openStoresOrReport(const config::Config& config,
                                                   std::string_view what);

//! Loads the Europe/Berlin zone rules that every time people read needs (bot/text/local_time.hpp)
//! from tzdata in $TZDIR, as for the C library, or /usr/share/zoneinfo.
Result<void> loadLocalZone();

}  // namespace bb::app
