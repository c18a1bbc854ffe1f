#include "runtime/submit_command.hpp"

#include "protocol/constants.hpp"
#include "protocol/identifiers.hpp"
#include "protocol/json.hpp"
#include "runtime/transport/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

namespace rxon::runtime {

namespace {

constexpr const char* usage
    = R"(usage: rxon submit --url URL --token TOKEN --type TYPE --params JSON
                   [--requirements JSON] [--priority P] [--wait] [--timeout-s S]

Submits one task (POST /api/v1/tasks, X-Client-Token) and prints
{"job_id","task_id"}. With --wait, polls GET /api/v1/tasks/{id} until the
task is terminal, prints its view (result included) and exits 1 unless it
succeeded. --timeout-s bounds the wait (default 300). --tls-ca FILE and
--tls-insecure apply to https URLs.
Exit codes: 0 ok, 1 HTTP error or unsuccessful task, 2 bad arguments.
)";

struct submit_options {
  std::string url, token, type, tls_ca;
  json::value params, requirements;
  std::optional<double> priority;
  bool wait = false, tls_insecure = false;
  double timeout_s = 300;
};

error bad(std::string_view flag, std::string_view what) {
  return error{errc::invalid_value,
               "--" + std::string{flag} + ": " + std::string{what}};
}

result<double> parse_number(std::string_view flag, const std::string& text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc{} || end != text.data() + text.size()
      || !std::isfinite(d))
    return bad(flag, "expected a number, got '" + text + "'");
  return d;
}

result<json::value> parse_object(std::string_view flag,
                                 const std::string& text) {
  auto v = json::parse(text);
  if (!v)
    return bad(flag, v.error().message);
  if (!v->is_object())
    return bad(flag, "expected a JSON object");
  return v;
}

result<submit_options> parse_args(const std::vector<std::string>& args) {
  submit_options o;
  bool has_params = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (!flag.starts_with("--"))
      return error{errc::invalid_value, "unexpected argument '" + flag + "'"};
    flag.erase(0, 2);
    std::optional<std::string> value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    }
    if (flag == "wait" || flag == "tls-insecure") {
      if (value)
        return bad(flag, "takes no value");
      (flag == "wait" ? o.wait : o.tls_insecure) = true;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size())
        return bad(flag, "missing value");
      value = args[++i];
    }
    if (flag == "url") {
      o.url = *value;
    } else if (flag == "token") {
      o.token = *value;
    } else if (flag == "type") {
      if (!is_valid_identifier(*value))
        return bad(flag, "invalid identifier '" + *value + "'");
      o.type = *value;
    } else if (flag == "params" || flag == "requirements") {
      auto v = parse_object(flag, *value);
      if (!v)
        return v.error();
      (flag == "params" ? o.params : o.requirements) = std::move(*v);
      has_params = has_params || flag == "params";
    } else if (flag == "priority") {
      auto n = parse_number(flag, *value);
      if (!n)
        return n.error();
      o.priority = *n;
    } else if (flag == "timeout-s") {
      auto n = parse_number(flag, *value);
      if (!n || *n <= 0)
        return bad(flag, "expected a positive number of seconds");
      o.timeout_s = *n;
    } else if (flag == "tls-ca") {
      o.tls_ca = *value;
    } else {
      return error{errc::invalid_value, "unknown flag --" + flag};
    }
  }
  if (o.url.empty())
    return bad("url", "required");
  if (o.token.empty())
    return bad("token", "required");
  if (o.type.empty())
    return bad("type", "required");
  if (!has_params)
    return bad("params", "required");
  return o;
}

/// A synchronous client-API caller over the transport's HTTP pool.
class api_client {
public:
  api_client(base_url url, std::shared_ptr<boost::asio::ssl::context> tls,
             std::string token)
      : strand_(boost::asio::make_strand(io_)),
        client_(strand_, std::move(url), std::move(tls), transport_options{}),
        token_(std::move(token)) {}

