#include "runtime/transport/http_transport.hpp"

#include "protocol/codec.hpp"
#include "protocol/signing.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <span>
#include <string_view>

namespace rxon::runtime {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

/// Stamps and signs `msg` when a secret is set (spec §5.1): the timestamp
/// (Unix seconds) unless the caller set one, the signer, the signature.
template <class T>
void sign(T& msg, const std::string& signer, const std::string& secret,
          std::span<const std::string_view> ignore = {}) {
  if (secret.empty())
    return;
  if (!msg.timestamp)
    msg.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  if (!msg.security)
    msg.security.emplace();
  msg.security->signer_id = signer;
  if (auto sig = sign_message(msg, secret, ignore))
    msg.security->signature = std::move(*sig);
}

/// Relays append to it, so event signatures leave it out.
constexpr std::string_view event_ignore[] = {"bubbling_chain"};

constexpr const char* protocol_version = RXON_PROTOCOL_VERSION;

error not_connected() {
  return error{errc::network, "Transport not connected. Call connect() first."};
}

/// Python truthiness of a decoded answer.
bool is_truthy(const json::value& v) {
  switch (v.type()) {
  case json::value::kind::null:
    return false;
  case json::value::kind::boolean:
    return v.as_bool();
  case json::value::kind::integer:
  case json::value::kind::uinteger:
  case json::value::kind::number:
    return v.as_double() != 0;
  case json::value::kind::string:
    return !v.as_string().empty();
  case json::value::kind::array:
    return !v.as_array().empty();
  case json::value::kind::object:
    return !v.as_object().empty();
  }
  return false;
}

heartbeat_reply to_heartbeat_reply(json::value raw) {
  heartbeat_reply out;
  if (auto* ids = raw.find("cancel_task_ids"); ids && ids->is_array())
    for (auto& id : ids->as_array())
      if (id.is_string())
        out.cancel_task_ids.push_back(id.as_string());
  if (auto* sync = raw.find("require_full_sync"); sync && sync->is_bool())
    out.require_full_sync = sync->as_bool();
  out.raw = std::move(raw);
  return out;
}

} // namespace

result<std::shared_ptr<http_transport>>
http_transport::create(net::io_context& io, std::string_view url,
                       std::string worker_id, std::string token,
                       transport_options opts) {
  auto parsed = parse_base_url(url);
  if (!parsed)
    return parsed.error();
  std::shared_ptr<net::ssl::context> tls;
  if (parsed->tls) {
    auto ctx = make_tls_context(opts.tls);
    if (!ctx)
      return ctx.error();
    tls = std::move(*ctx);
  }
  if (opts.max_connections < 2)
    opts.max_connections = 2; // poll and heartbeat must overlap
  return std::make_shared<http_transport>(io, std::move(*parsed),
                                          std::move(tls), std::move(worker_id),
                                          std::move(token), std::move(opts));
}

http_transport::http_transport(net::io_context& io, runtime::base_url url,
                               std::shared_ptr<net::ssl::context> tls,
                               std::string worker_id, std::string token,
                               transport_options opts)
    : strand_(net::make_strand(io)), url_(std::move(url)), tls_(std::move(tls)),
      worker_id_(std::move(worker_id)),
      path_id_(encode_path_segment(worker_id_)), opts_(std::move(opts)),
      client_(strand_, url_, tls_, opts_), token_(std::move(token)) {}

template <class F>
void http_transport::on_strand(F&& f) {
  net::post(strand_, [self = shared_from_this(),
                      f = std::forward<F>(f)]() mutable { f(*self); });
}

std::string http_transport::token() const {
  std::lock_guard guard{token_mutex_};
  return token_;
}

std::optional<std::string> http_transport::refresh_token_value() const {
  std::lock_guard guard{token_mutex_};
  return refresh_token_;
}

std::vector<std::pair<std::string, std::string>>
http_transport::headers() const {
  return {{"X-Worker-Token", token()},
          {"X-Worker-ID", worker_id_},
          {"X-RXON-Version", protocol_version}};
}

http_request
http_transport::make_request(std::string method, std::string endpoint,
                             std::string target,
                             std::optional<std::string> body) const {
  http_request req;
  req.method = std::move(method);
  req.endpoint = std::move(endpoint);
  req.target = std::move(target);
  req.headers = headers();
  req.body = std::move(body);
  req.timeout = opts_.request_timeout;
  return req;
}

void http_transport::connect() {
  on_strand([](http_transport& self) {
    self.connected_ = true;
    self.client_.reopen();
  });
}

void http_transport::close() {
  on_strand([](http_transport& self) {
    self.connected_ = false;
    if (self.channel_)
      self.channel_->stop();
    self.channel_.reset();
    self.client_.close();
  });
}

void http_transport::check_version(const std::string& version) {
  if (version.empty() || version == protocol_version || version_warned_)
    return;
  version_warned_ = true;
  write_log(opts_.log, log_level::warning,
            "RXON Protocol Version Mismatch! Orchestrator: " + version
                + ", Worker: " + protocol_version);
}

