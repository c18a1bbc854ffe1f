#pragma once

// Checks a schema before RapidJSON 1.1.0 compiles it (internal to
// skill_contract.cpp): valid draft-04, local and loop-free `$ref`s,
// compilable patterns. RapidJSON would silently ignore, loop or crash.

#include "protocol/error.hpp"

#include <rapidjson/document.h>

namespace rxon::schema_detail {

/// Returns whether the schema uses regular expressions (`pattern`,
/// `patternProperties`), or errc::invalid_value naming the problem.
result<bool> check_schema(const rapidjson::Document& schema);

} // namespace rxon::schema_detail
