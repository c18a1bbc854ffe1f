#include "runtime/http/server.hpp"

#include "runtime/http/listener.hpp"
#include "runtime/http/tls_context.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <pthread.h>
#include <thread>
#include <vector>

namespace rxon::runtime {

namespace net = boost::asio;

struct server::impl {
  std::shared_ptr<server_state> state;
  // One io_context per io thread, each run by that thread alone: a
  // session lives on one of them, so its handlers never need a strand.
  std::vector<std::shared_ptr<net::io_context>> iocs;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<listener> accept;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool running = false;
};

server::server(actors::orchestrator_api& api, listener_options opts,
               server_clocks clocks)
    : impl_(std::make_unique<impl>()) {
  auto n = std::max<std::size_t>(1, opts.io_threads);
  for (std::size_t i = 0; i < n; ++i)
    impl_->iocs.push_back(std::make_shared<net::io_context>(1));
  impl_->state
      = std::make_shared<server_state>(api, std::move(opts), std::move(clocks));
  impl_->state->set_io(impl_->iocs);
}

server::~server() {
  stop();
}

server_state& server::state() noexcept {
  return *impl_->state;
}
uint16_t server::port() const noexcept {
  return impl_->port;
}

status server::start() {
  const auto& o = impl_->state->opts();
  std::shared_ptr<net::ssl::context> tls;
  if (!o.tls_cert.empty()) {
    auto ctx = make_server_tls_context(
        {o.tls_cert, o.tls_key, o.tls_ca, o.require_client_cert});
    if (!ctx)
      return ctx.error();
    tls = std::move(*ctx);
  }
  impl_->accept = std::make_shared<listener>(impl_->iocs, impl_->state, tls);
  if (auto ok = impl_->accept->open(); !ok)
    return ok;
  impl_->port = impl_->accept->port();
  impl_->accept->run();
  for (auto& ioc : impl_->iocs) {
    impl_->work.push_back(net::make_work_guard(*ioc));
    impl_->threads.emplace_back([ioc] {
      pthread_setname_np(pthread_self(), "rxon.io");
      ioc->run();
    });
  }
  impl_->running = true;
  return {};
}

void server::stop() {
  if (!impl_->running)
    return;
  impl_->running = false;
  auto& st = *impl_->state;
  st.routes().set_draining(true);
  impl_->accept->stop();
  st.shutdown_all();
  auto now = std::chrono::steady_clock::now();
  if (!st.wait_idle(now + st.opts().grace_period)) {
    st.shutdown_all(true);
    st.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  st.mark_io_stopped();
  impl_->work.clear();
  for (auto& ioc : impl_->iocs)
    ioc->stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  // Run what was posted before the stop: closed sockets fail fast, and
  // undelivered leased tasks are returned. Bounded: nothing starts new I/O.
  for (auto& ioc : impl_->iocs) {
    ioc->restart();
    for (int round = 0; round < 100 && ioc->poll() > 0; ++round) {
    }
  }
}

} // namespace rxon::runtime
