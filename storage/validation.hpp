#pragma once

// Rules both stores enforce identically before they write anything (private
// to storage/).

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "storage/records.hpp"

namespace rxon::storage {

/// Rejects what a store cannot keep faithfully: empty ids, non-finite
/// numbers, unknown states and JSON the reference cannot encode. The error
/// names the record and the field.
status validate(const change_batch& batch);

/// `v` as it reads back from a store: the stores keep the canonical JSON
/// text, so null object members are dropped and NaN/Inf become null.
json::value stored_form(const json::value& v);

} // namespace rxon::storage
