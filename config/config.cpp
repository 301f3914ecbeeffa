#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "config/cidr.hpp"
#include "config/json_error.hpp"

extern char** environ;  // NOLINT: POSIX, read once at startup

namespace bb::config {
namespace {

using json = nlohmann::json;


enum class Kind { String, Int, Int64, Bool, Double, Secret };

//! One key of the schema: where it lives, its type, and whether it is a secret.
struct Field {
  std::string section;  //!< "" for top-level keys
  std::string key;
  Kind kind;
  std::function<void*(Config&)> slot;
};

template <class S, class T>
std::function<void*(Config&)> at(S Config::*section, T S::*member) {
  return [section, member](Config& c) -> void* { return &((c.*section).*member); };
}

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      {"", "demo", Kind::Bool, [](Config& c) -> void* { return &c.demo; }},
      {"server", "host", Kind::String, at(&Config::server, &ServerConfig::host)},
      {"server", "port", Kind::Int, at(&Config::server, &ServerConfig::port)},
      {"server", "threads", Kind::Int, at(&Config::server, &ServerConfig::threads)},
      {"server", "max_threads", Kind::Int, at(&Config::server, &ServerConfig::max_threads)},
      {"server", "max_body_bytes", Kind::Int64, at(&Config::server, &ServerConfig::max_body_bytes)},
      {"server", "keep_alive_max_count", Kind::Int,
       at(&Config::server, &ServerConfig::keep_alive_max_count)},
      {"server", "keep_alive_timeout_s", Kind::Int,
       at(&Config::server, &ServerConfig::keep_alive_timeout_s)},
      {"server", "read_timeout_s", Kind::Int, at(&Config::server, &ServerConfig::read_timeout_s)},
      {"server", "request_timeout_s", Kind::Int,
       at(&Config::server, &ServerConfig::request_timeout_s)},
      {"server", "tls_cert_file", Kind::String, at(&Config::server, &ServerConfig::tls_cert_file)},
      {"server", "tls_key_file", Kind::String, at(&Config::server, &ServerConfig::tls_key_file)},
      {"server", "trusted_proxies", Kind::String,
       at(&Config::server, &ServerConfig::trusted_proxies)},
      {"server", "public_url", Kind::String, at(&Config::server, &ServerConfig::public_url)},
      {"server", "asset_dir", Kind::String, at(&Config::server, &ServerConfig::asset_dir)},
      {"storage", "backend", Kind::String, at(&Config::storage, &StorageConfig::backend)},
      {"storage", "path", Kind::String, at(&Config::storage, &StorageConfig::path)},
      {"storage", "media_dir", Kind::String, at(&Config::storage, &StorageConfig::media_dir)},
      {"storage", "synchronous", Kind::String, at(&Config::storage, &StorageConfig::synchronous)},
      {"storage", "reader_connections", Kind::Int,
       at(&Config::storage, &StorageConfig::reader_connections)},
      {"storage", "fault_file", Kind::String, at(&Config::storage, &StorageConfig::fault_file)},
      {"storage", "sync_delay_us", Kind::Int, at(&Config::storage, &StorageConfig::sync_delay_us)},
      {"storage.postgresql", "url", Kind::String,
       [](Config& c) -> void* { return &c.storage.postgresql.url; }},
      {"storage.postgresql", "password", Kind::Secret,
       [](Config& c) -> void* { return &c.storage.postgresql.password; }},
      {"storage.postgresql", "pool_size", Kind::Int,
       [](Config& c) -> void* { return &c.storage.postgresql.pool_size; }},
      {"storage.postgresql", "statement_timeout_ms", Kind::Int,
       [](Config& c) -> void* { return &c.storage.postgresql.statement_timeout_ms; }},
      {"storage.postgresql", "instance_id", Kind::String,
       [](Config& c) -> void* { return &c.storage.postgresql.instance_id; }},
      {"storage.postgresql", "lease_ms", Kind::Int,
       [](Config& c) -> void* { return &c.storage.postgresql.lease_ms; }},
      {"storage.postgresql", "outbox_claim_ms", Kind::Int,
       [](Config& c) -> void* { return &c.storage.postgresql.outbox_claim_ms; }},
      {"whatsapp", "enabled", Kind::Bool, at(&Config::whatsapp, &WhatsAppConfig::enabled)},
      {"whatsapp", "api_base", Kind::String, at(&Config::whatsapp, &WhatsAppConfig::api_base)},
      {"whatsapp", "phone_number_id", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::phone_number_id)},
      {"whatsapp", "verify_token", Kind::Secret,
       at(&Config::whatsapp, &WhatsAppConfig::verify_token)},
      {"whatsapp", "app_secret", Kind::Secret, at(&Config::whatsapp, &WhatsAppConfig::app_secret)},
      {"whatsapp", "access_token", Kind::Secret,
       at(&Config::whatsapp, &WhatsAppConfig::access_token)},
      {"whatsapp", "template_name", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::template_name)},
      {"whatsapp", "template_language", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::template_language)},
      {"whatsapp", "templates_file", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::templates_file)},
      {"whatsapp", "business_account_id", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::business_account_id)},
      {"whatsapp", "rate_per_second", Kind::Int,
       at(&Config::whatsapp, &WhatsAppConfig::rate_per_second)},
      {"whatsapp", "recipient_interval_ms", Kind::Int,
       at(&Config::whatsapp, &WhatsAppConfig::recipient_interval_ms)},
      {"whatsapp", "max_tries", Kind::Int, at(&Config::whatsapp, &WhatsAppConfig::max_tries)},
      {"whatsapp", "retry_base_ms", Kind::Int,
       at(&Config::whatsapp, &WhatsAppConfig::retry_base_ms)},
      {"whatsapp", "send_concurrency", Kind::Int,
       at(&Config::whatsapp, &WhatsAppConfig::send_concurrency)},
      {"whatsapp", "list_button_label", Kind::String,
       at(&Config::whatsapp, &WhatsAppConfig::list_button_label)},
      {"telegram", "enabled", Kind::Bool, at(&Config::telegram, &TelegramConfig::enabled)},
      {"telegram", "api_base", Kind::String, at(&Config::telegram, &TelegramConfig::api_base)},
      {"telegram", "bot_token", Kind::Secret, at(&Config::telegram, &TelegramConfig::bot_token)},
      {"telegram", "secret_token", Kind::Secret,
       at(&Config::telegram, &TelegramConfig::secret_token)},
      {"telegram", "mode", Kind::String, at(&Config::telegram, &TelegramConfig::mode)},
      {"telegram", "rate_per_second", Kind::Int,
       at(&Config::telegram, &TelegramConfig::rate_per_second)},
      {"telegram", "per_chat_interval_ms", Kind::Int,
       at(&Config::telegram, &TelegramConfig::per_chat_interval_ms)},
      {"telegram", "max_tries", Kind::Int, at(&Config::telegram, &TelegramConfig::max_tries)},
      {"telegram", "retry_base_ms", Kind::Int,
       at(&Config::telegram, &TelegramConfig::retry_base_ms)},
      {"telegram", "poll_timeout_s", Kind::Int,
       at(&Config::telegram, &TelegramConfig::poll_timeout_s)},
      {"telegram", "webhook_url", Kind::String,
       at(&Config::telegram, &TelegramConfig::webhook_url)},
      {"matrix", "enabled", Kind::Bool, at(&Config::matrix, &MatrixConfig::enabled)},
      {"matrix", "homeserver_url", Kind::String,
       at(&Config::matrix, &MatrixConfig::homeserver_url)},
      {"matrix", "server_name", Kind::String, at(&Config::matrix, &MatrixConfig::server_name)},
      {"matrix", "sender_localpart", Kind::String,
       at(&Config::matrix, &MatrixConfig::sender_localpart)},
      {"matrix", "as_token", Kind::Secret, at(&Config::matrix, &MatrixConfig::as_token)},
      {"matrix", "hs_token", Kind::Secret, at(&Config::matrix, &MatrixConfig::hs_token)},
      {"matrix", "registration_id", Kind::String,
       at(&Config::matrix, &MatrixConfig::registration_id)},
      {"matrix", "bridge_bots", Kind::String, at(&Config::matrix, &MatrixConfig::bridge_bots)},
      {"matrix", "rate_per_second", Kind::Int, at(&Config::matrix, &MatrixConfig::rate_per_second)},
      {"matrix", "recipient_interval_ms", Kind::Int,
       at(&Config::matrix, &MatrixConfig::recipient_interval_ms)},
      {"matrix", "max_tries", Kind::Int, at(&Config::matrix, &MatrixConfig::max_tries)},
      {"matrix", "retry_base_ms", Kind::Int, at(&Config::matrix, &MatrixConfig::retry_base_ms)},
      {"webchat", "enabled", Kind::Bool, at(&Config::webchat, &WebChatConfig::enabled)},
      {"webchat", "max_message_chars", Kind::Int,
       at(&Config::webchat, &WebChatConfig::max_message_chars)},
      {"webchat", "max_upload_bytes", Kind::Int64,
       at(&Config::webchat, &WebChatConfig::max_upload_bytes)},
      {"webchat", "messages_per_minute", Kind::Int,
       at(&Config::webchat, &WebChatConfig::messages_per_minute)},
      {"privacy", "pseudonym_key", Kind::Secret,
       at(&Config::privacy, &PrivacyConfig::pseudonym_key)},
      {"privacy", "encryption_key", Kind::Secret,
       at(&Config::privacy, &PrivacyConfig::encryption_key)},
      {"privacy", "previous_encryption_keys", Kind::Secret,
       at(&Config::privacy, &PrivacyConfig::previous_encryption_keys)},
      {"retention", "closed_ticket_days", Kind::Int,
       at(&Config::retention, &RetentionConfig::closed_ticket_days)},
      {"retention", "draft_days", Kind::Int, at(&Config::retention, &RetentionConfig::draft_days)},
      {"retention", "message_days", Kind::Int,
       at(&Config::retention, &RetentionConfig::message_days)},
      {"retention", "interval_minutes", Kind::Int,
       at(&Config::retention, &RetentionConfig::interval_minutes)},
      {"privacy", "notice_version", Kind::Int, at(&Config::privacy, &PrivacyConfig::notice_version)},
      {"privacy", "notice_url", Kind::String, at(&Config::privacy, &PrivacyConfig::notice_url)},
      {"flows", "categories_file", Kind::String, at(&Config::flows, &FlowsConfig::categories_file)},
      {"flows", "texts_dir", Kind::String, at(&Config::flows, &FlowsConfig::texts_dir)},
      {"flows", "boundary_file", Kind::String, at(&Config::flows, &FlowsConfig::boundary_file)},
      {"flows", "districts_file", Kind::String, at(&Config::flows, &FlowsConfig::districts_file)},
      {"flows", "gazetteer_file", Kind::String, at(&Config::flows, &FlowsConfig::gazetteer_file)},
      {"flows", "idle_timeout_minutes", Kind::Int,
       at(&Config::flows, &FlowsConfig::idle_timeout_minutes)},
      {"flows", "reply_window_days", Kind::Int,
       at(&Config::flows, &FlowsConfig::reply_window_days)},
      {"flows", "ticket_messages_per_day", Kind::Int,
       at(&Config::flows, &FlowsConfig::ticket_messages_per_day)},
      {"flows", "duplicate_radius_m", Kind::Double,
       at(&Config::flows, &FlowsConfig::duplicate_radius_m)},
      {"flows", "letterbox_department", Kind::String,
       at(&Config::flows, &FlowsConfig::letterbox_department)},
      {"flows", "department_names", Kind::String,
       at(&Config::flows, &FlowsConfig::department_names)},
      {"flows", "outside_responsible", Kind::String,
       at(&Config::flows, &FlowsConfig::outside_responsible)},
      {"flows", "workers", Kind::Int, at(&Config::flows, &FlowsConfig::workers)},
      {"flows", "sender_messages_per_minute", Kind::Int,
       at(&Config::flows, &FlowsConfig::sender_messages_per_minute)},
      {"flows", "commit_max_tries", Kind::Int,
       at(&Config::flows, &FlowsConfig::commit_max_tries)},
      {"backoffice", "url", Kind::String, at(&Config::backoffice, &BackofficeConfig::url)},
      {"backoffice", "department_urls", Kind::String,
       at(&Config::backoffice, &BackofficeConfig::department_urls)},
      {"backoffice", "secret", Kind::Secret, at(&Config::backoffice, &BackofficeConfig::secret)},
      {"backoffice", "max_tries", Kind::Int, at(&Config::backoffice, &BackofficeConfig::max_tries)},
      {"backoffice", "retry_base_ms", Kind::Int,
       at(&Config::backoffice, &BackofficeConfig::retry_base_ms)},
      {"backoffice", "retry_max_ms", Kind::Int,
       at(&Config::backoffice, &BackofficeConfig::retry_max_ms)},
      {"backoffice", "give_up_after_hours", Kind::Int,
       at(&Config::backoffice, &BackofficeConfig::give_up_after_hours)},
      {"backoffice", "photo_link_hours", Kind::Int,
       at(&Config::backoffice, &BackofficeConfig::photo_link_hours)},
      {"open311", "enabled", Kind::Bool, at(&Config::open311, &Open311Config::enabled)},
      {"open311", "public_grid_m", Kind::Double,
       at(&Config::open311, &Open311Config::public_grid_m)},
      {"open311", "jurisdiction_id", Kind::String,
       at(&Config::open311, &Open311Config::jurisdiction_id)},
      {"open311", "contact", Kind::String, at(&Config::open311, &Open311Config::contact)},
      {"log", "level", Kind::String, at(&Config::log, &LogConfig::level)},
      {"subscriptions", "topics_file", Kind::String,
       at(&Config::subscriptions, &SubscriptionsConfig::topics_file)},
      {"subscriptions", "reminder_after_months", Kind::Int,
       at(&Config::subscriptions, &SubscriptionsConfig::reminder_after_months)},
      {"subscriptions", "remove_after_days", Kind::Int,
       at(&Config::subscriptions, &SubscriptionsConfig::remove_after_days)},
      {"subscriptions", "first_pass_seconds", Kind::Int,
       at(&Config::subscriptions, &SubscriptionsConfig::first_pass_seconds)},
      {"broadcasts", "rate_share", Kind::Double,
       at(&Config::broadcasts, &BroadcastsConfig::rate_share)},
      {"broadcasts", "whatsapp_template", Kind::String,
       at(&Config::broadcasts, &BroadcastsConfig::whatsapp_template)},
      {"oparl", "url", Kind::String, at(&Config::oparl, &OParlConfig::url)},
      {"oparl", "body_id", Kind::String, at(&Config::oparl, &OParlConfig::body_id)},
      {"oparl", "poll_minutes", Kind::Int, at(&Config::oparl, &OParlConfig::poll_minutes)},
      {"oparl", "first_poll_seconds", Kind::Int,
       at(&Config::oparl, &OParlConfig::first_poll_seconds)},
      {"smtp", "url", Kind::String, at(&Config::smtp, &SmtpConfig::url)},
      {"smtp", "from", Kind::String, at(&Config::smtp, &SmtpConfig::from)},
      {"smtp", "user", Kind::String, at(&Config::smtp, &SmtpConfig::user)},
      {"smtp", "password", Kind::Secret, at(&Config::smtp, &SmtpConfig::password)},
      {"smtp", "require_tls", Kind::Bool, at(&Config::smtp, &SmtpConfig::require_tls)},
      {"smtp", "digest_hour", Kind::Int, at(&Config::smtp, &SmtpConfig::digest_hour)},
      {"inbox", "tile_url", Kind::String, at(&Config::inbox, &InboxConfig::tile_url)},
      {"inbox", "tile_attribution", Kind::String, at(&Config::inbox, &InboxConfig::tile_attribution)},
  };
  return kFields;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

