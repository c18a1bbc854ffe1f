#pragma once

// Request -> response for every route (spec §2.2, incumbent §4), given the
// orchestrator API, authentication and limits. No sockets: sessions turn
// Beast messages into http_request and send back the http_response.

#include "actors/orchestrator_api.hpp"
#include "protocol/error.hpp"
#include "runtime/auth/authenticator.hpp"
#include "runtime/auth/rate_limiter.hpp"
#include "runtime/auth/signature_checker.hpp"
#include "runtime/http/http_message.hpp"
#include "runtime/http/listener_metrics.hpp"
#include "runtime/http/url.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace rxon::runtime {

struct router_options {
  std::chrono::milliseconds max_poll_timeout{60000};
  /// X-Client-Token -> client identity (job owner).
  std::map<std::string, std::string> client_tokens;
};

/// Maps an error to its status with body {"error": message} (and for
/// rate_limit: Retry-After plus "code":"LIMIT_EXCEEDED_ERROR").
http_response error_response(const error& err);

/// The HTTP status for an error code (decisions.md, issue 4).
int status_for(errc code) noexcept;

class router {
public:
  /// Receives the response exactly once, possibly on an actor thread.
  using reply = std::function<void(http_response)>;

  router(actors::orchestrator_api& api, authenticator& auth,
         rate_limiter& limits, signature_checker& signatures,
         listener_metrics& metrics, router_options opts);

  void handle(http_request req, reply done);

  /// The worker id when `target` is `/_worker/ws/{worker_id}`.
  static std::optional<std::string> websocket_worker(std::string_view target);

  /// Authenticates a WebSocket upgrade request for `worker_id`.
  result<identity> authorize_websocket(const http_request& req,
                                       const std::string& worker_id);

  /// One worker -> server text frame: a WorkerEventPayload. `done` gets the
  /// outcome (there are no acks on the wire; errors are only counted).
  void handle_ws_frame(const std::string& worker_id, std::string_view text,
                       std::function<void(status)> done);

  void set_draining(bool on) noexcept { draining_.store(on); }
  bool draining() const noexcept { return draining_.load(); }

  actors::orchestrator_api& api() noexcept { return api_; }
  listener_metrics& metrics() noexcept { return metrics_; }

private:
  // Worker routes (router.cpp).
  void worker_register(http_request& req, reply done);
  void worker_poll(http_request& req, const parsed_target& t, reply done);
  void worker_result(http_request& req, reply done);
  void worker_heartbeat(http_request& req, const std::string& id, reply done);
  void worker_event(http_request& req, reply done);
  void worker_sts_token(http_request& req, reply done);
  void worker_sts_refresh(http_request& req, reply done);

  /// Authenticates and rate-limits a worker request.
  result<identity> admit(const http_request& req, std::string_view hint,
                         message_kind kind);

  /// A worker message with a body: parsed, its sender admitted (the hint
  /// is X-Worker-ID, else the body's worker_id), then decoded as T.
  template <class T>
  struct admitted {
    identity who;
    json::value body;
    T msg;
  };
  template <class T>
  result<admitted<T>> admit_body(const http_request& req, message_kind kind);

  // Client routes (router_client.cpp).
  void client(http_request& req, const parsed_target& t, route_id& route,
              reply& done);
  void submit_jobs(http_request& req, const std::string& owner, bool single,
                   reply done);
  void prometheus(reply done);

  actors::orchestrator_api& api_;
  authenticator& auth_;
  rate_limiter& limits_;
  signature_checker& signatures_;
  listener_metrics& metrics_;
  router_options opts_;
  std::atomic<bool> draining_{false};
};

/// Wraps `done` so the response is counted under `route`.
router::reply counted_reply(listener_metrics& m, route_id route,
                            router::reply done);

/// JSON response helpers.
http_response json_response(int status, const json::value& body);
http_response text_response(int status, std::string body,
                            std::string content_type);

} // namespace rxon::runtime
