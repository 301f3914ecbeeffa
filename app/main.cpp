// buergerbox: maps argv to a subcommand. Every subcommand lives in app/commands/ (serve in
// app/serve/); this file holds only the usage text and the dispatch table.

#include <iostream>
#include <string_view>

#include "app/commands/commands.hpp"
#include "app/serve/serve.hpp"

namespace {

void usage() {
  std::cerr << "usage: buergerbox <command> [options]\n"
               "  serve --config FILE         run the service\n"
               "  migrate --config FILE       create or upgrade the database schema\n"
               "  check-config --config FILE  validate the config, print every error (exit 2)\n"
               "  migrate-to-postgresql [--from FILE] [--to URL] --config FILE\n"
               "                              copy the SQLite database (default storage.path)\n"
               "                              into a new, empty PostgreSQL database (default\n"
               "                              storage.postgresql.url; password from\n"
               "                              BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD[_FILE]);\n"
               "                              commits only when every table matches\n"
               "  apikey add --name N --department D [--department D2 ...] --config FILE\n"
               "                              create a back-office API key (printed once;\n"
               "                              --department '*' for every department)\n"
               "  apikey list --config FILE   every key: name, departments, created, revoked\n"
               "  apikey revoke --name N --config FILE\n"
               "                              refuse the key from the next request on\n"
               "  deliveries list --config FILE\n"
               "                              dead back-office entries and failed messages to\n"
               "                              citizens, with reason and age\n"
               "  deliveries retry REF... | retry --all | discard REF... --config FILE\n"
               "                              queue again, or give up (audited); REF as listed\n"
               "  staff add --login NAME --role admin|agent|moderator|editor\n"
               "            [--department D]... --config FILE\n"
               "                              create a staff inbox account (password on stdin)\n"
               "  staff reset-password --login NAME --config FILE\n"
               "                              print a temporary password (to be replaced at\n"
               "                              the next login); ends the account's sessions\n"
               "  matrix registration --config FILE\n"
               "                              print the Matrix application-service registration\n"
               "                              (YAML for the homeserver; contains the tokens)\n"
               "  telegram set-webhook [URL] --config FILE\n"
               "                              register URL (default telegram.webhook_url) with\n"
               "                              secret_token and allowed_updates\n"
               "  telegram delete-webhook --config FILE\n"
               "                              remove the webhook (before switching to polling)\n"
               "  whatsapp templates --config FILE\n"
               "                              print the template catalogue as the request bodies\n"
               "                              of POST /{waba-id}/message_templates (JSON array)\n"
               "  whatsapp templates --check --config FILE\n"
               "                              compare the account's templates with the catalogue;\n"
               "                              exit 0 when all are approved, 1 otherwise\n"
               "  gazetteer import FILE [--format csv|osm|hk] [--source TEXT] [--licence TEXT]\n"
               "                   --config FILE\n"
               "                              replace the town's addresses, streets and places\n"
               "                              (osm: .osm.pbf extract; hk: HK-DE house coordinates)\n"
               "                              (docs/gazetteer.md); gazetteer info --config FILE\n"
               "                              prints source, licence, date and counts\n"
               "  keys rotate --config FILE   re-encrypt every sealed reply address under\n"
               "                              privacy.encryption_key (old keys from\n"
               "                              privacy.previous_encryption_keys)\n"
               "  backup --to FILE --config FILE\n"
               "                              copy the database while the service runs; the\n"
               "                              photo files are listed in FILE.media\n"
               "  restore --from FILE --config FILE\n"
               "                              replace the database with a backup (service\n"
               "                              stopped); exit 3 if listed photos are missing\n"
               "  version                     print the version\n";
}

struct Subcommand {
  std::string_view name;
  int (*run)(const bb::app::Args& args);
};

// clang-format off
constexpr Subcommand kSubcommands[] = {
  {"serve",        bb::app::runServe},
  {"migrate",      bb::app::runMigrate},
  {"migrate-to-postgresql", bb::app::runMigrateToPostgresql},
  {"check-config", bb::app::runCheckConfig},
  {"apikey",       bb::app::runApiKey},
  {"deliveries",   bb::app::runDeliveries},
  {"staff",        bb::app::runStaff},
  {"matrix",       bb::app::runMatrix},
  {"telegram",     bb::app::runTelegram},
  {"whatsapp",     bb::app::runWhatsApp},
  {"keys",         bb::app::runKeys},
  {"backup",       bb::app::runBackup},
  {"restore",      bb::app::runRestore},
  {"gazetteer",    bb::app::runGazetteer},
  {"version",      bb::app::runVersion},
  {"--version",    bb::app::runVersion},
};
// clang-format on

}  // namespace

int main(int argc, char** argv) {
  const bb::app::Args args(argv + 1, argv + argc);
  for (const auto& sub : kSubcommands) {
    if (args.empty() || args[0] != sub.name) { continue; }
    const int code = sub.run(args);
    if (code != bb::app::kBadUsage) { return code; }
    break;
  }
  usage();
  return 2;
}