std::string pathOf(const Field& f) { return f.section.empty() ? f.key : f.section + "." + f.key; }

std::string envNameOf(const Field& f) {
  std::string section = upper(f.section);  // "storage.postgresql" → "STORAGE_POSTGRESQL"
  std::replace(section.begin(), section.end(), '.', '_');
  return "BUERGERBOX_" + (section.empty() ? "" : section + "_") + upper(f.key);
}

//! Sets a field from JSON; returns an error text or "".
std::string setFromJson(Config& c, const Field& f, const json& v) {
  void* slot = f.slot(c);
  switch (f.kind) {
    case Kind::String:
    case Kind::Secret:
      if (f.section == "backoffice" && f.key == "department_urls" && v.is_object()) {
        // A JSON object {"dept": "url"} is stored in the "dept=url,dept=url" form.
        std::string joined;
        for (const auto& [dept, url] : v.items()) {
          if (!url.is_string()) { return "values must be URL strings"; }
          joined += (joined.empty() ? "" : ",") + dept + "=" + url.get<std::string>();
        }
        *static_cast<std::string*>(slot) = joined;
        return "";
      }
      if (f.section == "flows" && f.key == "department_names" && v.is_object()) {
        // A JSON object {"id": "Name"} is stored in the "id=Name;id=Name" form.
        std::string joined;
        for (const auto& [dept, name] : v.items()) {
          if (!name.is_string()) { return "values must be name strings"; }
          if (name.get<std::string>().find(';') != std::string::npos) {
            return "a name must not contain ';'";
          }
          joined += (joined.empty() ? "" : ";") + dept + "=" + name.get<std::string>();
        }
        *static_cast<std::string*>(slot) = joined;
        return "";
      }
      if (!v.is_string()) { return "must be a string"; }
      *static_cast<std::string*>(slot) = v.get<std::string>();
      return "";
    case Kind::Bool:
      if (!v.is_boolean()) { return "must be true or false"; }
      *static_cast<bool*>(slot) = v.get<bool>();
      return "";
    case Kind::Int:
      if (!v.is_number_integer()) { return "must be an integer"; }
      if (v.get<std::int64_t>() < std::numeric_limits<int>::min() ||
          v.get<std::int64_t>() > std::numeric_limits<int>::max()) {
        return "is out of range";
      }
      *static_cast<int*>(slot) = v.get<int>();
      return "";
    case Kind::Int64:
      if (!v.is_number_integer()) { return "must be an integer"; }
      *static_cast<std::int64_t*>(slot) = v.get<std::int64_t>();
      return "";
    case Kind::Double:
      if (!v.is_number()) { return "must be a number"; }
      *static_cast<double*>(slot) = v.get<double>();
      return "";
  }
  return "has an unknown type";
}

