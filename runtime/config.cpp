#include "runtime/config.hpp"

#include "protocol/identifiers.hpp"
#include "protocol/json.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

namespace rxon::runtime {

namespace {

/// One option: its flag (--name), environment variable, file key, and how
/// to set it from text or JSON.
struct option {
  const char* name; ///< flag name and file key, e.g. "listen"
  const char* env;  ///< e.g. "RXON_LISTEN"; nullptr: none
  const char* help;
  bool is_switch; ///< a flag without value (--require-client-cert)
  std::function<status(serve_config&, std::string_view)> from_text;
  std::function<status(serve_config&, const json::value&)> from_json;
};

status bad(std::string_view name, std::string_view why) {
  return error{errc::invalid_value,
               std::string{name} + ": " + std::string{why}};
}

template <class T>
status parse_int(std::string_view name, std::string_view text, T& out) {
  T v{};
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size())
    return bad(name, "expected an integer, got '" + std::string{text} + "'");
  out = v;
  return {};
}

status parse_bool(std::string_view name, std::string_view text, bool& out) {
  if (text == "1" || text == "true" || text == "yes" || text == "on")
    out = true;
  else if (text == "0" || text == "false" || text == "no" || text == "off")
    out = false;
  else
    return bad(name, "expected true or false, got '" + std::string{text} + "'");
  return {};
}

status parse_double(std::string_view name, std::string_view text, double& out) {
  try {
    std::size_t used = 0;
    auto v = std::stod(std::string{text}, &used);
    if (used != text.size())
      throw std::invalid_argument("trailing");
    out = v;
  } catch (...) {
    return bad(name, "expected a number, got '" + std::string{text} + "'");
  }
  return {};
}

/// "a=b,c=d" -> map.
status parse_map(std::string_view name, std::string_view text,
                 std::map<std::string, std::string>& out) {
  std::stringstream ss{std::string{text}};
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return bad(name, "expected key=value pairs, got '" + item + "'");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return {};
}

template <class T>
option int_opt(const char* name, const char* env, const char* help,
               T serve_config::*field) {
  return {name,
          env,
          help,
          false,
          [name, field](serve_config& c, std::string_view t) {
            return parse_int(name, t, c.*field);
          },
          [name, field](serve_config& c, const json::value& v) -> status {
            if (!v.is_integral())
              return bad(name, "expected an integer");
            c.*field = static_cast<T>(v.as_double());
            return {};
          }};
}

option str_opt(const char* name, const char* env, const char* help,
               std::string serve_config::*field) {
  return {name,
          env,
          help,
          false,
          [field](serve_config& c, std::string_view t) -> status {
            c.*field = std::string{t};
            return {};
          },
          [name, field](serve_config& c, const json::value& v) -> status {
            if (!v.is_string())
              return bad(name, "expected a string");
            c.*field = v.as_string();
            return {};
          }};
}

option bool_opt(const char* name, const char* env, const char* help,
                bool serve_config::*field) {
  return {name,
          env,
          help,
          true,
          [name, field](serve_config& c, std::string_view t) {
            return parse_bool(name, t, c.*field);
          },
          [name, field](serve_config& c, const json::value& v) -> status {
            if (!v.is_bool())
              return bad(name, "expected true or false");
            c.*field = v.as_bool();
            return {};
          }};
}

option double_opt(const char* name, const char* env, const char* help,
                  double serve_config::*field) {
  return {name,
          env,
          help,
          false,
          [name, field](serve_config& c, std::string_view t) {
            return parse_double(name, t, c.*field);
          },
          [name, field](serve_config& c, const json::value& v) -> status {
            if (!v.is_number())
              return bad(name, "expected a number");
            c.*field = v.as_double();
            return {};
          }};
}

option map_opt(const char* name, const char* env, const char* help,
               std::map<std::string, std::string> serve_config::*field) {
  return {name,
          env,
          help,
          false,
          [name, field](serve_config& c, std::string_view t) {
            return parse_map(name, t, c.*field);
          },
          [name, field](serve_config& c, const json::value& v) -> status {
            if (!v.is_object())
              return bad(name, "expected an object of strings");
            for (const auto& m : v.as_object()) {
              if (!m.val.is_string())
                return bad(std::string{name} + "." + m.key,
                           "expected a string");
              (c.*field)[m.key] = m.val.as_string();
            }
            return {};
          }};
}

const std::vector<option>& options() {
  using c = serve_config;
  static const std::vector<option> all = {
      str_opt("listen", "RXON_LISTEN", "HOST:PORT to listen on", &c::listen),
      str_opt("db", "RXON_DB", "SQLite file; '' or ':memory:' keeps nothing",
              &c::db),
      str_opt("synchronous", "RXON_SYNCHRONOUS", "SQLite sync: normal | full",
              &c::synchronous),
      str_opt("worker-token", "RXON_WORKER_TOKEN",
              "global worker token (cannot claim ids with their own token)",
              &c::worker_token),
      map_opt("worker-tokens", "RXON_WORKER_TOKENS",
              "per-worker tokens: id=token,id=token", &c::worker_tokens),
      {"client-token", "RXON_CLIENT_TOKEN",
       "a client API token (repeatable; TOKEN or TOKEN=name)", false,
       [](serve_config& cfg, std::string_view t) -> status {
         auto eq = t.find('=');
         auto token = std::string{t.substr(0, eq)};
         if (token.empty())
           return bad("client-token", "empty token");
         cfg.client_tokens[token] = eq == std::string_view::npos
                                        ? "client"
                                        : std::string{t.substr(eq + 1)};
         return {};
       },
       [](serve_config& cfg, const json::value& v) -> status {
         if (!v.is_string())
           return bad("client-token", "expected a string");
         cfg.client_tokens[v.as_string()] = "client";
         return {};
       }},
      map_opt("client-tokens", "RXON_CLIENT_TOKENS",
              "client API tokens: token=name,token=name", &c::client_tokens),
      str_opt("auth-mode", "RXON_AUTH_MODE", "mixed | mtls-only | token-only",
              &c::auth_mode),
      bool_opt("require-signatures", "RXON_REQUIRE_SIGNATURES",
               "require HMAC-signed worker messages", &c::require_signatures),
      map_opt("worker-secrets", "RXON_WORKER_SECRETS",
              "per-worker HMAC secrets: id=secret", &c::worker_secrets),
      bool_opt("rate-limits", "RXON_RATE_LIMITS",
               "per-worker rate limits (429 with Retry-After)",
               &c::rate_limits),
      str_opt("tls-cert", "RXON_TLS_CERT", "server certificate (PEM)",
              &c::tls_cert),
      str_opt("tls-key", "RXON_TLS_KEY", "server private key (PEM)",
              &c::tls_key),
      str_opt("tls-ca", "RXON_TLS_CA",
              "CA bundle to verify client certificates", &c::tls_ca),
      bool_opt("require-client-cert", "RXON_REQUIRE_CLIENT_CERT",
               "refuse TLS clients without a certificate (mTLS)",
               &c::require_client_cert),
      int_opt("io-threads", "RXON_IO_THREADS", "HTTP io threads",
              &c::io_threads),
      int_opt("scheduler-threads", "RXON_SCHEDULER_THREADS",
              "actor scheduler threads", &c::scheduler_threads),
      bool_opt("batch-scheduling", "RXON_BATCH_SCHEDULING",
               "actor and storage threads under SCHED_BATCH (Linux), so "
               "their wake-ups do not preempt the io threads; "
               "--batch-scheduling=false turns it off",
               &c::batch_scheduling),
      bool_opt("huge-pages", "RXON_HUGE_PAGES",
               "back the heap with transparent huge pages (very large "
               "holarchies; bursts of submissions pay for them)",
               &c::huge_pages),
      int_opt("max-body-bytes", "RXON_MAX_BODY_BYTES",
              "largest request body (413 beyond)", &c::max_body_bytes),
      int_opt("read-timeout-ms", "RXON_READ_TIMEOUT_MS",
              "time to receive a request", &c::read_timeout_ms),
      int_opt("idle-timeout-ms", "RXON_IDLE_TIMEOUT_MS", "keep-alive idle time",
              &c::idle_timeout_ms),
      int_opt("max-connections", "RXON_MAX_CONNECTIONS", "connection cap",
              &c::max_connections),
      int_opt("max-poll-timeout-ms", "RXON_MAX_POLL_TIMEOUT_MS",
              "cap on a long poll's timeout", &c::max_poll_timeout_ms),
      int_opt("grace-period-ms", "RXON_GRACE_PERIOD_MS", "SIGTERM drain budget",
              &c::grace_period_ms),
      str_opt("strategy", "RXON_STRATEGY",
              "default | round_robin | least_loaded | cheapest", &c::strategy),
      int_opt("lease-ms", "RXON_LEASE_MS", "result timeout of a delivered task",
              &c::lease_ms),
      int_opt("holon-ttl-ms", "RXON_HOLON_TTL_MS",
              "a holon silent this long is lost", &c::holon_ttl_ms),
      int_opt("retry-base-ms", "RXON_RETRY_BASE_MS", "first retry backoff",
              &c::retry_base_ms),
      int_opt("retry-max-ms", "RXON_RETRY_MAX_MS", "retry backoff cap",
              &c::retry_max_ms),
      double_opt("reputation-floor", "RXON_REPUTATION_FLOOR",
                 "below it a holon gets no tasks", &c::reputation_floor),
      str_opt("uplink", "RXON_UPLINK",
              "parent orchestrator URL: register there as a holon", &c::uplink),
      str_opt("uplink-id", "RXON_UPLINK_ID", "worker id at the parent",
              &c::uplink_id),
      str_opt("uplink-token", "RXON_UPLINK_TOKEN", "worker token at the parent",
              &c::uplink_token),
      str_opt("uplink-tls-ca", "RXON_UPLINK_TLS_CA",
              "CA bundle to verify the parent (https)", &c::uplink_tls_ca),
      str_opt("uplink-secret", "RXON_UPLINK_SECRET",
              "HMAC secret at the parent, to sign messages", &c::uplink_secret),
      int_opt("uplink-heartbeat-ms", "RXON_UPLINK_HEARTBEAT_MS",
              "heartbeat period towards the parent", &c::uplink_heartbeat_ms),
      int_opt("uplink-place-ms", "RXON_UPLINK_PLACE_MS",
              "a pulled task not placed locally within this goes back",
              &c::uplink_place_ms),
      int_opt("uplink-backlog", "RXON_UPLINK_BACKLOG",
              "results kept while the parent is unreachable",
              &c::uplink_backlog),
      str_opt("log-format", "RXON_LOG_FORMAT", "text | json (JSON lines)",
              &c::log_format),
      str_opt("log-level", "RXON_LOG_LEVEL", "debug | info | warn | error",
              &c::log_level),
  };
  return all;
}

const option* find_option(std::string_view name) {
  for (const auto& o : options())
    if (name == o.name)
      return &o;
  return nullptr;
}

status apply_file(serve_config& cfg, const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return error{errc::not_found, "config file '" + path + "' cannot be read"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::parse(ss.str());
  if (!doc)
    return error{errc::invalid_json,
                 "config file '" + path + "': " + doc.error().message};
  if (!doc->is_object())
    return error{errc::wrong_type,
                 "config file '" + path + "': expected a JSON object"};
  for (const auto& m : doc->as_object()) {
    // Accept snake_case keys too: "worker_token" == "worker-token".
    std::string key = m.key;
    for (auto& ch : key)
      if (ch == '_')
        ch = '-';
    const auto* opt = find_option(key);
    if (!opt)
      return error{errc::invalid_value, "config file '" + path
                                            + "': unknown option '" + m.key
                                            + "'"};
    if (auto st = opt->from_json(cfg, m.val); !st)
      return error{st.error().code,
                   "config file '" + path + "': " + st.error().message};
  }
  return {};
}

} // namespace

result<std::pair<std::string, uint16_t>> serve_config::endpoint() const {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return error{errc::invalid_value,
                 "listen: expected HOST:PORT, got '" + listen + "'"};
  uint16_t port = 0;
  auto p = std::string_view{listen}.substr(colon + 1);
  auto r = std::from_chars(p.data(), p.data() + p.size(), port);
  if (r.ec != std::errc{} || r.ptr != p.data() + p.size())
    return error{errc::invalid_value, "listen: bad port in '" + listen + "'"};
  auto host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host.empty() ? std::string{"0.0.0.0"} : host, port);
}

