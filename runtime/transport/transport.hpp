#pragma once

// The worker-side transport (spec §3): the asynchronous interface shared by
// the HTTP transport and the mock, and create_transport().
//
// Every operation returns at once; its callback runs later on the
// io_context the transport was created on (never inside the call), exactly
// once. Callbacks must not block: from a CAF actor, send yourself a message
// from the callback. Errors are rxon::error values; nothing throws.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"
#include "runtime/transport/transport_options.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rxon::runtime {

template <class T>
using callback = std::function<void(result<T>)>;

struct poll_request {
  /// Seconds the orchestrator may hold the poll; the request itself times
  /// out 5 s later.
  double timeout = 30.0;
  /// Sent only when set; an empty list is sent as an empty value.
  std::optional<std::vector<std::string>> available_skills;
  std::optional<std::vector<std::string>> hot_skills;
};

/// What became of a result the orchestrator answered (spec §2.4).
struct result_ack {
  /// False for an "ignored" answer, or when nothing was sent (attempts <= 0).
  bool accepted = true;
  /// The "reason" of an "ignored" answer, e.g. "deadline_exceeded".
  std::string ignored_reason;
  json::value response;
};

/// A heartbeat answer (spec §2.7): the conventional keys and the raw JSON.
struct heartbeat_reply {
  std::vector<std::string> cancel_task_ids;
  bool require_full_sync = false;
  json::value raw; ///< the whole response; null is possible
};

/// Receives each WebSocket command (frames that are not a JSON object with
/// a `command` are logged and skipped).
using command_handler = std::function<void(worker_command)>;

class transport {
public:
  virtual ~transport() = default;

  /// Allows requests; before it every request fails with a network error
  /// "Transport not connected. Call connect() first.".
  virtual void connect() = 0;
  /// Closes connections and the WebSocket; pending requests fail.
  virtual void close() = 0;

  /// POST register. Returns the raw answer; tokens in it are adopted.
  virtual void register_worker(worker_registration reg,
                               callback<json::value> done)
      = 0;
  /// GET next task; nullopt when there is none (204 or an empty answer).
  virtual void poll_task(poll_request req,
                         callback<std::optional<task_payload>> done)
      = 0;
  /// POST result, retried with backoff on network errors only.
  virtual void send_result(task_result res, callback<result_ack> done) = 0;
  /// PATCH heartbeat.
  virtual void send_heartbeat(heartbeat hb, callback<heartbeat_reply> done) = 0;
  /// Sends over the WebSocket when open, else POST events.
  virtual void emit_event(worker_event ev, callback<void> done) = 0;
  /// STS: the refresh endpoint when a refresh token is held, else the
  /// bootstrap endpoint. Adopts the new tokens.
  virtual void refresh_token(callback<token_response> done) = 0;
  /// Starts the WebSocket command loop (ends with close()). Commands are
  /// delivered on the io_context in arrival order.
  virtual void listen_for_commands(command_handler on_command,
                                   bool reconnect = true)
      = 0;

  virtual const std::string& worker_id() const = 0;
  /// The current access token (thread-safe).
  virtual std::string token() const = 0;
};

/// Creates a transport for `http://`, `https://`, `ws://`, `wss://` or
/// `mock://` URLs, running on `io` (which the caller runs). Other schemes:
/// "Unsupported transport scheme in URL: <url>".
result<std::shared_ptr<transport>>
create_transport(boost::asio::io_context& io, std::string_view url,
                 std::string worker_id, std::string token,
                 transport_options opts = {});

} // namespace rxon::runtime
