#pragma once

// CAF inspect() for protocol values that holon and supervisor actors
// exchange. They travel as their canonical RXON JSON (the protocol's own
// wire form, already conformance-tested), so a subtree of holon actors can
// run on another node through CAF's network layer without a second
// encoding of every nested model.

#include "protocol/codec.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include <string>

namespace rxon::detail {

template <class Inspector, class T>
typename Inspector::result_type inspect_as_json(Inspector& f, T& x,
                                                const char* name) {
  std::string text;
  if constexpr (Inspector::reads_state)
    text = encode(x);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    auto decoded = decode<T>(text);
    if (!decoded)
      return caf::make_error(caf::sec::invalid_argument,
                             std::string{name} + ": "
                                 + decoded.error().message);
    x = std::move(*decoded);
    return caf::none;
  });
  return f(caf::meta::type_name(name), text, load);
}

} // namespace rxon::detail

namespace rxon {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_registration& x) {
  return detail::inspect_as_json(f, x, "rxon.worker_registration");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_command& x) {
  return detail::inspect_as_json(f, x, "rxon.worker_command");
}

} // namespace rxon
