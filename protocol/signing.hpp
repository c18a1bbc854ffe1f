#pragma once

// Canonical JSON, HMAC-SHA256 signatures and dict hashes, byte-identical to
// the reference (spec §5.1, §1.1 calculate_dict_hash).

#include "protocol/codec.hpp"
#include "protocol/error.hpp"
#include "protocol/json.hpp"

#include <span>
#include <string>
#include <string_view>

struct evp_md_st; // OpenSSL's EVP_MD

namespace rxon {

/// Canonical JSON of a payload for signing: without the top-level
/// "security" member and the top-level `ignore_fields` (objects only).
result<std::string>
signing_message(const json::value& payload,
                std::span<const std::string_view> ignore_fields = {});

/// Lowercase hex HMAC-SHA256 of the canonical message. An empty secret is
/// an error ("Secret key for signing cannot be empty.").
result<std::string>
sign_payload(const json::value& payload, std::string_view secret,
             std::span<const std::string_view> ignore_fields = {});

/// Constant-time check of a signature; false for empty inputs, non-hex or
/// uppercase signatures, or any change to the payload.
bool verify_signature(const json::value& payload, std::string_view signature,
                      std::string_view secret,
                      std::span<const std::string_view> ignore_fields = {});

/// Signs a model directly (no DOM): same bytes as sign_payload(to_json(msg)).
template <class T>
result<std::string> sign_message(const T& msg, std::string_view secret,
                                 std::span<const std::string_view> ignore_fields
                                 = {});

/// Lowercase hex SHA-256 of the canonical JSON with nothing removed.
result<std::string> calculate_dict_hash(const json::value& payload);

/// Lowercase hex SHA-256 / HMAC-SHA256 helpers.
std::string sha256_hex(std::string_view data);
/// SHA-256 for OpenSSL calls, fetched once (an EVP_MD*).
const ::evp_md_st* sha256_md();
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view x, std::string_view y) noexcept;

} // namespace rxon