  /// Sends one request; an HTTP status >= 400 becomes an error naming
  /// the status and the server's "error" text.
  result<json::value> call(std::string method, std::string path,
                           std::optional<std::string> body) {
    http_request req;
    req.method = std::move(method);
    req.target = path;
    req.endpoint = path;
    req.headers.emplace_back(std::string{auth_header_client}, token_);
    req.body = std::move(body);
    req.timeout = std::chrono::seconds(30);
    std::optional<result<http_response>> answer;
    client_.async_send(std::move(req), [&answer](result<http_response> r) {
      answer.emplace(std::move(r));
    });
    io_.restart();
    while (!answer && io_.run_one() > 0) {
    }
    if (!answer)
      return error{errc::internal, "request did not complete"};
    if (!*answer)
      return answer->error();
    const auto& res = **answer;
    auto parsed = json::parse(res.body);
    if (res.status >= 400) {
      std::string text = res.body;
      if (parsed && parsed->find("error") && parsed->find("error")->is_string())
        text = parsed->find("error")->as_string();
      error e{errc::protocol, "HTTP " + std::to_string(res.status) + " from "
                                  + path + ": " + text};
      e.http_status = res.status;
      return e;
    }
    if (!parsed)
      return error{errc::protocol,
                   path + ": answer is not JSON: " + parsed.error().message};
    return std::move(*parsed);
  }

private:
  boost::asio::io_context io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  http_client client_;
  std::string token_;
};

bool terminal_task_state(const std::string& s) {
  return s == "success" || s == "failure" || s == "cancelled" || s == "timeout"
         || s == "quarantined";
}

} // namespace

int run_submit(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout << usage;
      return 0;
    }
  auto parsed = parse_args(args);
  if (!parsed) {
    std::cerr << "rxon submit: " << parsed.error().message << "\n" << usage;
    return 2;
  }
  auto& o = *parsed;
  auto url = parse_base_url(o.url);
  if (!url) {
    std::cerr << "rxon submit: --url: " << url.error().message << "\n";
    return 2;
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (url->tls) {
    auto ctx = make_tls_context(
        tls_options{o.tls_ca, "", "", /*verify_peer=*/!o.tls_insecure});
    if (!ctx) {
      std::cerr << "rxon submit: " << ctx.error().message << "\n";
      return 2;
    }
    tls = std::move(*ctx);
  }
  api_client api{*url, tls, o.token};
  json::object body{{"type", o.type}, {"params", o.params}};
  if (!o.requirements.is_null())
    body.set("requirements", o.requirements);
  if (o.priority)
    body.set("priority", *o.priority);
  auto ack = api.call("POST", "/api/v1/tasks",
                      json::to_string(json::value{std::move(body)}));
  if (!ack) {
    std::cerr << "rxon submit: " << ack.error().message << "\n";
    return 1;
  }
  const auto* task_id = ack->find("task_id");
  const auto* job_id = ack->find("job_id");
  if (!task_id || !task_id->is_string() || !job_id || !job_id->is_string()) {
    std::cerr << "rxon submit: unexpected answer " << json::to_string(*ack)
              << "\n";
    return 1;
  }
  std::cout << json::to_string(
      json::object{{"job_id", *job_id}, {"task_id", *task_id}})
            << std::endl;
  if (!o.wait)
    return 0;
  using clock = std::chrono::steady_clock;
  auto deadline
      = clock::now()
        + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  auto delay = std::chrono::milliseconds(20);
  std::string state = "unknown";
  while (clock::now() < deadline) {
    auto view = api.call("GET", "/api/v1/tasks/" + task_id->as_string(),
                         std::nullopt);
    if (!view) {
      std::cerr << "rxon submit: " << view.error().message << "\n";
      return 1;
    }
    if (const auto* s = view->find("state"); s && s->is_string())
      state = s->as_string();
    if (terminal_task_state(state)) {
      std::cout << json::to_string(*view) << std::endl;
      if (state == "success")
        return 0;
      std::cerr << "rxon submit: task " << task_id->as_string() << " ended "
                << state << "\n";
      return 1;
    }
    std::this_thread::sleep_for(
        std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - clock::now())));
    delay = std::min(delay * 2, std::chrono::milliseconds(500));
  }
  std::cerr << "rxon submit: timed out after " << o.timeout_s
            << " s waiting for task " << task_id->as_string()
            << " (state: " << state << ")\n";
  return 1;
}

} // namespace rxon::runtime
