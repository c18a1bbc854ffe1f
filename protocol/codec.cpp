#include "protocol/codec.hpp"

#include "protocol/detail/codec_models.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace rxon {

namespace detail {

// -- paths and errors
// ----------------------------------------------------------

std::string path::str() const {
  // Collect the chain root-first; paths are short.
  std::array<const path*, json::max_depth + 2> chain{};
  std::size_t n = 0;
  for (const path* p = this; p != nullptr && n < chain.size(); p = p->parent)
    chain[n++] = p;
  std::string out;
  for (std::size_t i = n; i-- > 0;) {
    const path& p = *chain[i];
    if (p.is_index) {
      out += '[';
      out += std::to_string(p.index);
      out += ']';
    } else if (p.parent != nullptr) {
      if (!out.empty())
        out += '.';
      out += p.key;
    }
  }
  return out.empty() ? std::string{"(top level)"} : out;
}

error missing(const path& p) {
  return error{errc::missing_field, p.str() + ": missing"};
}

error wrong_type(const path& p, std::string_view expected) {
  auto msg = p.str();
  msg += ": expected ";
  msg += expected;
  return error{errc::wrong_type, std::move(msg)};
}

error out_of_range(const path& p, std::string_view what) {
  auto msg = p.str();
  msg += ": ";
  msg += what;
  return error{errc::out_of_range, std::move(msg)};
}

namespace {

// Mirrors json::check_encodable, starting at the field's own depth so the
// limit applies to the whole message, as in the reference's to_dict.
bool check_value(const json::value& v, int depth, const path& p, error& e) {
  using k = json::value::kind;
  switch (v.type()) {
  case k::number: {
    auto d = v.as_double();
    if (std::isfinite(d) && std::trunc(d) == d
        && (d >= 0x1p64 || d < -0x1p63)) {
      e = out_of_range(p, "integer exceeds 64-bit range");
      return false;
    }
    return true;
  }
  case k::array:
    for (const auto& x : v.as_array()) {
      if (depth + 1 > json::max_depth) {
        e = error{errc::too_deep, p.str() + ": nesting deeper than 100 levels"};
        return false;
      }
      if (!check_value(x, depth + 1, p, e))
        return false;
    }
    return true;
  case k::object:
    for (const auto& m : v.as_object()) {
      if (m.val.is_null())
        continue; // dropped before the reference checks depth
      if (depth + 1 > json::max_depth) {
        e = error{errc::too_deep, p.str() + ": nesting deeper than 100 levels"};
        return false;
      }
      if (!check_value(m.val, depth + 1, p, e))
        return false;
    }
    return true;
  default:
    return true;
  }
}

} // namespace

bool check_free_form(const json::value& v, const path& p, error& e) {
  return check_value(v, p.depth, p, e);
}

// -- scalar readers
// ------------------------------------------------------------

bool read(const json::value& v, const path& p, std::string& out, error& e) {
  if (!v.is_string()) {
    e = wrong_type(p, "string");
    return false;
  }
  out = v.as_string();
  return true;
}

bool read(const json::value& v, const path& p, int64_t& out, error& e) {
  switch (v.type()) {
  case json::value::kind::integer:
    out = v.as_int();
    return true;
  case json::value::kind::uinteger:
    e = out_of_range(p, "integer exceeds 64-bit signed range");
    return false;
  case json::value::kind::number: {
    auto d = v.as_double();
    if (!std::isfinite(d) || std::trunc(d) != d) {
      e = wrong_type(p, "integer");
      return false;
    }
    if (d >= 0x1p63 || d < -0x1p63) {
      e = out_of_range(p, "integer exceeds 64-bit signed range");
      return false;
    }
    out = static_cast<int64_t>(d);
    return true;
  }
  default:
    e = wrong_type(p, "integer");
    return false;
  }
}

bool read(const json::value& v, const path& p, double& out, error& e) {
  if (!v.is_number()) { // bool is not a number on the wire
    e = wrong_type(p, "number");
    return false;
  }
  out = v.as_double();
  return true;
}

bool read(const json::value& v, const path& p, json::value& out, error& e) {
  if (!check_free_form(v, p, e))
    return false;
  out = v;
  return true;
}

} // namespace detail

// -- conformance names
// ---------------------------------------------------------

namespace {

using roundtrip_fn = result<std::string> (*)(const json::value&);

template <class T>
result<std::string> roundtrip(const json::value& wire) {
  auto msg = from_json<T>(wire);
  if (!msg)
    return std::move(msg).error();
  std::string out;
  encode_to(*msg, out, encode_options{.canonical = true, .omit = {}});
  return out;
}

struct named_model {
  std::string_view name;
  roundtrip_fn fn;
};

// Sorted by name for binary search.
constexpr std::array<named_model, 17> models{{
    {"DeviceUsage", &roundtrip<device_usage>},
    {"FileMetadata", &roundtrip<file_metadata>},
    {"HardwareDevice", &roundtrip<hardware_device>},
    {"Heartbeat", &roundtrip<heartbeat>},
    {"InstalledArtifact", &roundtrip<installed_artifact>},
    {"Resources", &roundtrip<resources>},
    {"ResourcesUsage", &roundtrip<resources_usage>},
    {"SecurityContext", &roundtrip<security_context>},
    {"SkillInfo", &roundtrip<skill_info>},
    {"TaskError", &roundtrip<task_error>},
    {"TaskPayload", &roundtrip<task_payload>},
    {"TaskResult", &roundtrip<task_result>},
    {"TokenResponse", &roundtrip<token_response>},
    {"WorkerCapabilities", &roundtrip<worker_capabilities>},
    {"WorkerCommand", &roundtrip<worker_command>},
    {"WorkerEventPayload", &roundtrip<worker_event>},
    {"WorkerRegistration", &roundtrip<worker_registration>},
}};

static_assert(std::is_sorted(models.begin(), models.end(),
                             [](const named_model& x, const named_model& y) {
                               return x.name < y.name;
                             }));

} // namespace

result<std::string> canonical_roundtrip(std::string_view model_name,
                                        const json::value& wire) {
  auto i = std::lower_bound(
      models.begin(), models.end(), model_name,
      [](const named_model& m, std::string_view n) { return m.name < n; });
  if (i == models.end() || i->name != model_name)
    return error{errc::invalid_value,
                 "unknown model '" + std::string{model_name} + "'"};
  return i->fn(wire);
}

} // namespace rxon
