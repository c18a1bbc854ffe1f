#pragma once

// Blob URIs and the storage config hash (spec §5.5).

#include "protocol/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rxon {

/// The URI scheme of blobs, as in `s3://bucket/key`.
inline constexpr std::string_view blob_scheme = "s3";

struct blob_location {
  std::string bucket;
  std::string key;
  bool is_dir = false; ///< the raw uri ends with '/'
  friend bool operator==(const blob_location&, const blob_location&) = default;
};

/// Splits `s3://bucket/key` (case-sensitive scheme; query and fragment
/// dropped; no percent-decoding) or resolves a relative path against
/// `default_bucket` with `prefix` prepended. Without a default bucket a
/// relative path fails with the reference's message
/// `Cannot parse relative path '<uri>' without a default bucket.`
result<blob_location> parse_uri(std::string_view uri,
                                std::string_view default_bucket = {},
                                std::string_view prefix = {});

/// First 16 lowercase hex digits of SHA-256("<endpoint>|<access_key>|
/// <bucket>"); nullopt when any part is empty.
std::optional<std::string> calculate_config_hash(std::string_view endpoint,
                                                 std::string_view access_key,
                                                 std::string_view bucket);

} // namespace rxon
