#include "runtime/http/tls_context.hpp"

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace rxon::runtime {

namespace ssl = boost::asio::ssl;

result<std::shared_ptr<ssl::context>>
make_server_tls_context(const tls_files& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                       | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                       | ssl::context::no_tlsv1_1,
                   ec);
  ctx->use_certificate_chain_file(files.cert, ec);
  if (ec)
    return error{errc::invalid_value,
                 "tls cert '" + files.cert + "': " + ec.message()};
  ctx->use_private_key_file(files.key, ssl::context::pem, ec);
  if (ec)
    return error{errc::invalid_value,
                 "tls key '" + files.key + "': " + ec.message()};
  if (!files.ca.empty()) {
    ctx->load_verify_file(files.ca, ec);
    if (ec)
      return error{errc::invalid_value,
                   "tls ca '" + files.ca + "': " + ec.message()};
  }
  auto mode = ssl::verify_peer;
  if (files.require_client_cert)
    mode |= ssl::verify_fail_if_no_peer_cert;
  ctx->set_verify_mode(mode, ec);
  if (ec)
    return error{errc::internal, "tls verify mode: " + ec.message()};
  return ctx;
}

std::string peer_common_name(ssl_st* ssl) {
  if (!ssl)
    return {};
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
    return {};
  X509_NAME* subject = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0)
    return {};
  ASN1_STRING* data
      = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0)
    return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

} // namespace rxon::runtime
