#include "tests/runtime/support/test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace rxon::test {

struct test_pki::state {
  EVP_PKEY* ca_key = nullptr;
  X509* ca = nullptr;
  EVP_PKEY* rogue_key = nullptr;
  X509* rogue = nullptr;
  ~state() {
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    EVP_PKEY_free(rogue_key);
    X509_free(rogue);
  }
};

namespace {

EVP_PKEY* new_key() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (!k)
    throw std::runtime_error("EVP_EC_gen failed");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext)
    throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer,
                EVP_PKEY* issuer_key, bool is_ca, const char* san,
                long serial) {
  X509* c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509* iss = issuer ? issuer : c;
  X509_set_issuer_name(c, X509_get_subject_name(iss));
  if (is_ca) {
    add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c, iss, NID_basic_constraints, "CA:FALSE");
    if (san)
      add_ext(c, iss, NID_subject_alt_name, san);
  }
  if (!X509_sign(c, issuer_key, EVP_sha256()))
    throw std::runtime_error("X509_sign failed");
  return c;
}

void write_cert(const std::string& path, X509* c) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, c);
  std::fclose(f);
}

void write_key(const std::string& path, EVP_PKEY* k) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

std::pair<std::string, std::string> issue(const std::string& dir,
                                          const std::string& stem,
                                          const std::string& cn, X509* ca,
                                          EVP_PKEY* ca_key, long serial) {
  EVP_PKEY* key = new_key();
  X509* c = make_cert(cn, key, ca, ca_key, false, nullptr, serial);
  std::pair<std::string, std::string> out{dir + "/" + stem + ".crt",
                                          dir + "/" + stem + ".key"};
  write_cert(out.first, c);
  write_key(out.second, key);
  X509_free(c);
  EVP_PKEY_free(key);
  return out;
}

long next_serial() {
  static long serial = 100;
  return ++serial;
}

} // namespace

std::pair<std::string, std::string> test_pki::client(const std::string& cn) {
  return issue(dir, "client-" + cn, cn, st->ca, st->ca_key, next_serial());
}

std::pair<std::string, std::string>
test_pki::rogue_client(const std::string& cn) {
  return issue(dir, "rogue-" + cn, cn, st->rogue, st->rogue_key, next_serial());
}

test_pki::~test_pki() {
  delete st;
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

std::unique_ptr<test_pki> make_test_pki() {
  auto owned = std::make_unique<test_pki>();
  auto& pki = *owned;
  char tmpl[] = "/tmp/rxon-pki-XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  pki.dir = tmpl;
  pki.st = new test_pki::state;
  auto& s = *pki.st;
  s.ca_key = new_key();
  s.ca = make_cert("rxon test CA", s.ca_key, nullptr, s.ca_key, true, nullptr,
                   1);
  s.rogue_key = new_key();
  s.rogue = make_cert("rogue CA", s.rogue_key, nullptr, s.rogue_key, true,
                      nullptr, 2);
  pki.ca_cert = pki.dir + "/ca.crt";
  write_cert(pki.ca_cert, s.ca);
  EVP_PKEY* server_key = new_key();
  X509* server = make_cert("localhost", server_key, s.ca, s.ca_key, false,
                           "IP:127.0.0.1,DNS:localhost", 3);
  pki.server_cert = pki.dir + "/server.crt";
  pki.server_key = pki.dir + "/server.key";
  write_cert(pki.server_cert, server);
  write_key(pki.server_key, server_key);
  X509_free(server);
  EVP_PKEY_free(server_key);
  return owned;
}

} // namespace rxon::test
