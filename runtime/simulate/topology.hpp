#pragma once

// The shape and the fleet of a simulated holarchy: which holon sits where,
// what it can run (skills, GPU) and how fast. Nodes are in breadth-first
// order, so parents come before children and siblings are contiguous.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace rxon::runtime::simulate {

struct sim_node {
  std::string id;
  int32_t parent = -1; ///< node index; -1: a direct child of the root
  int32_t level = 1;   ///< 1: a direct child of the root
  uint32_t first_child = 0;
  uint32_t child_count = 0;
  int32_t gpu_vram = 0; ///< GB; 0: no GPU (leaves only)
  float speed = 1.0f;   ///< duration multiplier: 2 runs twice as long
  bool slow = false;

  bool leaf() const noexcept { return child_count == 0; }
};

struct topology {
  std::vector<sim_node> nodes;
  int levels = 0;
  std::size_t leaves = 0;
};

/// A tree of `levels` levels below the root, `fanout` children each.
result<topology> make_tree(int levels, int fanout);

/// A tree from JSON {"id":"root","children":[{"id":..,"children":[..]}]}
/// (the shape of GET /holarchy); a node may set "gpu_vram" and "speed".
result<topology> parse_topology(const json::value& doc);

/// Assigns leaves their GPU (half have one of 8/16/24 GB, unless set), a
/// log-normal speed and, for `slow_fraction` of them, a 5x slow-down.
void assign_fleet(topology& t, double slow_fraction, std::mt19937_64& rng);

/// The registration a simulated holon sends (a pure function of the node).
worker_registration registration_of(const sim_node& n);

/// One kind of simulated task.
struct task_type {
  std::string name;
  int64_t mean_ms;
  int32_t gpu_vram; ///< required GPU memory; 0: none
  double weight;    ///< share of the workload
};

/// The workload mix: cpu_small, cpu_large, gpu_infer, gpu_train.
const std::vector<task_type>& task_types();

/// A GPU with `vram_gb` GB: what a leaf offers and what a task type needs.
hardware_device gpu_device(int32_t vram_gb);

} // namespace rxon::runtime::simulate