//! Sets a field from an environment string; returns an error text or "".
std::string setFromText(Config& c, const Field& f, const std::string& text) {
  void* slot = f.slot(c);
  switch (f.kind) {
    case Kind::String:
    case Kind::Secret:
      *static_cast<std::string*>(slot) = text;
      return "";
    case Kind::Bool:
      if (text == "true") { *static_cast<bool*>(slot) = true; return ""; }
      if (text == "false") { *static_cast<bool*>(slot) = false; return ""; }
      return "must be true or false";
    case Kind::Int:
    case Kind::Int64: {
      if (text.empty()) { return "must be a decimal integer"; }
      std::size_t used = 0;
      long long value = 0;
      try {
        value = std::stoll(text, &used, 10);
      } catch (...) {
        return "must be a decimal integer";
      }
      if (used != text.size()) { return "must be a decimal integer"; }
      if (f.kind == Kind::Int) {
        if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
          return "is out of range";
        }
        *static_cast<int*>(slot) = static_cast<int>(value);
      } else {
        *static_cast<std::int64_t*>(slot) = value;
      }
      return "";
    }
    case Kind::Double: {
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(text, &used);
      } catch (...) {
        return "must be a number";
      }
      if (used != text.size()) { return "must be a number"; }
      *static_cast<double*>(slot) = value;
      return "";
    }
  }
  return "has an unknown type";
}