void http_transport::call(http_request req, callback<json::value> done,
                          int attempt) {
  if (!connected_)
    return net::post(strand_,
                     [done = std::move(done)] { done(not_connected()); });
  auto copy = std::make_shared<http_request>(req);
  client_.async_send(std::move(req), [self = shared_from_this(), copy, attempt,
                                      done = std::move(done)](
                                         result<http_response> r) mutable {
    if (!r)
      return done(std::move(r).error());
    self->check_version(r->rxon_version);
    if (r->status == 401 && attempt == 1) {
      return self->sts_refresh([self, copy, done = std::move(done)](
                                   result<token_response> t) mutable {
        if (!t) {
          error err{errc::auth,
                    "Unauthorized (401) from " + copy->endpoint
                        + " (token refresh failed: " + t.error().message + ")"};
          err.http_status = 401;
          return done(std::move(err));
        }
        copy->headers = self->headers();
        self->call(std::move(*copy), std::move(done), 2);
      });
    }
    done(interpret_response(*r, copy->endpoint,
                            std::chrono::system_clock::now()));
  });
}

void http_transport::adopt(const token_response& t) {
  std::lock_guard guard{token_mutex_};
  token_ = t.access_token;
  refresh_token_ = t.refresh_token;
}

void http_transport::refresh_token(callback<token_response> done) {
  on_strand([done = std::move(done)](http_transport& self) mutable {
    self.sts_refresh(std::move(done));
  });
}

// Concurrent 401s share one STS call.
void http_transport::sts_refresh(callback<token_response> done) {
  refresh_waiters_.push_back(std::move(done));
  if (refresh_waiters_.size() > 1)
    return;
  if (!connected_)
    return net::post(strand_, [self = shared_from_this()] {
      self->finish_refresh(not_connected());
    });
  auto refresh = refresh_token_value();
  std::string endpoint
      = refresh ? "/_worker/auth/token/refresh" : "/_worker/auth/token";
  std::optional<std::string> body;
  if (refresh) {
    json::object o{{"refresh_token", *refresh}};
    body = json::to_string(json::value{std::move(o)});
  }
  auto req = make_request("POST", endpoint, endpoint, std::move(body));
  client_.async_send(std::move(req), [self = shared_from_this(),
                                      endpoint](result<http_response> r) {
    if (!r)
      return self->finish_refresh(std::move(r).error());
    self->check_version(r->rxon_version);
    if (r->status != 200) {
      error err{errc::auth, "Token refresh at " + endpoint + " failed: HTTP "
                                + std::to_string(r->status)};
      err.http_status = r->status;
      return self->finish_refresh(std::move(err));
    }
    auto t = decode<token_response>(r->body);
    if (!t) {
      error err{errc::protocol,
                "Token refresh at " + endpoint
                    + " returned a bad token response: " + t.error().message};
      return self->finish_refresh(std::move(err));
    }
    self->adopt(*t);
    write_log(self->opts_.log, log_level::info,
              "Token refreshed. Expires in " + std::to_string(t->expires_in)
                  + "s");
    self->finish_refresh(std::move(*t));
  });
}

void http_transport::finish_refresh(result<token_response> r) {
  auto waiters = std::move(refresh_waiters_);
  refresh_waiters_.clear();
  if (!r)
    write_log(opts_.log, log_level::error,
              "Token refresh failed: " + r.error().message);
  for (auto& w : waiters)
    w(r);
}

void http_transport::register_worker(worker_registration reg,
                                     callback<json::value> done) {
  on_strand([reg = std::move(reg),
             done = std::move(done)](http_transport& self) mutable {
    std::string path = "/_worker/workers/register";
    sign(reg, self.worker_id_, self.opts_.signing_secret);
    auto req = self.make_request("POST", path, path, encode(reg));
    self.call(std::move(req),
              [self = self.shared_from_this(),
               done = std::move(done)](result<json::value> r) mutable {
                if (r && r->is_object() && r->find("access_token")) {
                  if (auto t = from_json<token_response>(*r))
                    self->adopt(*t);
                  else
                    write_log(self->opts_.log, log_level::warning,
                              "Register response carries a bad token: "
                                  + t.error().message);
                }
                done(std::move(r));
              });
  });
}

void http_transport::poll_task(poll_request preq,
                               callback<std::optional<task_payload>> done) {
  on_strand([preq = std::move(preq),
             done = std::move(done)](http_transport& self) mutable {
    auto query
        = poll_query(preq.timeout, preq.available_skills, preq.hot_skills);
    if (!query)
      return done(query.error());
    auto req = self.make_request(
        "GET", "/_worker/workers/" + self.worker_id_ + "/tasks/next",
        "/_worker/workers/" + self.path_id_ + "/tasks/next" + *query,
        std::nullopt);
    req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::duration<double>(preq.timeout))
                  + 5s;
    self.call(std::move(req), [done = std::move(done)](result<json::value> r) {
      if (!r)
        return done(std::move(r).error());
      if (!is_truthy(*r))
        return done(std::optional<task_payload>{});
      if (!r->is_object())
        return done(error{errc::protocol, "poll response is not a task object: "
                                              + json::to_string(*r)});
      auto task = from_json<task_payload>(*r);
      if (!task) {
        error err = std::move(task).error();
        err.message = "poll response: " + err.message;
        return done(std::move(err));
      }
      done(std::optional<task_payload>{std::move(*task)});
    });
  });
}

