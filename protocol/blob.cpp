#include "protocol/blob.hpp"

#include "protocol/signing.hpp"

#include <openssl/evp.h>

#include <array>

namespace rxon {

namespace {

std::string_view strip_leading_slashes(std::string_view s) {
  auto i = s.find_first_not_of('/');
  return i == std::string_view::npos ? std::string_view{} : s.substr(i);
}

} // namespace

result<blob_location> parse_uri(std::string_view uri,
                                std::string_view default_bucket,
                                std::string_view prefix) {
  blob_location out;
  out.is_dir = !uri.empty() && uri.back() == '/';
  constexpr std::string_view scheme = "s3://";
  if (uri.starts_with(scheme)) {
    // As Python's urlparse: tabs and newlines are removed first, the
    // network location ends at '/', '?' or '#', the path at '?' or '#'.
    std::string clean;
    clean.reserve(uri.size());
    for (char c : uri.substr(scheme.size()))
      if (c != '\t' && c != '\r' && c != '\n')
        clean.push_back(c);
    std::string_view rest = clean;
    auto host_end = rest.find_first_of("/?#");
    auto host = rest.substr(0, host_end);
    if ((host.find('[') == std::string_view::npos)
        != (host.find(']') == std::string_view::npos))
      return error{errc::invalid_value, "Invalid IPv6 URL"};
    out.bucket.assign(host);
    if (host_end != std::string_view::npos && rest[host_end] == '/') {
      auto path = rest.substr(host_end);
      path = path.substr(0, path.find_first_of("?#"));
      out.key.assign(strip_leading_slashes(path));
    }
    return out;
  }
  if (default_bucket.empty())
    return error{errc::invalid_value, "Cannot parse relative path '"
                                          + std::string(uri)
                                          + "' without a default bucket."};
  out.bucket.assign(default_bucket);
  out.key.assign(prefix).append(strip_leading_slashes(uri));
  return out;
}

std::optional<std::string> calculate_config_hash(std::string_view endpoint,
                                                 std::string_view access_key,
                                                 std::string_view bucket) {
  if (endpoint.empty() || access_key.empty() || bucket.empty())
    return std::nullopt;
  std::string input;
  input.reserve(endpoint.size() + access_key.size() + bucket.size() + 2);
  input.append(endpoint)
      .append("|")
      .append(access_key)
      .append("|")
      .append(bucket);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &len, sha256_md(),
                 nullptr)
          != 1
      || len < 8)
    return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  return out;
}

} // namespace rxon