std::string trimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) { s.pop_back(); }
  return s;
}

bool isHexKey(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
           return std::isxdigit(ch) != 0;
         });
}

//! http(s)://host[...]: a scheme, a host, no spaces or control characters.
bool isHttpUrl(const std::string& u) {
  std::size_t rest = 0;
  if (u.rfind("http://", 0) == 0) {
    rest = 7;
  } else if (u.rfind("https://", 0) == 0) {
    rest = 8;
  } else {
    return false;
  }
  if (rest >= u.size() || u[rest] == '/' || u[rest] == ':' || u[rest] == '?') { return false; }
  return std::none_of(u.begin(), u.end(), [](unsigned char ch) { return ch <= ' ' || ch == 0x7f; });
}

//! smtp://host[:port] or smtps://host[:port], nothing after the host but a port.
bool isSmtpUrl(const std::string& u) {
  std::size_t rest = 0;
  if (u.rfind("smtp://", 0) == 0) {
    rest = 7;
  } else if (u.rfind("smtps://", 0) == 0) {
    rest = 8;
  } else {
    return false;
  }
  std::string host = u.substr(rest);
  if (!host.empty() && host.back() == '/') { host.pop_back(); }
  return !host.empty() && host.front() != ':' && std::all_of(host.begin(), host.end(), [](unsigned char ch) {
    return std::isalnum(ch) != 0 || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']';
  });
}

//! Rules between keys and the form of every URL key.
void validateCrossKeys(const Config& c, std::vector<std::string>& errors) {
  auto need = [&errors](bool ok, const std::string& text) {
    if (!ok) { errors.push_back(text); }
  };
  // The HTTP layer refuses any body over server.max_body_bytes before the chat sees it.
  need(c.webchat.max_upload_bytes >= 1 && c.webchat.max_upload_bytes <= c.server.max_body_bytes,
       "webchat.max_upload_bytes: must be 1..server.max_body_bytes (" +
           std::to_string(c.server.max_body_bytes) + "); a larger upload never arrives");
  need(isHttpUrl(c.server.public_url), "server.public_url: must be an http(s) URL with a host");
  need(parseCidrList(c.server.trusted_proxies).has_value(),
       "server.trusted_proxies: must be comma-separated addresses or CIDR ranges "
       "(e.g. 127.0.0.1/32, ::1/128)");
  const std::pair<const char*, const std::string*> optional_urls[] = {
      {"whatsapp.api_base", &c.whatsapp.api_base},
      {"telegram.api_base", &c.telegram.api_base},
      {"matrix.homeserver_url", &c.matrix.homeserver_url},
  };
  for (const auto& [name, url] : optional_urls) {
    need(url->empty() || isHttpUrl(*url), std::string(name) + ": must be an http(s) URL with a host");
  }
}

