#pragma once

// An http_response as HTTP/1.1 bytes: status line, headers and body in one
// buffer, written with one send. Beast's response serializer walks a
// composed view of buffers for every write; under bench http that cost
// about a quarter of the listener thread.

#include "runtime/http/http_message.hpp"

#include <string>

namespace rxon::runtime {

/// Appends `res` to `out` with the X-RXON-Version and Server headers, a
/// Content-Length (none for 204), and "Connection: close" unless
/// `keep_alive`.
void write_http_response(std::string& out, const http_response& res,
                         bool keep_alive);

} // namespace rxon::runtime