result<serve_config> load_config(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  serve_config cfg;
  auto env_value = [&](std::string_view name) -> const std::string* {
    for (const auto& e : env)
      if (e.size() > name.size() && e.compare(0, name.size(), name) == 0
          && e[name.size()] == '=')
        return &e;
    return nullptr;
  };
  // 1. the file
  std::string file;
  if (const auto* e = env_value("RXON_CONFIG"))
    file = e->substr(sizeof("RXON_CONFIG"));
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i] == "--config" && i + 1 < args.size())
      file = args[i + 1];
    else if (args[i].rfind("--config=", 0) == 0)
      file = args[i].substr(9);
  if (!file.empty())
    if (auto st = apply_file(cfg, file); !st)
      return st.error();
  // 2. the environment
  for (const auto& o : options()) {
    if (!o.env)
      continue;
    if (const auto* e = env_value(o.env)) {
      auto value
          = std::string_view{*e}.substr(std::string_view{o.env}.size() + 1);
      if (auto st = o.from_text(cfg, value); !st)
        return error{st.error().code,
                     std::string{o.env} + ": " + st.error().message};
    }
  }
  // 3. the flags
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.rfind("--", 0) != 0)
      return error{errc::invalid_value,
                   "unexpected argument '" + args[i] + "'"};
    a.remove_prefix(2);
    std::string_view name = a;
    std::optional<std::string_view> value;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    if (name == "config") {
      if (!value)
        ++i;
      continue;
    }
    const auto* opt = find_option(name);
    if (!opt)
      return error{errc::invalid_value, "unknown flag '--" + std::string{name}
                                            + "' (see rxon serve --help)"};
    if (!value) {
      if (opt->is_switch) {
        value = "true";
      } else {
        if (i + 1 >= args.size())
          return error{errc::invalid_value,
                       "--" + std::string{name} + " needs a value"};
        value = args[++i];
      }
    }
    if (auto st = opt->from_text(cfg, *value); !st)
      return st.error();
  }
  if (auto st = validate(cfg); !st)
    return st.error();
  return cfg;
}