void validate(const Config& c, std::vector<std::string>& errors) {
  auto need = [&errors](bool ok, const std::string& text) {
    if (!ok) { errors.push_back(text); }
  };
  validateCrossKeys(c, errors);
  need(c.server.port >= 0 && c.server.port <= 65535,
       "server.port: must be between 0 and 65535 (0 picks a free port)");
  need(!c.server.host.empty(), "server.host: must not be empty");
  need(c.server.threads >= 1 && c.server.threads <= 1024, "server.threads: must be 1..1024");
  need(c.server.max_threads >= c.server.threads && c.server.max_threads <= 16384,
       "server.max_threads: must be server.threads..16384");
  need(c.server.max_body_bytes >= 1024, "server.max_body_bytes: must be at least 1024");
  need(c.server.keep_alive_max_count >= 1, "server.keep_alive_max_count: must be at least 1");
  need(c.server.keep_alive_timeout_s >= 1, "server.keep_alive_timeout_s: must be at least 1");
  need(c.server.read_timeout_s >= 1, "server.read_timeout_s: must be at least 1");
  need(c.server.request_timeout_s >= 1, "server.request_timeout_s: must be at least 1");
  need(c.server.tls_cert_file.empty() == c.server.tls_key_file.empty(),
       "server.tls_cert_file and server.tls_key_file: set both (HTTPS) or neither (HTTP)");
  need(!c.storage.path.empty(), "storage.path: must not be empty");
  need(c.subscriptions.reminder_after_months >= 1 && c.subscriptions.reminder_after_months <= 120,
       "subscriptions.reminder_after_months: must be 1..120");
  need(c.subscriptions.remove_after_days >= 1 && c.subscriptions.remove_after_days <= 365,
       "subscriptions.remove_after_days: must be 1..365");
  need(c.subscriptions.first_pass_seconds >= 0 &&
           c.subscriptions.first_pass_seconds <= 24 * 3600,
       "subscriptions.first_pass_seconds: must be 0..86400");
  need(c.broadcasts.rate_share > 0 && c.broadcasts.rate_share <= 1,
       "broadcasts.rate_share: must be more than 0 and at most 1");
  need(c.oparl.poll_minutes >= 5 && c.oparl.poll_minutes <= 24 * 60,
       "oparl.poll_minutes: must be 5..1440");
  need(c.oparl.first_poll_seconds >= 0 && c.oparl.first_poll_seconds <= 24 * 3600,
       "oparl.first_poll_seconds: must be 0..86400");
  need(c.smtp.url.empty() || isSmtpUrl(c.smtp.url),
       "smtp.url: must be smtp://host[:port] (STARTTLS) or smtps://host[:port], or empty");
  need(c.smtp.url.empty() || isMailAddress(c.smtp.from),
       "smtp.from: must be the sender's mail address when smtp.url is set");
  need(c.smtp.digest_hour >= 0 && c.smtp.digest_hour <= 23, "smtp.digest_hour: must be 0..23");
  need(c.inbox.tile_url.empty() || isTileUrlTemplate(c.inbox.tile_url),
       "inbox.tile_url: must be an http(s) URL with {z}, {x} and {y} once each, e.g. "
       "https://tiles.stadt.example/{z}/{x}/{y}.png, or empty");
  need(c.inbox.tile_attribution.size() <= 200, "inbox.tile_attribution: at most 200 characters");
  need(c.oparl.url.empty() || isHttpUrl(c.oparl.url),
       "oparl.url: must be an http(s) URL or empty");
  need(!c.storage.media_dir.empty(), "storage.media_dir: must not be empty");
  need(c.storage.synchronous == "FULL" || c.storage.synchronous == "NORMAL",
       "storage.synchronous: must be FULL or NORMAL");
  need(c.storage.reader_connections >= 1 && c.storage.reader_connections <= 64,
       "storage.reader_connections: must be 1..64");
  need(c.storage.sync_delay_us >= 0 && c.storage.sync_delay_us <= 1000000,
       "storage.sync_delay_us: must be 0..1000000 (benchmarks only; 0 in production)");
  need(c.storage.postgresql.pool_size >= 1 && c.storage.postgresql.pool_size <= 64,
       "storage.postgresql.pool_size: must be 1..64");
  need(c.storage.postgresql.statement_timeout_ms >= 1 &&
           c.storage.postgresql.statement_timeout_ms <= 600000,
       "storage.postgresql.statement_timeout_ms: must be 1..600000");
  need(c.storage.backend == "sqlite" || c.storage.backend == "postgresql",
       "storage.backend: must be sqlite or postgresql");
  need(c.storage.backend != "postgresql" || !c.storage.postgresql.url.empty(),
       "storage.postgresql.url: must be set when storage.backend is postgresql");
  need(c.storage.postgresql.lease_ms >= 3000 && c.storage.postgresql.lease_ms <= 300000,
       "storage.postgresql.lease_ms: must be 3000..300000");
  // Above the longest send (30 s for a WhatsApp template, 10 s for the others), with room for
  // the wait before it: a claim that runs out during a send lets another instance send again.
  need(c.storage.postgresql.outbox_claim_ms >= 35000 &&
           c.storage.postgresql.outbox_claim_ms <= 600000,
       "storage.postgresql.outbox_claim_ms: must be 35000..600000");
  need(c.storage.postgresql.instance_id.size() <= 100,
       "storage.postgresql.instance_id: at most 100 characters");
  need(c.telegram.mode == "webhook" || c.telegram.mode == "polling",
       "telegram.mode: must be webhook or polling");
  need(c.log.level == "debug" || c.log.level == "info" || c.log.level == "warn" ||
           c.log.level == "error",
       "log.level: must be debug, info, warn or error");
  need(c.flows.idle_timeout_minutes >= 1, "flows.idle_timeout_minutes: must be at least 1");
  need(c.flows.reply_window_days >= 1 && c.flows.reply_window_days <= 365,
       "flows.reply_window_days: must be 1..365");
  need(c.flows.ticket_messages_per_day >= 1 && c.flows.ticket_messages_per_day <= 1000,
       "flows.ticket_messages_per_day: must be 1..1000");
  need(c.flows.sender_messages_per_minute >= 0 && c.flows.sender_messages_per_minute <= 100000,
       "flows.sender_messages_per_minute: must be 0..100000 (0: no limit)");
  need(c.flows.commit_max_tries >= 1 && c.flows.commit_max_tries <= 1000,
       "flows.commit_max_tries: must be 1..1000");
  need(c.flows.duplicate_radius_m >= 0, "flows.duplicate_radius_m: must not be negative");
  need(c.flows.workers >= 1 && c.flows.workers <= 64, "flows.workers: must be 1..64");
  need(c.webchat.max_message_chars >= 1, "webchat.max_message_chars: must be at least 1");
  need(c.webchat.messages_per_minute >= 1, "webchat.messages_per_minute: must be at least 1");
  need(c.whatsapp.rate_per_second >= 1, "whatsapp.rate_per_second: must be at least 1");
  need(c.whatsapp.send_concurrency >= 1 && c.whatsapp.send_concurrency <= 256,
       "whatsapp.send_concurrency: must be 1..256");
  need(c.whatsapp.recipient_interval_ms >= 0,
       "whatsapp.recipient_interval_ms: must not be negative");
  need(c.whatsapp.max_tries >= 1 && c.whatsapp.max_tries <= 100,
       "whatsapp.max_tries: must be 1..100");
  need(c.whatsapp.retry_base_ms >= 1, "whatsapp.retry_base_ms: must be at least 1");
  need(!c.whatsapp.list_button_label.empty() && c.whatsapp.list_button_label.size() <= 40,
       "whatsapp.list_button_label: 1..20 characters");
  need(std::all_of(c.whatsapp.business_account_id.begin(), c.whatsapp.business_account_id.end(),
                   [](unsigned char ch) { return std::isdigit(ch) != 0; }),
       "whatsapp.business_account_id: digits only (the WhatsApp Business Account id) or empty");
  need(c.telegram.rate_per_second >= 1, "telegram.rate_per_second: must be at least 1");
  need(c.telegram.per_chat_interval_ms >= 0,
       "telegram.per_chat_interval_ms: must not be negative");
  need(c.telegram.max_tries >= 1 && c.telegram.max_tries <= 100,
       "telegram.max_tries: must be 1..100");
  need(c.telegram.retry_base_ms >= 1, "telegram.retry_base_ms: must be at least 1");
  need(c.telegram.poll_timeout_s >= 0 && c.telegram.poll_timeout_s <= 50,
       "telegram.poll_timeout_s: must be 0..50");
  need(c.telegram.webhook_url.empty() || isHttpUrl(c.telegram.webhook_url),
       "telegram.webhook_url: must be an http(s) URL (Telegram itself needs https)");
  need(c.privacy.notice_version >= 1, "privacy.notice_version: must be at least 1");
  need(c.open311.public_grid_m >= 0 && c.open311.public_grid_m <= 10000,
       "open311.public_grid_m: must be 0..10000 (metres)");
  need(c.backoffice.max_tries >= 1 && c.backoffice.max_tries <= 100,
       "backoffice.max_tries: must be 1..100");
  need(c.backoffice.retry_base_ms >= 1, "backoffice.retry_base_ms: must be at least 1");
  need(c.backoffice.retry_max_ms >= c.backoffice.retry_base_ms &&
           c.backoffice.retry_max_ms <= 24 * 60 * 60 * 1000,
       "backoffice.retry_max_ms: must be backoffice.retry_base_ms..86400000 (24 hours)");
  need(c.backoffice.give_up_after_hours >= 1 && c.backoffice.give_up_after_hours <= 24 * 30,
       "backoffice.give_up_after_hours: must be 1..720");
  need(c.backoffice.photo_link_hours >= 1 && c.backoffice.photo_link_hours <= 24 * 30,
       "backoffice.photo_link_hours: must be 1..720");
  {
    std::vector<std::pair<std::string, std::string>> urls;
    need(parseDepartmentUrls(c.backoffice.department_urls, urls),
         "backoffice.department_urls: must be \"dept=url,dept=url\" or an object of URLs");
    const bool pushes = !c.backoffice.url.empty() || !urls.empty();
    need(!pushes || !c.backoffice.secret.empty(),
         "backoffice.secret: required when backoffice.url or department_urls is set "
         "(BUERGERBOX_BACKOFFICE_SECRET or backoffice.secret_file)");
    const auto isHttp = isHttpUrl;
    need(c.backoffice.url.empty() || isHttp(c.backoffice.url),
         "backoffice.url: must start with http:// or https://");
    for (const auto& [dept, url] : urls) {
      need(isHttp(url), "backoffice.department_urls: " + dept + " must be an http(s) URL");
    }
  }

  {
    std::vector<std::pair<std::string, std::string>> names;
    need(parseDepartmentNames(c.flows.department_names, names),
         "flows.department_names: must be \"id=Name;id=Name\" (names of 1..120 characters) or "
         "an object of names");
  }

  // Keys: in demo mode missing keys are generated later; a key that is set must be well-formed.
  for (const auto& [name, value] : {std::pair{"privacy.pseudonym_key", &c.privacy.pseudonym_key},
                                    std::pair{"privacy.encryption_key", &c.privacy.encryption_key}}) {
    if (value->empty()) {
      need(c.demo, std::string(name) + ": required (64 hex characters, 32 bytes) outside demo mode");
    } else {
      need(isHexKey(*value), std::string(name) + ": must be 64 hex characters (32 bytes)");
    }
  }
  need(c.retention.closed_ticket_days >= 1, "retention.closed_ticket_days: must be at least 1");
  need(c.retention.draft_days >= 1, "retention.draft_days: must be at least 1");
  need(c.retention.message_days >= 8,
       "retention.message_days: must be at least 8 (platforms redeliver webhooks for up to 7 days)");
  need(c.retention.interval_minutes >= 0, "retention.interval_minutes: must not be negative");
  for (const auto& previous : splitKeyList(c.privacy.previous_encryption_keys)) {
    need(isHexKey(previous),
         "privacy.previous_encryption_keys: each key must be 64 hex characters (comma-separated)");
  }
  if (c.whatsapp.enabled) {
    need(!c.whatsapp.api_base.empty(), "whatsapp.api_base: required when whatsapp is enabled");
    need(!c.whatsapp.phone_number_id.empty(),
         "whatsapp.phone_number_id: required when whatsapp is enabled");
    need(!c.whatsapp.app_secret.empty(), "whatsapp.app_secret: required when whatsapp is enabled");
    need(!c.whatsapp.verify_token.empty(),
         "whatsapp.verify_token: required when whatsapp is enabled");
    need(!c.whatsapp.access_token.empty(),
         "whatsapp.access_token: required when whatsapp is enabled");
  }
  if (c.telegram.enabled) {
    need(!c.telegram.bot_token.empty(), "telegram.bot_token: required when telegram is enabled");
    need(c.telegram.mode != "webhook" || !c.telegram.secret_token.empty(),
         "telegram.secret_token: required in webhook mode");
  }
  if (c.matrix.enabled) {
    need(!c.matrix.homeserver_url.empty(), "matrix.homeserver_url: required when matrix is enabled");
    need(!c.matrix.server_name.empty(), "matrix.server_name: required when matrix is enabled");
    need(!c.matrix.as_token.empty(), "matrix.as_token: required when matrix is enabled");
    need(!c.matrix.hs_token.empty(), "matrix.hs_token: required when matrix is enabled");
    need(c.matrix.rate_per_second >= 1, "matrix.rate_per_second: must be at least 1");
    need(c.matrix.recipient_interval_ms >= 0, "matrix.recipient_interval_ms: must not be negative");
    need(c.matrix.max_tries >= 1, "matrix.max_tries: must be at least 1");
    need(c.matrix.retry_base_ms >= 1, "matrix.retry_base_ms: must be at least 1");
    need(!c.matrix.sender_localpart.empty(), "matrix.sender_localpart: must not be empty");
  }
}

}  // namespace

