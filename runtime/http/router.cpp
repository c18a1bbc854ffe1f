#include "runtime/http/router.hpp"

#include "actors/event_chain.hpp"
#include "actors/subtree.hpp"
#include "protocol/codec.hpp"
#include "protocol/identifiers.hpp"

#include <cmath>
#include <utility>

namespace rxon::runtime {

namespace {

constexpr std::string_view protocol_version = RXON_PROTOCOL_VERSION;

// Events are signed without bubbling_chain: relays append to it.
constexpr std::string_view event_ignore[] = {"bubbling_chain"};

/// The worker_id member of a parsed body, or "".
std::string_view body_worker_id(const json::value& body) {
  const json::value* v = body.find("worker_id");
  return v && v->is_string() ? std::string_view{v->as_string()}
                             : std::string_view{};
}

/// Parses a request body that must be JSON.
result<json::value> parse_body(const http_request& req) {
  if (req.body.empty())
    return error{errc::invalid_json, "request body: empty, JSON expected"};
  auto v = json::parse(req.body);
  if (!v)
    return error{errc::invalid_json,
                 "request body: " + std::move(v).error().message};
  return v;
}

/// Passes a JSON API result through, or `fallback` when it is null.
http_response json_or(const result<json::value>& r, const char* fallback) {
  if (!r)
    return error_response(r.error());
  if (r->is_null() && fallback)
    return json_response(200, json::object{{"status", fallback}});
  return json_response(200, *r);
}

} // namespace

router::reply counted_reply(listener_metrics& m, route_id route,
                            router::reply done) {
  return [&m, route, done = std::move(done)](http_response res) {
    m.count_request(route, res.status);
    done(std::move(res));
  };
}

int status_for(errc code) noexcept {
  switch (code) {
  case errc::missing_field:
  case errc::wrong_type:
  case errc::invalid_json:
  case errc::invalid_value:
  case errc::out_of_range:
  case errc::too_deep:
    return 400;
  case errc::auth:
  case errc::invalid_signature: // a bad signature is a bad credential
    return 401;
  case errc::forbidden:
    return 403;
  case errc::not_found:
    return 404;
  case errc::conflict:
    return 409;
  case errc::rate_limit:
    return 429;
  case errc::unavailable:
    return 503;
  default:
    return 500;
  }
}

http_response json_response(int status, const json::value& body) {
  http_response res;
  res.status = status;
  json::write(body, res.body);
  return res;
}

http_response text_response(int status, std::string body,
                            std::string content_type) {
  http_response res;
  res.status = status;
  res.body = std::move(body);
  res.content_type = std::move(content_type);
  return res;
}

http_response error_response(const error& err) {
  json::object body{
      {"error", err.message.empty() ? to_string(err.code) : err.message}};
  if (err.code == errc::rate_limit)
    body.set("code", err.detail_code.empty() ? "LIMIT_EXCEEDED_ERROR"
                                             : err.detail_code);
  auto res = json_response(status_for(err.code), body);
  if (err.code == errc::rate_limit) {
    double wait = err.retry_after.value_or(1.0);
    auto secs = static_cast<long long>(std::ceil(std::max(wait, 1.0)));
    res.headers.emplace_back("Retry-After", std::to_string(secs));
  }
  return res;
}

router::router(actors::orchestrator_api& api, authenticator& auth,
               rate_limiter& limits, signature_checker& signatures,
               listener_metrics& metrics, router_options opts)
    : api_(api), auth_(auth), limits_(limits), signatures_(signatures),
      metrics_(metrics), opts_(std::move(opts)) {}

std::optional<std::string> router::websocket_worker(std::string_view target) {
  if (!target.starts_with("/_worker/ws/"))
    return std::nullopt;
  auto t = parse_target(target);
  if (!t || t->segments.size() != 3)
    return std::nullopt;
  return t->segments[2];
}

void router::handle(http_request req, reply done) {
  auto t = parse_target(req.target);
  if (!t) {
    metrics_.count_request(route_id::unknown, 400);
    return done(error_response(
        {errc::invalid_value, "request target: bad percent escape"}));
  }
  const auto& s = t->segments;
  const auto& m = req.method;
  auto route = route_id::unknown;
  auto not_allowed = [&] {
    metrics_.count_request(route, 405);
    done(json_response(405,
                       json::object{{"error", "method " + m + " not allowed on "
                                                  + req.target}}));
  };
  if (!s.empty() && s[0] == "_worker") {
    if (s.size() == 3 && s[1] == "workers" && s[2] == "register"
        && m == "POST") {
      route = route_id::worker_register;
      return worker_register(req,
                             counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() == 5 && s[1] == "workers" && s[3] == "tasks"
        && s[4] == "next") {
      route = route_id::worker_poll;
      if (m != "GET")
        return not_allowed();
      return worker_poll(req, *t,
                         counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() == 3 && s[1] == "workers") {
      route = route_id::worker_heartbeat;
      if (m != "PATCH")
        return not_allowed();
      return worker_heartbeat(req, s[2],
                              counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() == 3 && s[1] == "tasks" && s[2] == "result") {
      route = route_id::worker_result;
      if (m != "POST")
        return not_allowed();
      return worker_result(req,
                           counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() == 2 && s[1] == "events") {
      route = route_id::worker_event;
      if (m != "POST")
        return not_allowed();
      return worker_event(req, counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() >= 3 && s.size() <= 4 && s[1] == "auth" && s[2] == "token"
        && (s.size() == 3 || s[3] == "refresh")) {
      route = s.size() == 3 ? route_id::worker_sts_token
                            : route_id::worker_sts_refresh;
      if (m != "POST")
        return not_allowed();
      if (s.size() == 3)
        return worker_sts_token(
            req, counted_reply(metrics_, route, std::move(done)));
      return worker_sts_refresh(
          req, counted_reply(metrics_, route, std::move(done)));
    }
    if (s.size() == 3 && s[1] == "ws") {
      route = route_id::worker_ws;
      metrics_.count_request(route, 400);
      return done(error_response(
          {errc::invalid_value, "a WebSocket upgrade request is expected"}));
    }
  }
  client(req, *t, route, done);
}

result<identity> router::admit(const http_request& req, std::string_view hint,
                               message_kind kind) {
  auto who = auth_.authenticate(
      credentials{req.worker_token, hint, req.cert_identity});
  if (!who)
    return who;
  if (auto wait = limits_.acquire(who->worker_id, kind)) {
    error err{errc::rate_limit,
              "rate limit exceeded for worker '" + who->worker_id + "'"};
    err.retry_after = *wait;
    err.detail_code = "LIMIT_EXCEEDED_ERROR";
    return err;
  }
  return who;
}

result<identity> router::authorize_websocket(const http_request& req,
                                             const std::string& worker_id) {
  if (!is_valid_identifier(worker_id))
    return error{errc::invalid_value, "worker_id: invalid identifier"};
  return admit(req, worker_id, message_kind::websocket);
}

template <class T>
result<router::admitted<T>> router::admit_body(const http_request& req,
                                               message_kind kind) {
  auto body = parse_body(req);
  if (!body)
    return body.error();
  std::string_view hint = req.worker_id;
  if (hint.empty())
    hint = body_worker_id(*body);
  auto who = admit(req, hint, kind);
  if (!who)
    return who.error();
  auto msg = from_json<T>(*body);
  if (!msg)
    return msg.error();
  return admitted<T>{std::move(*who), std::move(*body), std::move(*msg)};
}

void router::worker_register(http_request& req, reply done) {
  auto in = admit_body<worker_registration>(req, message_kind::register_worker);
  if (!in)
    return done(error_response(in.error()));
  auto& who = in->who;
  auto& body = in->body;
  auto& reg = in->msg;
  if (!is_valid_identifier(reg.worker_id))
    return done(
        error_response({errc::invalid_value, "worker_id: invalid identifier"}));
  if (reg.worker_id != who.worker_id)
    return done(error_response(
        {errc::forbidden, "worker_id: '" + reg.worker_id
                              + "' is not the authenticated worker '"
                              + who.worker_id + "'"}));
  if (auto ok = signatures_.check(who.worker_id, body); !ok)
    return done(error_response(ok.error()));
  // A sub-orchestrator's profiles are matched against every task.
  if (auto profiles = actors::resource_profiles_of(reg); !profiles)
    return done(error_response(profiles.error()));
  std::string warning;
  if (!req.rxon_version.empty() && req.rxon_version != protocol_version)
    warning = "protocol version mismatch: worker " + req.rxon_version
              + ", orchestrator " + std::string{protocol_version};
  api_.register_holon(std::move(reg),
                      [done = std::move(done), warning](result<json::value> r) {
                        if (r && r->is_object() && !warning.empty())
                          r->as_object().set("warning", warning);
                        done(json_or(r, "registered"));
                      });
}

void router::worker_poll(http_request& req, const parsed_target& t,
                         reply done) {
  const std::string& id = t.segments[2];
  if (!is_valid_identifier(id))
    return done(
        error_response({errc::invalid_value, "worker_id: invalid identifier"}));
  auto who = admit(req, id, message_kind::poll);
  if (!who)
    return done(error_response(who.error()));
  actors::poll_request pr;
  pr.worker_id = who->worker_id;
  if (const auto* timeout = query_value(t, "timeout")) {
    auto secs = parse_python_float(*timeout).value_or(0.0);
    auto cap = std::chrono::duration<double>(opts_.max_poll_timeout).count();
    if (!(secs > 0)) // negative and nan
      secs = 0;
    secs = std::min(secs, cap);
    pr.timeout = std::chrono::milliseconds{std::llround(secs * 1000)};
  }
  if (const auto* skills = query_value(t, "available_skills"))
    pr.available_skills = split_skill_list(*skills);
  if (const auto* skills = query_value(t, "hot_skills"))
    pr.hot_skills = split_skill_list(*skills);
  api_.poll(std::move(pr), [done = std::move(done), worker = who->worker_id](
                               result<std::optional<task_payload>> r) {
    if (!r)
      return done(error_response(r.error()));
    if (!r->has_value()) {
      http_response res;
      res.status = 204;
      return done(std::move(res));
    }
    http_response res;
    res.body = encode(**r);
    res.lease = task_lease{worker, (*r)->task_id};
    done(std::move(res));
  });
}

void router::worker_result(http_request& req, reply done) {
  auto in = admit_body<task_result>(req, message_kind::result);
  if (!in)
    return done(error_response(in.error()));
  auto& who = in->who;
  auto& body = in->body;
  auto& res = in->msg;
  if (res.worker_id && *res.worker_id != who.worker_id)
    return done(error_response(
        {errc::forbidden, "worker_id: '" + *res.worker_id
                              + "' is not the authenticated worker '"
                              + who.worker_id + "'"}));
  if (auto ok = signatures_.check(who.worker_id, body); !ok)
    return done(error_response(ok.error()));
  if (auto ok = actors::check_identity_chain(res.security, who.worker_id); !ok)
    return done(error_response(ok.error()));
  api_.post_result(who.worker_id, std::move(res),
                   [done = std::move(done)](result<json::value> r) {
                     done(json_or(r, "ok"));
                   });
}

void router::worker_heartbeat(http_request& req, const std::string& id,
                              reply done) {
  if (!is_valid_identifier(id))
    return done(
        error_response({errc::invalid_value, "worker_id: invalid identifier"}));
  auto who = admit(req, id, message_kind::heartbeat);
  if (!who)
    return done(error_response(who.error()));
  std::optional<rxon::heartbeat> hb;
  if (!req.body.empty()) {
    auto body = parse_body(req);
    if (!body)
      return done(error_response(body.error()));
    auto decoded = from_json<rxon::heartbeat>(*body);
    if (!decoded)
      return done(error_response(decoded.error()));
    if (decoded->worker_id != who->worker_id)
      return done(error_response(
          {errc::forbidden, "worker_id: '" + decoded->worker_id
                                + "' is not the worker of the path '"
                                + who->worker_id + "'"}));
    if (auto ok = signatures_.check(who->worker_id, *body); !ok)
      return done(error_response(ok.error()));
    hb = std::move(*decoded);
  }
  api_.heartbeat(who->worker_id, std::move(hb),
                 [done = std::move(done)](result<json::value> r) {
                   done(json_or(r, nullptr)); // passed through as is
                 });
}

void router::worker_event(http_request& req, reply done) {
  auto in = admit_body<rxon::worker_event>(req, message_kind::event);
  if (!in)
    return done(error_response(in.error()));
  auto& who = in->who;
  auto& body = in->body;
  auto& ev = in->msg;
  if (ev.worker_id != who.worker_id)
    return done(error_response(
        {errc::forbidden, "worker_id: '" + ev.worker_id
                              + "' is not the authenticated worker '"
                              + who.worker_id + "'"}));
  if (auto ok = signatures_.check(who.worker_id, body, event_ignore); !ok)
    return done(error_response(ok.error()));
  api_.post_event(who.worker_id, std::move(ev),
                  [done = std::move(done)](result<json::value> r) {
                    done(json_or(r, "event_accepted"));
                  });
}

void router::handle_ws_frame(const std::string& worker_id,
                             std::string_view text,
                             std::function<void(status)> done) {
  if (auto wait = limits_.acquire(worker_id, message_kind::event)) {
    error err{errc::rate_limit, "rate limit exceeded"};
    err.retry_after = *wait;
    return done(err);
  }
  auto body = json::parse(text);
  if (!body)
    return done(std::move(body).error());
  auto ev = from_json<rxon::worker_event>(*body);
  if (!ev)
    return done(std::move(ev).error());
  if (ev->worker_id != worker_id)
    return done(error{errc::forbidden, "worker_id: not the socket's worker"});
  if (auto ok = signatures_.check(worker_id, *body, event_ignore); !ok)
    return done(ok);
  api_.post_event(worker_id, std::move(*ev),
                  [done = std::move(done)](result<json::value> r) {
                    if (!r)
                      return done(std::move(r).error());
                    done(status{});
                  });
}

void router::worker_sts_token(http_request& req, reply done) {
  auto who = admit(req, req.worker_id, message_kind::sts);
  if (!who)
    return done(error_response(who.error()));
  auto tokens = auth_.sts().issue(who->worker_id);
  http_response res;
  res.body = encode(tokens);
  done(std::move(res));
}

void router::worker_sts_refresh(http_request& req, reply done) {
  auto body = parse_body(req);
  if (!body)
    return done(error_response(body.error()));
  const json::value* token = body->find("refresh_token");
  if (!token || token->is_null())
    return done(
        error_response({errc::missing_field, "refresh_token: missing"}));
  if (!token->is_string())
    return done(
        error_response({errc::wrong_type, "refresh_token: expected a string"}));
  // The refresh token is the credential; throttle by the claimed id.
  if (!req.worker_id.empty())
    if (auto wait = limits_.acquire(req.worker_id, message_kind::sts)) {
      error err{errc::rate_limit, "rate limit exceeded"};
      err.retry_after = *wait;
      return done(error_response(err));
    }
  auto tokens = auth_.sts().refresh(token->as_string(), req.worker_id);
  if (!tokens)
    return done(error_response(tokens.error()));
  http_response res;
  res.body = encode(*tokens);
  done(std::move(res));
}

} // namespace rxon::runtime
