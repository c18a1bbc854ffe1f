#pragma once

// The HTTP/WebSocket transport (spec §3.2-§3.8) on a caller-owned
// io_context. All state lives on one strand; public calls post onto it.

#include "runtime/transport/command_channel.hpp"
#include "runtime/transport/http_client.hpp"
#include "runtime/transport/transport.hpp"

#include <boost/asio/strand.hpp>

#include <mutex>

namespace rxon::runtime {

class http_transport final
    : public transport,
      public std::enable_shared_from_this<http_transport> {
public:
  /// `url` must be http(s) or ws(s); see create_transport().
  static result<std::shared_ptr<http_transport>>
  create(boost::asio::io_context& io, std::string_view url,
         std::string worker_id, std::string token, transport_options opts);

  void connect() override;
  void close() override;
  void register_worker(worker_registration reg,
                       callback<json::value> done) override;
  void poll_task(poll_request req,
                 callback<std::optional<task_payload>> done) override;
  void send_result(task_result res, callback<result_ack> done) override;
  void send_heartbeat(heartbeat hb, callback<heartbeat_reply> done) override;
  void emit_event(worker_event ev, callback<void> done) override;
  void refresh_token(callback<token_response> done) override;
  void listen_for_commands(command_handler on_command,
                           bool reconnect = true) override;

  const std::string& worker_id() const override { return worker_id_; }
  std::string token() const override;
  /// The refresh token held, if any (thread-safe).
  std::optional<std::string> refresh_token_value() const;
  /// The base URL after scheme mapping and trailing '/' stripping.
  const std::string& base_url_text() const { return url_.text; }

  http_transport(boost::asio::io_context& io, runtime::base_url url,
                 std::shared_ptr<boost::asio::ssl::context> tls,
                 std::string worker_id, std::string token,
                 transport_options opts);

private:
  using strand_type
      = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// The core request algorithm (§3.3): one refresh and retry on 401.
  void call(http_request req, callback<json::value> done, int attempt = 1);
  void sts_refresh(callback<token_response> done);
  void finish_refresh(result<token_response> r);
  void send_result_attempt(std::shared_ptr<task_result> res, int attempt,
                           std::string body, callback<result_ack> done);
  void post_event_http(const std::string& body, callback<void> done);
  void on_command_text(std::string_view text);
  void check_version(const std::string& version);
  void adopt(const token_response& t);
  http_request make_request(std::string method, std::string endpoint,
                            std::string target,
                            std::optional<std::string> body) const;
  std::vector<std::pair<std::string, std::string>> headers() const;
  template <class F>
  void on_strand(F&& f);

  strand_type strand_;
  runtime::base_url url_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::string worker_id_;
  std::string path_id_; ///< worker_id encoded as a path segment
  transport_options opts_;
  http_client client_;
  std::shared_ptr<command_channel> channel_;
  command_handler on_command_;
  mutable std::mutex token_mutex_; ///< guards token_, refresh_token_
  std::string token_;
  std::optional<std::string> refresh_token_;
  std::vector<callback<token_response>> refresh_waiters_;
  bool connected_ = false;
  bool version_warned_ = false;
};

} // namespace rxon::runtime