//! A plain mail address: something@host.tld, no spaces, quotes or angle brackets (it goes into a
//! mail header and an SMTP command).
bool isMailAddress(const std::string& a) {
  const auto at = a.find('@');
  if (a.size() > 254 || at == std::string::npos || at == 0 || a.find('@', at + 1) != std::string::npos) {
    return false;
  }
  if (a.find('.', at) == std::string::npos || a.back() == '.') { return false; }
  return std::all_of(a.begin(), a.end(), [](unsigned char ch) {
    return ch > ' ' && ch < 0x7f && ch != '<' && ch != '>' && ch != '"' && ch != ',' && ch != ';' &&
           ch != '(' && ch != ')' && ch != '\\';
  });
}

bool isTileUrlTemplate(const std::string& url) {
  std::size_t rest = 0;
  if (url.rfind("https://", 0) == 0) {
    rest = 8;
  } else if (url.rfind("http://", 0) == 0) {
    rest = 7;
  } else {
    return false;
  }
  std::string left = url;
  for (const std::string part : {"{z}", "{x}", "{y}"}) {
    const auto at = left.find(part);
    if (at == std::string::npos || left.find(part, at + 1) != std::string::npos) { return false; }
    left.replace(at, part.size(), "0");
  }
  // The host: not empty, no placeholder in it (the CSP allows one fixed origin).
  const auto slash = url.find('/', rest);
  if (slash == std::string::npos || slash == rest || url[rest] == ':' ||
      url.find('{') < slash) {
    return false;
  }
  return std::none_of(left.begin(), left.end(), [](unsigned char ch) {
    return ch <= ' ' || ch == 0x7f || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch == '{' ||
           ch == '}' || ch == '\\';
  });
}

