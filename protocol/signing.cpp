#include "protocol/signing.hpp"

#include "protocol/detail/codec_models.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace rxon {

namespace {

constexpr std::string_view empty_secret
    = "Secret key for signing cannot be empty.";

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xF];
  }
  return out;
}

bool is_lower_hex_sha256(std::string_view s) {
  if (s.size() != 64)
    return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

bool omitted(std::string_view key,
             std::span<const std::string_view> ignore_fields) {
  if (key == "security")
    return true;
  for (auto f : ignore_fields)
    if (f == key)
      return true;
  return false;
}

} // namespace

const EVP_MD* sha256_md() {
  // OpenSSL 3 resolves EVP_sha256() through its provider registry (a
  // fetch under a lock) at every use; a token check per request paid
  // that each time. Fetched once, kept for the process.
  static EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched ? fetched : EVP_sha256();
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, sha256_md(), nullptr);
  return to_hex(md, n);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // An empty key still needs a valid pointer for OpenSSL.
  static const char none = 0;
  HMAC(sha256_md(), key.empty() ? &none : key.data(),
       static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
       &n);
  return to_hex(md, n);
}

bool constant_time_equal(std::string_view x, std::string_view y) noexcept {
  if (x.size() != y.size())
    return false;
  return x.empty() || CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

result<std::string>
signing_message(const json::value& payload,
                std::span<const std::string_view> ignore_fields) {
  // to_dict runs on the whole payload before anything is removed.
  if (auto st = json::check_encodable(payload); !st)
    return st.error();
  std::string out;
  if (!payload.is_object()) {
    json::write(payload, out);
    return out;
  }
  json::writer w{out};
  w.begin_object();
  for (const auto& m : payload.as_object()) {
    if (m.val.is_null() || omitted(m.key, ignore_fields))
      continue;
    if (m.val.type() == json::value::kind::number
        && !std::isfinite(m.val.as_double()))
      continue; // NaN/Inf become null, then vanish
    w.key(m.key);
    w.json(m.val);
  }
  w.end_object();
  return out;
}

result<std::string>
sign_payload(const json::value& payload, std::string_view secret,
             std::span<const std::string_view> ignore_fields) {
  if (secret.empty())
    return error{errc::invalid_value, std::string{empty_secret}};
  auto msg = signing_message(payload, ignore_fields);
  if (!msg)
    return std::move(msg).error();
  return hmac_sha256_hex(secret, *msg);
}

bool verify_signature(const json::value& payload, std::string_view signature,
                      std::string_view secret,
                      std::span<const std::string_view> ignore_fields) {
  // Rejects empty, non-ASCII, uppercase and wrong-length signatures before
  // any work; the comparison itself is constant time.
  if (secret.empty() || !is_lower_hex_sha256(signature))
    return false;
  auto expected = sign_payload(payload, secret, ignore_fields);
  return expected && constant_time_equal(*expected, signature);
}

template <class T>
result<std::string>
sign_message(const T& msg, std::string_view secret,
             std::span<const std::string_view> ignore_fields) {
  if (secret.empty())
    return error{errc::invalid_value, std::string{empty_secret}};
  error e;
  if (!detail::check(msg, detail::path{}, e))
    return e;
  // "security" plus the caller's fields; a few at most, kept on the stack
  // unless the caller passes many.
  std::array<std::string_view, 8> small;
  std::vector<std::string_view> large;
  std::span<const std::string_view> omit;
  if (ignore_fields.size() < small.size()) {
    small[0] = "security";
    std::copy(ignore_fields.begin(), ignore_fields.end(), small.begin() + 1);
    omit = std::span{small.data(), ignore_fields.size() + 1};
  } else {
    large.push_back("security");
    large.insert(large.end(), ignore_fields.begin(), ignore_fields.end());
    omit = large;
  }
  std::string out;
  detail::encode_model(msg, out,
                       encode_options{.canonical = true, .omit = omit});
  return hmac_sha256_hex(secret, out);
}

#define RXON_SIGN_INSTANTIATE(T)                                               \
  template result<std::string> sign_message<T>(                                \
      const T&, std::string_view, std::span<const std::string_view>);

RXON_SIGN_INSTANTIATE(hardware_device)
RXON_SIGN_INSTANTIATE(device_usage)
RXON_SIGN_INSTANTIATE(resources_usage)
RXON_SIGN_INSTANTIATE(resources)
RXON_SIGN_INSTANTIATE(installed_artifact)
RXON_SIGN_INSTANTIATE(skill_info)
RXON_SIGN_INSTANTIATE(security_context)
RXON_SIGN_INSTANTIATE(worker_capabilities)
RXON_SIGN_INSTANTIATE(file_metadata)
RXON_SIGN_INSTANTIATE(worker_registration)
RXON_SIGN_INSTANTIATE(token_response)
RXON_SIGN_INSTANTIATE(worker_event)
RXON_SIGN_INSTANTIATE(worker_command)
RXON_SIGN_INSTANTIATE(task_payload)
RXON_SIGN_INSTANTIATE(task_error)
RXON_SIGN_INSTANTIATE(task_result)
RXON_SIGN_INSTANTIATE(heartbeat)

#undef RXON_SIGN_INSTANTIATE

result<std::string> calculate_dict_hash(const json::value& payload) {
  if (auto st = json::check_encodable(payload); !st)
    return st.error();
  return sha256_hex(json::to_string(payload));
}

} // namespace rxon
