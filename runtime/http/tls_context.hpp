#pragma once

// Server TLS context (spec §5.3) and the certificate identity (§5.4).

#include "protocol/error.hpp"

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;

namespace rxon::runtime {

struct tls_files {
  std::string cert;
  std::string key;
  std::string ca; ///< empty: client certificates cannot be verified
  bool require_client_cert = false;
};

/// Loads the server certificate and key, and the CA used to verify
/// clients. Client certificates are requested (optional) or required.
result<std::shared_ptr<boost::asio::ssl::context>>
make_server_tls_context(const tls_files& files);

/// The first subject commonName of the verified peer certificate, or "".
std::string peer_common_name(ssl_st* ssl);

} // namespace rxon::runtime
