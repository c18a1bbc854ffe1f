#pragma once

// Identifier rules (spec §5.5) for worker ids, job ids, task types and
// blueprint names. Unlike the reference (Python `$`), a trailing newline is
// rejected (spec/decisions.md).

#include "protocol/error.hpp"

#include <string_view>

namespace rxon {

/// True iff `v` is non-empty and only has ASCII letters, digits, `_`, `-`.
bool is_valid_identifier(std::string_view v) noexcept;

/// errc::invalid_value with the reference's message
/// `Invalid <name>: '<v>'. Must be alphanumeric, underscores, or hyphens
/// only.` when `v` is not a valid identifier.
status validate_identifier(std::string_view v,
                           std::string_view name = "identifier");

} // namespace rxon
