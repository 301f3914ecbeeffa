// `check-config --config FILE`: everything `serve` would refuse, found before it is started. The
// config is loaded as serve loads it, then every file it names is loaded by the same loaders
// serve uses (one code path), then what loading alone does not catch is checked.

#include <fstream>
#include <iostream>

#include "app/commands/commands.hpp"
#include "bot/channels/whatsapp_templates.hpp"
#include "bot/conversation/flow_data.hpp"
#include "bot/conversation/flow_data_check.hpp"
#include "bot/geo/import.hpp"

namespace bb::app {
namespace {

struct Findings {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

bool readable(const std::string& path) { return std::ifstream(path, std::ios::binary).good(); }

//! Files that serve opens later than the flow files (TLS), checked for readability.
void checkOtherFiles(const config::Config& c, Findings& out) {
  for (const auto& [key, path] : {std::pair{"server.tls_cert_file", &c.server.tls_cert_file},
                                  std::pair{"server.tls_key_file", &c.server.tls_key_file}}) {
    if (!path->empty() && !readable(*path)) {
      out.errors.push_back(std::string(key) + ": cannot read " + *path);
    }
  }
  if (!c.server.asset_dir.empty() && !readable(c.server.asset_dir + "/chat.html")) {
    out.errors.push_back("server.asset_dir: no chat.html in " + c.server.asset_dir);
  }
  // The gazetteer file serve imports into an empty database, read as serve reads it.
  if (const std::string& file = c.flows.gazetteer_file; !file.empty()) {
    if (auto g = geo::readGazetteerFile(file, geo::formatOfFile(file)); !g) {
      out.errors.push_back("flows.gazetteer_file: " + file + ": " + g.error().detail);
    }
  }
}

//! A name for an id that no category or district uses is a typo: the department keeps its id.
void checkDepartmentNames(const config::Config& c, const FlowData& data, Findings& out) {
  std::vector<std::pair<std::string, std::string>> names;
  if (!config::parseDepartmentNames(c.flows.department_names, names)) { return; }  // an error
  for (const auto& [id, name] : names) {
    bool used = false;
    for (const auto& cat : data.categories) { used = used || cat.department == id; }
    for (const auto& d : data.geo.districts) { used = used || d.department == id; }
    if (!used) {
      out.warnings.push_back("flows.department_names: '" + id +
                             "' is no department of the categories or districts");
    }
  }
}

//! The digest mail: the staff address and login go over the wire, so without TLS only to a
//! server on this machine.
void checkMail(const config::Config& c, Findings& out) {
  if (c.smtp.url.empty()) { return; }
  const std::string host = c.smtp.url.substr(c.smtp.url.find("://") + 3);
  const bool loopback = host.rfind("127.", 0) == 0 || host.rfind("localhost", 0) == 0 ||
                        host.rfind("[::1]", 0) == 0;
  if (!c.smtp.require_tls && c.smtp.url.rfind("smtps://", 0) != 0 && !loopback) {
    out.warnings.push_back("smtp.require_tls: false sends the staff addresses and the SMTP login "
                           "unencrypted to " + host + "; use it only for a relay on this machine");
  }
  if (!c.smtp.user.empty() && c.smtp.password.empty()) {
    out.warnings.push_back("smtp.user is set but no password (BUERGERBOX_SMTP_PASSWORD or "
                           "smtp.password_file): the server will refuse the login");
  }
}

//! The WhatsApp template catalogue, loaded as `whatsapp templates` loads it: a broken file is an
//! error; with WhatsApp on, a notice kind without a template (its notices stay held outside the
//! 24-hour window) and a template without English are warnings.
void checkTemplateCatalogue(const config::Config& c, Findings& out) {
  const std::string& file = c.whatsapp.templates_file;
  if (file.empty()) {
    if (c.whatsapp.enabled) {
      out.warnings.push_back("whatsapp.templates_file: not set; no notice kind has a template, "
                             "notices outside the 24-hour window stay held");
    }
    return;
  }
  auto catalogue = loadTemplateCatalogue(file);
  if (!catalogue) {
    out.errors.push_back("whatsapp.templates_file: " + catalogue.error().detail);
    return;
  }
  if (!c.whatsapp.enabled) { return; }
  for (const auto kind : catalogue->missingKinds()) {
    out.warnings.push_back("whatsapp.templates_file: no template for notice kind " +
                           std::string(toString(kind)) +
                           "; such notices stay held outside the 24-hour window");
  }
  for (const auto& t : catalogue->templates) {
    if (t.languages.size() < 2) {
      out.warnings.push_back("whatsapp.templates_file: " + t.name +
                             " has no en body; English-speaking citizens get the German one");
    }
  }
}

void checkFiles(const config::Config& c, Findings& out) {
  auto data = loadFlowData(c);
  if (!data) {
    out.errors.push_back(data.error().detail);
  } else {
    auto found = checkFlowData(*data);
    out.errors.insert(out.errors.end(), found.errors.begin(), found.errors.end());
    out.warnings.insert(out.warnings.end(), found.warnings.begin(), found.warnings.end());
    checkDepartmentNames(c, *data, out);
  }
  checkOtherFiles(c, out);
  checkMail(c, out);
  checkTemplateCatalogue(c, out);
}

}  // namespace

int runCheckConfig(const Args& args) {
  const auto path = argValue(args, "--config");
  if (path.empty()) { return kBadUsage; }
  Findings found;
  auto loaded = config::loadConfig(path, config::processEnv(), config::diskFiles());
  found.errors = loaded.errors;
  for (const auto& name : config::unknownEnvironmentNames(config::processEnvNames())) {
    found.errors.push_back(name + ": names no config key (a typo?); see docs/configuration.md");
  }
  if (const auto zone = loadLocalZone(); !zone) {
    std::cerr << "time zone error: " << zone.error().detail << "\n";
    found.errors.push_back("time zone: Europe/Berlin rules not loaded");
  }
  // The files are only worth loading once the keys naming them are valid.
  if (loaded.ok()) { checkFiles(loaded.config, found); }
  for (const auto& w : found.warnings) { std::cerr << "config warning: " << w << "\n"; }
  if (!found.errors.empty()) {
    for (const auto& e : found.errors) { std::cerr << "config error: " << e << "\n"; }
    std::cerr << found.errors.size() << " error(s) in " << path << "\n";
    return 2;
  }
  std::cout << "config ok: " << path;
  if (!found.warnings.empty()) { std::cout << " (" << found.warnings.size() << " warning(s))"; }
  std::cout << "\n";
  return 0;
}

}  // namespace bb::app
