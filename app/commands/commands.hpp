#pragma once
// The subcommands other than `serve` (app/serve/serve.hpp), one file each. Each returns the
// process's exit code, or kBadUsage when its arguments do not fit.

#include "app/commands/command.hpp"

namespace bb::app {

//! `version`: prints the version.
int runVersion(const Args& args);
//! `check-config --config FILE`: validates, prints every error; exit 2 on any.
int runCheckConfig(const Args& args);
//! `migrate --config FILE`: creates or upgrades the database schema.
int runMigrate(const Args& args);
//! `migrate-to-postgresql [--from FILE] [--to URL] --config FILE`: copies the SQLite database
//! into a new, empty PostgreSQL database, compared table by table before it commits.
int runMigrateToPostgresql(const Args& args);
//! `staff add --login NAME --role ROLE [--department D]... --config FILE`; password on stdin.
int runStaff(const Args& args);
//! `apikey add --name N --department D [--department D2 ...] --config FILE`: prints the key once;
//! `apikey list --config FILE`; `apikey revoke --name N --config FILE`: refused from then on.
int runApiKey(const Args& args);
//! `deliveries list|retry REF...|retry --all|discard REF... --config FILE`: the deliveries that
//! need staff (dead back-office entries, failed messages), as on the inbox's delivery page.
int runDeliveries(const Args& args);
//! `keys rotate --config FILE`: re-seals every reply address under the current encryption key.
int runKeys(const Args& args);
//! `backup --to FILE --config FILE`: an online copy of the database; photos listed in FILE.media.
int runBackup(const Args& args);
//! `restore --from FILE --config FILE`: replaces the database (service stopped); exit 3 when
//! photos listed in FILE.media are missing.
int runRestore(const Args& args);
//! `matrix registration --config FILE`: the registration YAML for the homeserver on stdout.
int runMatrix(const Args& args);
//! `gazetteer import FILE [--format csv] --config FILE` replaces the town's addresses in one
//! transaction; `gazetteer info --config FILE` prints source, licence, date and counts.
int runGazetteer(const Args& args);
//! `telegram set-webhook [URL] --config FILE` / `telegram delete-webhook --config FILE`.
int runTelegram(const Args& args);
//! `whatsapp templates --config FILE`: the template catalogue as Meta's create-template request
//! bodies (JSON array); `whatsapp templates --check --config FILE`: the account's templates
//! against it, exit 0 when all are approved, 1 otherwise.
int runWhatsApp(const Args& args);

}  // namespace bb::app
