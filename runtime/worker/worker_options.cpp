#include "runtime/worker/worker_options.hpp"

#include "protocol/codec.hpp"
#include "protocol/identifiers.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace rxon::runtime {

namespace {

error bad(std::string_view flag, std::string_view what) {
  return error{errc::invalid_value,
               "--" + std::string{flag} + ": " + std::string{what}};
}

result<int64_t> parse_int(std::string_view flag, const std::string& text,
                          int64_t min, int64_t max) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < min
      || n > max)
    return bad(flag, "expected an integer " + std::to_string(min) + ".."
                         + std::to_string(max) + ", got '" + text + "'");
  return n;
}

result<double> parse_seconds(std::string_view flag, const std::string& text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(d)
      || d < 0 || d > 3600)
    return bad(flag, "expected seconds 0..3600, got '" + text + "'");
  return d;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos)
      comma = text.size();
    if (comma > start)
      out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

} // namespace

const char* worker_usage() {
  return R"(usage: rxon worker --url URL --id ID --token TOKEN
                   (--exec CMD | --echo | --sleep-ms N) [options]

Runs a worker (holon): registers, heartbeats, keeps the WebSocket command
channel open and long-polls for tasks, up to --concurrency at a time.

Task modes:
  --exec CMD          run CMD with /bin/sh -c, the task params as JSON on
                      stdin; stdout must be JSON and becomes the result.
                      Non-zero exit or non-JSON stdout: PERMANENT_ERROR;
                      killed by a signal: TRANSIENT_ERROR (retried).
  --echo              return the params as the result
  --sleep-ms N        sleep N ms, then return {"slept_ms":N}

Options:
  --skills a,b        skill names (default: exec, echo or sleep)
  --resources JSON    Resources object, e.g. '{"properties":{"cpu_cores":4}}'
  --concurrency N     tasks in flight (default 1)
  --heartbeat-ms N    heartbeat period (default 5000)
  --poll-timeout-s S  long-poll hold time (default 5)
  --grace-ms N        SIGTERM: time left to in-flight tasks (default 30000)
  --max-backoff-ms N  reconnection backoff cap (default 5000)
  --secret S          sign messages with this HMAC secret (orchestrators
                      that require signatures)
  --tls-ca FILE       CA bundle for https/wss
  --tls-cert FILE     client certificate (PEM) for mTLS, with --tls-key
  --tls-key FILE      client private key (PEM) for mTLS
  --tls-insecure      do not verify the server certificate
  --log-format F      text | json (default text)
  --log-level L       debug | info | warn | error (default info)
)";
}

result<worker_options> parse_worker_args(const std::vector<std::string>& args) {
  worker_options o;
  int modes = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (!flag.starts_with("--"))
      return error{errc::invalid_value, "unexpected argument '" + flag + "'"};
    flag.erase(0, 2);
    if (auto eq = flag.find('='); eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag.resize(eq);
    }
    auto is_switch = flag == "echo" || flag == "tls-insecure";
    if (is_switch) {
      if (inline_value)
        return bad(flag, "takes no value");
      if (flag == "echo") {
        o.mode = task_mode::echo;
        ++modes;
      } else {
        o.tls_insecure = true;
      }
      continue;
    }
    if (!inline_value && i + 1 >= args.size())
      return bad(flag, "missing value");
    const std::string value = inline_value ? *inline_value : args[++i];
    if (flag == "url") {
      o.url = value;
    } else if (flag == "id") {
      if (!is_valid_identifier(value))
        return bad(flag, "invalid identifier '" + value + "'");
      o.worker_id = value;
    } else if (flag == "token") {
      o.token = value;
    } else if (flag == "skills") {
      o.skills = split_list(value);
      for (const auto& s : o.skills)
        if (!is_valid_identifier(s))
          return bad(flag, "invalid skill name '" + s + "'");
    } else if (flag == "resources") {
      auto v = json::parse(value);
      if (!v)
        return bad(flag, v.error().message);
      auto r = from_json<rxon::resources>(*v);
      if (!v->is_object() || !r)
        return bad(flag, v->is_object() ? r.error().message
                                        : "expected a JSON object");
      o.resources = std::move(*r);
    } else if (flag == "concurrency") {
      auto n = parse_int(flag, value, 1, 1024);
      if (!n)
        return n.error();
      o.concurrency = static_cast<int>(*n);
    } else if (flag == "exec") {
      if (value.empty())
        return bad(flag, "empty command");
      o.mode = task_mode::exec;
      o.exec_command = value;
      ++modes;
    } else if (flag == "sleep-ms") {
      auto n = parse_int(flag, value, 0, 86'400'000);
      if (!n)
        return n.error();
      o.mode = task_mode::sleep;
      o.sleep_ms = *n;
      ++modes;
    } else if (flag == "heartbeat-ms" || flag == "grace-ms"
               || flag == "max-backoff-ms") {
      auto n = parse_int(flag, value, flag == "grace-ms" ? 0 : 10, 3'600'000);
      if (!n)
        return n.error();
      std::chrono::milliseconds ms{*n};
      (flag == "heartbeat-ms" ? o.heartbeat_interval
       : flag == "grace-ms"   ? o.grace_period
                              : o.max_backoff)
          = ms;
    } else if (flag == "poll-timeout-s") {
      auto s = parse_seconds(flag, value);
      if (!s)
        return s.error();
      o.poll_timeout_s = *s;
    } else if (flag == "tls-ca") {
      o.tls_ca = value;
    } else if (flag == "secret") {
      if (value.empty())
        return bad(flag, "empty secret");
      o.secret = value;
    } else if (flag == "tls-cert") {
      o.tls_cert = value;
    } else if (flag == "tls-key") {
      o.tls_key = value;
    } else if (flag == "log-format") {
      if (value != "text" && value != "json")
        return bad(flag, "expected text or json");
      o.log_format = value;
    } else if (flag == "log-level") {
      if (value != "debug" && value != "info" && value != "warn"
          && value != "error")
        return bad(flag, "expected debug, info, warn or error");
      o.log_level = value;
    } else {
      return error{errc::invalid_value, "unknown flag --" + flag};
    }
  }
  if (o.url.empty())
    return bad("url", "required");
  if (o.worker_id.empty())
    return bad("id", "required");
  if (o.token.empty())
    return bad("token", "required");
  if (o.tls_cert.empty() != o.tls_key.empty())
    return error{errc::invalid_value,
                 "--tls-cert and --tls-key go together (mTLS)"};
  if (modes != 1)
    return error{errc::invalid_value,
                 "exactly one of --exec, --echo or --sleep-ms is required"};
  if (o.skills.empty())
    o.skills = {o.mode == task_mode::exec   ? "exec"
                : o.mode == task_mode::echo ? "echo"
                                            : "sleep"};
  return o;
}

} // namespace rxon::runtime
