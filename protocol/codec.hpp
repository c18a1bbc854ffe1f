#pragma once

// JSON codec for every RXON message (spec §1.1 encoding, §1.2 decoding, with
// the project's stricter nested decoding from spec/decisions.md).
//
// Decoding: unknown fields are ignored; null counts as absent; a missing
// required field or a wrong type is an error whose message starts with the
// field path (`supported_skills[1].name: missing`). Integer fields accept
// integral floats (1.0); number fields accept integers.
//
// Encoding: compact, members in sorted key order (skill_info in declaration
// order, as the reference's dataclass), absent optionals omitted, non-null
// defaults always written, integral floats as integers.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"

#include <span>
#include <string>
#include <string_view>

namespace rxon {

struct encode_options {
  /// Canonical form: every object sorted, skill_info included.
  bool canonical = false;
  /// Top-level members to leave out (signing drops "security" and the
  /// caller's ignore_fields).
  std::span<const std::string_view> omit;
};

/// Restores a message from parsed JSON. `T` is any model in messages.hpp.
template <class T>
result<T> from_json(const json::value& v);

/// Writes a message as compact JSON.
template <class T>
void encode_to(const T& msg, std::string& out, const encode_options& opts = {});

/// Builds the JSON DOM of a message (sorted, nulls dropped).
template <class T>
json::value to_json(const T& msg);

/// Parses and restores a message from wire text.
template <class T>
result<T> decode(std::string_view text) {
  auto v = json::parse(text);
  if (!v)
    return std::move(v).error();
  return from_json<T>(*v);
}

/// Returns the compact wire JSON of a message.
template <class T>
std::string encode(const T& msg, const encode_options& opts = {}) {
  std::string out;
  encode_to(msg, out, opts);
  return out;
}

// Explicit specialisations, defined in codec_worker.cpp and codec_task.cpp.
#define RXON_CODEC_DECLARE(T)                                                  \
  template <>                                                                  \
  result<T> from_json<T>(const json::value& v);                                \
  template <>                                                                  \
  void encode_to<T>(const T& msg, std::string& out, const encode_options& o);  \
  template <>                                                                  \
  json::value to_json<T>(const T& msg);

RXON_CODEC_DECLARE(hardware_device)
RXON_CODEC_DECLARE(device_usage)
RXON_CODEC_DECLARE(resources_usage)
RXON_CODEC_DECLARE(resources)
RXON_CODEC_DECLARE(installed_artifact)
RXON_CODEC_DECLARE(skill_info)
RXON_CODEC_DECLARE(security_context)
RXON_CODEC_DECLARE(worker_capabilities)
RXON_CODEC_DECLARE(file_metadata)
RXON_CODEC_DECLARE(worker_registration)
RXON_CODEC_DECLARE(token_response)
RXON_CODEC_DECLARE(worker_event)
RXON_CODEC_DECLARE(worker_command)
RXON_CODEC_DECLARE(task_payload)
RXON_CODEC_DECLARE(task_error)
RXON_CODEC_DECLARE(task_result)
RXON_CODEC_DECLARE(heartbeat)

#undef RXON_CODEC_DECLARE

/// The message names used by the conformance vectors ("TaskPayload", ...):
/// decodes `wire` as that message and returns its canonical JSON.
result<std::string> canonical_roundtrip(std::string_view model_name,
                                        const json::value& wire);

} // namespace rxon
