#pragma once

// The self-contained HTML report of a simulation: inline SVG charts of
// throughput over time and the latency distribution, and the holarchy tree
// coloured by load (levels below a drawing budget are folded into their
// ancestors' colour).

#include "protocol/error.hpp"
#include "runtime/simulate/simulator.hpp"

#include <string>

namespace rxon::runtime::simulate {

/// Holons drawn at most; deeper levels are summarised by their ancestors.
inline constexpr std::size_t report_node_budget = 3000;

/// The report as one HTML document (no external resources). Each drawn
/// holon is an SVG <circle class="holon" data-id=.. data-parent=..>.
std::string report_html(const sim_run& run);

/// Writes report_html(run) to `path`.
status write_report(const sim_run& run, const std::string& path);

} // namespace rxon::runtime::simulate
