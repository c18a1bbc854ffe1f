#include "runtime/http/websocket_session.hpp"

#include "protocol/codec.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>

namespace rxon::runtime {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using ssl_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

template <class Stream>
class websocket_session
    : public connection,
      public std::enable_shared_from_this<websocket_session<Stream>> {
public:
  websocket_session(Stream stream, std::string worker_id, connection_slot slot)
      : slot_(std::move(slot)), ws_(std::move(stream)),
        worker_id_(std::move(worker_id)) {}

  ~websocket_session() override {
    auto& st = slot_.state();
    if (attached_)
      st.api().detach_commands(worker_id_, token_);
    st.clear_websocket(worker_id_, id_);
    st.remove(id_);
  }

  void run(upgrade_request req) {
    auto& st = slot_.state();
    id_ = st.add(this->weak_from_this());
    ws_.set_option(
        websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::response_type& res) {
          res.set(beast::http::field::server, "rxon");
          res.set("X-RXON-Version", RXON_PROTOCOL_VERSION);
        }));
    ws_.read_message_max(st.opts().max_body_bytes);
    ws_.async_accept(req,
                     beast::bind_front_handler(&websocket_session::on_accept,
                                               this->shared_from_this()));
  }

  void shutdown() override { close_with(websocket::close_code::going_away); }
  void replace() override { close_with(websocket::close_code::policy_error); }
  void force_close() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      beast::get_lowest_layer(self->ws_).close();
    });
  }

private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return;
    auto& st = slot_.state();
    st.set_websocket(worker_id_, id_, this->weak_from_this());
    std::weak_ptr<websocket_session> weak = this->shared_from_this();
    auto exec = ws_.get_executor();
    auto keep = slot_.ptr(); // the sink may outlive this session
    token_ = st.api().attach_commands(
        worker_id_, [weak, exec, keep](const worker_command& cmd) {
          auto text = std::make_shared<std::string>(encode(cmd));
          keep->post_if_running([&] {
            net::post(exec, [weak, text] {
              if (auto self = weak.lock())
                self->send(text);
            });
          });
        });
    attached_ = true;
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&websocket_session::on_read,
                                             this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return; // closed, timed out (no pong) or replaced
    auto& st = slot_.state();
    st.metrics().ws_frame_received();
    if (ws_.got_text()) {
      auto text = beast::buffers_to_string(buffer_.data());
      st.routes().handle_ws_frame(worker_id_, text, [](status) {
        // No acks on the wire (spec §2.8); failures are only counted.
      });
    }
    buffer_.consume(buffer_.size());
    do_read();
  }

  void send(std::shared_ptr<const std::string> text) {
    if (closing_)
      return;
    queue_.push_back(std::move(text));
    if (queue_.size() == 1)
      do_write();
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&websocket_session::on_write,
                                              this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec)
      return;
    slot_.state().metrics().ws_command_sent();
    queue_.pop_front();
    if (!queue_.empty())
      do_write();
  }

  void close_with(websocket::close_code code) {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), code] {
      if (self->closing_)
        return;
      self->closing_ = true;
      self->ws_.async_close(code, [self](beast::error_code) {});
    });
  }

  connection_slot slot_; // first: keeps the io_context alive for ws_
  websocket::stream<Stream> ws_;
  std::string worker_id_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  uint64_t id_ = 0;
  uint64_t token_ = 0;
  bool attached_ = false;
  bool closing_ = false;
};

template <class Stream>
void start(Stream stream, upgrade_request req, std::string worker_id,
           connection_slot slot) {
  auto s = std::make_shared<websocket_session<Stream>>(
      std::move(stream), std::move(worker_id), std::move(slot));
  s->run(std::move(req));
}

} // namespace

void start_websocket_session(beast::tcp_stream stream, upgrade_request req,
                             std::string worker_id, connection_slot slot) {
  start(std::move(stream), std::move(req), std::move(worker_id),
        std::move(slot));
}

void start_websocket_session(ssl_stream stream, upgrade_request req,
                             std::string worker_id, connection_slot slot) {
  start(std::move(stream), std::move(req), std::move(worker_id),
        std::move(slot));
}

} // namespace rxon::runtime