namespace {

//! "key=value<sep>key=value": false on an entry without key or value.
bool parsePairs(const std::string& text, char sep,
                std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  std::size_t start = 0;
  while (start < text.size()) {
    const auto comma = text.find(sep, start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) { continue; }
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) { return false; }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return true;
}

}  // namespace

bool parseDepartmentUrls(const std::string& text,
                         std::vector<std::pair<std::string, std::string>>& out) {
  return parsePairs(text, ',', out);
}

bool parseDepartmentNames(const std::string& text,
                          std::vector<std::pair<std::string, std::string>>& out) {
  if (!parsePairs(text, ';', out)) { return false; }
  for (auto& [id, name] : out) {
    const auto trim = [](std::string& s) {
      const auto a = s.find_first_not_of(" \t");
      const auto b = s.find_last_not_of(" \t");
      s = a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    trim(id);
    trim(name);
    if (id.empty() || name.empty() || name.size() > 120) { return false; }
  }
  return true;
}

EnvReader processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at startup
    if (v == nullptr) { return std::nullopt; }
    return std::string(v);
  };
}

FileReader diskFiles() {
  return [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) { return std::nullopt; }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
}

LoadResult parseConfig(const std::string& json_text, const EnvReader& env, const FileReader& files) {
  LoadResult out;
  Config& c = out.config;
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    out.errors.push_back("config: not a JSON object");
    return out;
  }

  // Known section/key pairs, including the `<secret>_file` variants.
  auto findField = [](const std::string& section, const std::string& key) -> const Field* {
    for (const auto& f : fields()) {
      if (f.section == section && f.key == key) { return &f; }
    }
    return nullptr;
  };
  auto isSection = [](const std::string& name) {
    return std::any_of(fields().begin(), fields().end(),
                       [&name](const Field& f) { return f.section == name; });
  };

  std::vector<std::pair<const Field*, std::string>> file_secrets;  // field, path
  auto visit = [&](const std::string& section, const std::string& key, const json& value) {
    const std::string where = section.empty() ? key : section + "." + key;
    if (const Field* f = findField(section, key)) {
      if (f->kind == Kind::Secret) {
        if (value.is_string() && !value.get<std::string>().empty()) {
          out.errors.push_back(where + ": secrets must not be in the config file; set " +
                               envNameOf(*f) + " or " + where + "_file");
        }
        return;
      }
      if (auto err = setFromJson(c, *f, value); !err.empty()) {
        out.errors.push_back(where + ": " + err);
      }
      return;
    }
    const std::string suffix = "_file";
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const Field* f = findField(section, key.substr(0, key.size() - suffix.size()));
      if (f != nullptr && f->kind == Kind::Secret) {
        if (!value.is_string()) {
          out.errors.push_back(where + ": must be a string (a file path)");
        } else if (!value.get<std::string>().empty()) {
          file_secrets.emplace_back(f, value.get<std::string>());
        }
        return;
      }
    }
    out.errors.push_back(where + ": unknown key");
  };

  for (const auto& [name, value] : root.items()) {
    if (value.is_object() && isSection(name)) {
      for (const auto& [key, inner] : value.items()) {
        // One level of sub-sections ("storage": {"postgresql": {...}}).
        if (const std::string sub = name + "." + key; inner.is_object() && isSection(sub)) {
          for (const auto& [sub_key, sub_value] : inner.items()) { visit(sub, sub_key, sub_value); }
        } else {
          visit(name, key, inner);
        }
      }
    } else if (isSection(name)) {
      out.errors.push_back(name + ": must be an object");
    } else {
      visit("", name, value);
    }
  }

  // Secrets from files named in the config, then environment overrides (which win).
  for (const auto& [f, path] : file_secrets) {
    if (auto text = files(path)) {
      *static_cast<std::string*>(f->slot(c)) = trimTrailingNewlines(*text);
    } else {
      out.errors.push_back(pathOf(*f) + "_file: cannot read the file");
    }
  }
  // systemd credentials (LoadCredential=privacy.pseudonym_key:/etc/...): for secrets still unset.
  if (auto dir = env("CREDENTIALS_DIRECTORY"); dir && !dir->empty()) {
    for (const auto& f : fields()) {
      auto* slot = static_cast<std::string*>(f.slot(c));
      if (f.kind != Kind::Secret || !slot->empty()) { continue; }
      if (auto text = files(*dir + "/" + pathOf(f))) { *slot = trimTrailingNewlines(*text); }
    }
  }
  for (const auto& f : fields()) {
    if (auto v = env(envNameOf(f))) {
      if (auto err = setFromText(c, f, *v); !err.empty()) {
        out.errors.push_back(envNameOf(f) + " (" + pathOf(f) + "): " + err);
      }
    }
    if (f.kind == Kind::Secret) {
      if (auto p = env(envNameOf(f) + "_FILE")) {
        if (auto text = files(*p)) {
          *static_cast<std::string*>(f.slot(c)) = trimTrailingNewlines(*text);
        } else {
          out.errors.push_back(envNameOf(f) + "_FILE: cannot read the file");
        }
      }
    }
  }
  validate(c, out.errors);
  return out;
}