void http_transport::send_result(task_result res, callback<result_ack> done) {
  on_strand([res = std::move(res),
             done = std::move(done)](http_transport& self) mutable {
    if (self.opts_.result_attempts <= 0)
      return done(result_ack{false, "", {}});
    sign(res, self.worker_id_, self.opts_.signing_secret);
    auto body = encode(res);
    self.send_result_attempt(std::make_shared<task_result>(std::move(res)), 0,
                             std::move(body), std::move(done));
  });
}

void http_transport::send_result_attempt(std::shared_ptr<task_result> res,
                                         int attempt, std::string body,
                                         callback<result_ack> done) {
  std::string path = "/_worker/tasks/result";
  auto req = make_request("POST", path, path, body);
  call(std::move(req), [self = shared_from_this(), res, attempt,
                        body = std::move(body),
                        done = std::move(done)](result<json::value> r) mutable {
    if (r) {
      auto* status = r->find("status");
      if (status && status->is_string() && status->as_string() == "ignored") {
        auto* reason = r->find("reason");
        std::string why
            = reason && reason->is_string() ? reason->as_string() : "";
        bool expected = why == "deadline_exceeded" || why == "job_cancelled";
        write_log(self->opts_.log,
                  expected ? log_level::info : log_level::warning,
                  "Result ignored. Reason: " + why + ". Job: " + res->job_id);
        return done(result_ack{false, std::move(why), std::move(*r)});
      }
      return done(result_ack{true, "", std::move(*r)});
    }
    if (r.error().code != errc::network
        || attempt + 1 >= self->opts_.result_attempts)
      return done(std::move(r).error());
    auto timer = std::make_shared<net::steady_timer>(self->strand_);
    timer->expires_after(self->opts_.result_retry_delay * (1 << attempt));
    timer->async_wait(
        [self, timer, res, attempt, body = std::move(body),
         done = std::move(done)](boost::system::error_code) mutable {
          self->send_result_attempt(res, attempt + 1, std::move(body),
                                    std::move(done));
        });
  });
}

void http_transport::send_heartbeat(heartbeat hb,
                                    callback<heartbeat_reply> done) {
  on_strand([hb = std::move(hb),
             done = std::move(done)](http_transport& self) mutable {
    sign(hb, self.worker_id_, self.opts_.signing_secret);
    auto req
        = self.make_request("PATCH", "/_worker/workers/" + self.worker_id_,
                            "/_worker/workers/" + self.path_id_, encode(hb));
    self.call(std::move(req), [self = self.shared_from_this(),
                               done = std::move(done)](result<json::value> r) {
      if (!r) {
        write_log(self->opts_.log, log_level::warning,
                  "Heartbeat failed: " + r.error().message);
        return done(std::move(r).error());
      }
      done(to_heartbeat_reply(std::move(*r)));
    });
  });
}

void http_transport::emit_event(worker_event ev, callback<void> done) {
  on_strand([ev = std::move(ev),
             done = std::move(done)](http_transport& self) mutable {
    sign(ev, self.worker_id_, self.opts_.signing_secret, event_ignore);
    auto body = encode(ev);
    if (!self.channel_ || !self.channel_->is_open())
      return self.post_event_http(body, std::move(done));
    auto text = body;
    self.channel_->send(std::move(text),
                        [self = self.shared_from_this(), body = std::move(body),
                         done = std::move(done)](bool ok) mutable {
                          if (ok)
                            return done(status{});
                          self->post_event_http(body, std::move(done));
                        });
  });
}

void http_transport::post_event_http(const std::string& body,
                                     callback<void> done) {
  std::string path = "/_worker/events";
  call(make_request("POST", path, path, body),
       [done = std::move(done)](result<json::value> r) {
         if (!r)
           return done(std::move(r).error());
         done(status{});
       });
}

void http_transport::listen_for_commands(command_handler on_command,
                                         bool reconnect) {
  on_strand([on_command = std::move(on_command),
             reconnect](http_transport& self) mutable {
    if (!self.connected_)
      return;
    if (self.channel_)
      self.channel_->stop();
    self.on_command_ = std::move(on_command);
    std::weak_ptr<http_transport> weak = self.shared_from_this();
    self.channel_ = std::make_shared<command_channel>(
        self.strand_, self.url_, self.tls_, self.opts_,
        "/_worker/ws/" + self.path_id_,
        [weak] {
          auto self = weak.lock();
          return self ? self->headers() : command_channel::header_list{};
        },
        [weak](std::string_view text) {
          if (auto self = weak.lock())
            self->on_command_text(text);
        });
    self.channel_->start(reconnect);
  });
}

void http_transport::on_command_text(std::string_view text) {
  auto cmd = decode<worker_command>(text);
  if (!cmd) {
    write_log(opts_.log, log_level::warning,
              "Failed to parse WebSocket command: " + cmd.error().message);
    return;
  }
  if (on_command_)
    on_command_(std::move(*cmd));
}

} // namespace rxon::runtime
