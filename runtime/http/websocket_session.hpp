#pragma once

// The worker command channel /_worker/ws/{worker_id} (spec §2.8): commands
// from orchestrator_api::attach_commands are written as text frames; text
// frames from the worker are events. Only included by runtime/http/*.cpp
// (it names Beast types).

#include "runtime/http/server_state.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <string>

namespace rxon::runtime {

using upgrade_request
    = boost::beast::http::request<boost::beast::http::string_body>;

/// Accepts the upgrade and runs the channel of an authenticated worker.
void start_websocket_session(boost::beast::tcp_stream stream,
                             upgrade_request req, std::string worker_id,
                             connection_slot slot);
void start_websocket_session(
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
    upgrade_request req, std::string worker_id, connection_slot slot);

} // namespace rxon::runtime