namespace {

status validate_uplink(const serve_config& cfg) {
  if (cfg.uplink.empty()) {
    if (!cfg.uplink_id.empty() || !cfg.uplink_token.empty())
      return bad("uplink", "uplink-id and uplink-token need --uplink URL");
    return {};
  }
  if (cfg.uplink.rfind("http://", 0) != 0
      && cfg.uplink.rfind("https://", 0) != 0)
    return bad("uplink",
               "expected an http:// or https:// URL, got '" + cfg.uplink + "'");
  if (cfg.uplink_id.empty())
    return bad("uplink-id", "required with --uplink");
  if (!is_valid_identifier(cfg.uplink_id))
    return bad("uplink-id", "invalid identifier '" + cfg.uplink_id + "'");
  if (cfg.uplink_token.empty())
    return bad("uplink-token", "required with --uplink");
  if (cfg.uplink_heartbeat_ms <= 0 || cfg.uplink_place_ms <= 0)
    return bad("uplink",
               "uplink-heartbeat-ms and uplink-place-ms must be positive");
  if (cfg.uplink_backlog < 1)
    return bad("uplink-backlog", "must be >= 1");
  return {};
}

} // namespace

status validate(const serve_config& cfg) {
  if (auto ep = cfg.endpoint(); !ep)
    return ep.error();
  if (cfg.tls_cert.empty() != cfg.tls_key.empty())
    return error{errc::invalid_value,
                 "tls-cert and tls-key must be given together"};
  if (cfg.require_client_cert && cfg.tls_cert.empty())
    return error{errc::invalid_value,
                 "require-client-cert needs tls-cert and tls-key"};
  if (cfg.auth_mode != "mixed" && cfg.auth_mode != "mtls-only"
      && cfg.auth_mode != "token-only")
    return bad("auth-mode", "expected mixed, mtls-only or token-only, got '"
                                + cfg.auth_mode + "'");
  if (cfg.synchronous != "normal" && cfg.synchronous != "full")
    return bad("synchronous", "expected normal or full");
  if (cfg.strategy != "default" && cfg.strategy != "round_robin"
      && cfg.strategy != "least_loaded" && cfg.strategy != "cheapest")
    return bad("strategy",
               "expected default, round_robin, least_loaded or cheapest");
  if (cfg.log_format != "text" && cfg.log_format != "json")
    return bad("log-format", "expected text or json");
  if (cfg.io_threads < 1 || cfg.scheduler_threads < 1)
    return bad("threads", "io-threads and scheduler-threads must be >= 1");
  if (cfg.lease_ms <= 0 || cfg.holon_ttl_ms <= 0)
    return bad("timeouts", "lease-ms and holon-ttl-ms must be positive");
  return validate_uplink(cfg);
}

const char* serve_usage() {
  static const std::string text = [] {
    std::string out = "usage: rxon serve [--config FILE] [options]\n\n"
                      "Options (flag, environment variable):\n";
    for (const auto& o : options()) {
      out += "  --";
      out += o.name;
      out += o.is_switch ? "" : " VALUE";
      out += "\n      ";
      out += o.help;
      if (o.env) {
        out += " [";
        out += o.env;
        out += "]";
      }
      out += "\n";
    }
    out += "  --config FILE\n      JSON file with any of the options above "
           "as keys [RXON_CONFIG]\n";
    return out;
  }();
  return text.c_str();
}

} // namespace rxon::runtime
