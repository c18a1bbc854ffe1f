#pragma once

// The worker's WebSocket to the orchestrator (spec §2.8, §3.7): receives
// command frames, sends event frames, and reconnects with capped
// exponential backoff. Every member function and every callback runs on
// the executor given at construction (a strand).

#include "runtime/transport/request_encoding.hpp"
#include "runtime/transport/transport_options.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace rxon::runtime {

class command_channel {
public:
  using header_list = std::vector<std::pair<std::string, std::string>>;
  /// Called before every (re)connect, so a refreshed token is used.
  using header_source = std::function<header_list()>;
  /// Receives the text of every TEXT frame.
  using text_handler = std::function<void(std::string_view)>;

  /// `target` is the encoded path below the base URL's path.
  command_channel(boost::asio::any_io_executor strand, base_url url,
                  std::shared_ptr<boost::asio::ssl::context> tls,
                  const transport_options& opts, std::string target,
                  header_source headers, text_handler on_text);
  ~command_channel();
  command_channel(const command_channel&) = delete;
  command_channel& operator=(const command_channel&) = delete;

  /// Connects and keeps reading; with `reconnect`, reconnects after every
  /// failure or close until stop().
  void start(bool reconnect);

  /// Closes the socket and cancels any pending reconnection.
  void stop();

  /// Whether a handshake succeeded and the socket has not failed since.
  bool is_open() const;

  /// Queues a TEXT frame; `done(false)` when it could not be written.
  void send(std::string text, std::function<void(bool)> done);

  class impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace rxon::runtime
