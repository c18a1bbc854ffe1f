#pragma once

// Throwaway PKI for TLS tests, generated with the OpenSSL C API: a CA, a
// server certificate for 127.0.0.1, and client certificates by CN.

#include <memory>
#include <string>
#include <vector>

namespace rxon::test {

struct test_pki {
  std::string dir;
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  /// Client certificate and key paths for a CN (issued on demand).
  std::pair<std::string, std::string> client(const std::string& cn);
  /// A client certificate for `cn` signed by a CA the server does not know.
  std::pair<std::string, std::string> rogue_client(const std::string& cn);
  test_pki() = default;
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;
  ~test_pki();

  struct state;
  state* st = nullptr;
};

/// Creates the PKI in a fresh temporary directory.
std::unique_ptr<test_pki> make_test_pki();

} // namespace rxon::test