LoadResult loadConfig(const std::string& path, const EnvReader& env, const FileReader& files) {
  auto text = files(path);
  if (!text) {
    LoadResult out;
    out.errors.push_back("config: cannot read " + path);
    return out;
  }
  if (auto syntax = jsonSyntaxError(*text)) {
    LoadResult out;
    out.errors.push_back(inFile(path, *syntax));
    return out;
  }
  return parseConfig(*text, env, files);
}

std::vector<std::string> unknownEnvironmentNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  const std::string prefix = "BUERGERBOX_";
  for (const auto& name : names) {
    if (name.rfind(prefix, 0) != 0) { continue; }
    const bool known = std::any_of(fields().begin(), fields().end(), [&name](const Field& f) {
      return name == envNameOf(f) || (f.kind == Kind::Secret && name == envNameOf(f) + "_FILE");
    });
    if (!known) { out.push_back(name); }
  }
  return out;
}

std::vector<std::string> processEnvNames() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    out.push_back(entry.substr(0, entry.find('=')));
  }
  return out;
}

std::vector<KeyInfo> allKeys() {
  std::vector<KeyInfo> out;
  for (const auto& f : fields()) { out.push_back({pathOf(f), envNameOf(f), f.kind == Kind::Secret}); }
  return out;
}

std::vector<std::string> splitKeyList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  auto flush = [&] {
    const auto first = item.find_first_not_of(" \t\r\n");
    const auto last = item.find_last_not_of(" \t\r\n");
    if (first != std::string::npos) { out.push_back(item.substr(first, last - first + 1)); }
    item.clear();
  };
  for (char ch : text) {
    if (ch == ',') {
      flush();
    } else {
      item += ch;
    }
  }
  flush();
  return out;
}

std::string maskSecret(const std::string& secret) {
  if (secret.empty()) { return "(unset)"; }
  if (secret.size() <= 8) { return "****"; }
  return "****" + secret.substr(secret.size() - 4);
}

}  // namespace bb::config
