#pragma once

// Smart resource matching (spec §4) with the project's decisions
// (spec/decisions.md): complete device assignment (bipartite matching)
// instead of greedy first-fit; bool counts as a number; list inclusion and
// intersection; case-insensitive (ASCII) model substring.

#include "protocol/json.hpp"
#include "protocol/messages.hpp"

namespace rxon {

/// PROP(my_props, req_props) of spec §4.1; null/non-object req passes,
/// null/non-object mine counts as {}.
bool properties_match(const json::value& mine, const json::value& required);

/// Python `==` on JSON values: 1 == 1.0 == true, deep for arrays/objects.
bool python_equal(const json::value& x, const json::value& y);

bool matches(const hardware_device& worker, const hardware_device& required);
/// Every required device gets its own matching worker device (maximum
/// bipartite matching), then resource properties must match.
bool matches(const resources& worker, const resources& required);
bool matches(const installed_artifact& worker,
             const installed_artifact& required);
bool matches(const skill_info& worker, const skill_info& required);

} // namespace rxon
