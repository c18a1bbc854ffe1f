#include "runtime/simulate/topology.hpp"

#include <cmath>
#include <deque>
#include <unordered_set>

namespace rxon::runtime::simulate {

namespace {

constexpr std::size_t max_nodes = 50'000'000;

} // namespace

hardware_device gpu_device(int32_t vram_gb) {
  hardware_device d;
  d.type = "gpu";
  d.properties = json::object{{"vram_gb", vram_gb}};
  return d;
}

const std::vector<task_type>& task_types() {
  static const std::vector<task_type> types{
      {"cpu_small", 200, 0, 0.4},
      {"cpu_large", 1'000, 0, 0.3},
      {"gpu_infer", 500, 8, 0.2},
      {"gpu_train", 3'000, 16, 0.1},
  };
  return types;
}

result<topology> make_tree(int levels, int fanout) {
  if (levels < 1 || fanout < 1)
    return error{errc::invalid_value, "levels and fanout must be positive"};
  topology t;
  t.levels = levels;
  std::size_t total = 0;
  std::size_t width = 1;
  for (int l = 1; l <= levels; ++l) {
    width *= static_cast<std::size_t>(fanout);
    total += width;
    if (total > max_nodes)
      return error{errc::out_of_range,
                   "the tree would have more than 50M holons"};
  }
  t.nodes.reserve(total);
  // Breadth-first: level 1 is [0, fanout), each next level follows.
  std::size_t level_begin = 0;
  std::size_t level_end = 0;
  for (int f = 0; f < fanout; ++f) {
    sim_node n;
    n.level = 1;
    t.nodes.push_back(std::move(n));
  }
  level_end = t.nodes.size();
  for (int l = 2; l <= levels; ++l) {
    for (std::size_t p = level_begin; p < level_end; ++p) {
      t.nodes[p].first_child = static_cast<uint32_t>(t.nodes.size());
      t.nodes[p].child_count = static_cast<uint32_t>(fanout);
      for (int f = 0; f < fanout; ++f) {
        sim_node n;
        n.parent = static_cast<int32_t>(p);
        n.level = l;
        t.nodes.push_back(std::move(n));
      }
    }
    level_begin = level_end;
    level_end = t.nodes.size();
  }
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    // Appended, not "h" + ...: GCC 12 warns falsely (-Wrestrict) on that.
    auto& id = t.nodes[i].id;
    id = std::to_string(i);
    id.insert(id.begin(), 'h');
    t.leaves += t.nodes[i].leaf() ? 1 : 0;
  }
  return t;
}

result<topology> parse_topology(const json::value& doc) {
  if (!doc.is_object())
    return error{errc::wrong_type, "topology: expected an object"};
  topology t;
  struct item {
    const json::value* v;
    int32_t parent;
    int32_t level;
    std::string path;
  };
  std::deque<item> queue;
  auto push_children = [&](const json::value& v, int32_t parent, int32_t level,
                           const std::string& path) -> status {
    auto* kids = v.find("children");
    if (!kids || kids->is_null())
      return {};
    if (!kids->is_array())
      return error{errc::wrong_type, path + ".children: expected an array"};
    std::size_t k = 0;
    for (const auto& c : kids->as_array()) {
      auto p = path + ".children[" + std::to_string(k++) + "]";
      if (!c.is_object())
        return error{errc::wrong_type, p + ": expected an object"};
      queue.push_back({&c, parent, level, p});
    }
    return {};
  };
  if (auto s = push_children(doc, -1, 1, "topology"); !s)
    return s.error();
  std::unordered_set<std::string> seen;
  while (!queue.empty()) {
    auto it = queue.front();
    queue.pop_front();
    if (t.nodes.size() >= max_nodes)
      return error{errc::out_of_range, "topology: more than 50M holons"};
    sim_node n;
    n.parent = it.parent;
    n.level = it.level;
    auto* id = it.v->find("id");
    if (!id || !id->is_string() || id->as_string().empty())
      return error{errc::missing_field, it.path + ".id: missing"};
    n.id = id->as_string();
    if (n.id == "root" || !seen.insert(n.id).second)
      return error{errc::invalid_value,
                   it.path + ".id: '" + n.id + "' is used twice"};
    if (auto* g = it.v->find("gpu_vram"); g && g->is_integral())
      n.gpu_vram = static_cast<int32_t>(g->as_double());
    if (auto* s = it.v->find("speed"); s && s->is_number()) {
      if (s->as_double() <= 0)
        return error{errc::invalid_value, it.path + ".speed: must be > 0"};
      n.speed = static_cast<float>(s->as_double());
    }
    auto index = static_cast<int32_t>(t.nodes.size());
    if (n.parent >= 0) {
      auto& p = t.nodes[static_cast<std::size_t>(n.parent)];
      if (p.child_count == 0)
        p.first_child = static_cast<uint32_t>(index);
      ++p.child_count;
    }
    t.levels = std::max(t.levels, n.level);
    t.nodes.push_back(std::move(n));
    if (auto s = push_children(*it.v, index, it.level + 1, it.path); !s)
      return s.error();
  }
  if (t.nodes.empty())
    return error{errc::invalid_value, "topology: the root has no children"};
  for (const auto& n : t.nodes)
    t.leaves += n.leaf() ? 1 : 0;
  return t;
}

void assign_fleet(topology& t, double slow_fraction, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> speed(0, 0.25);
  static constexpr int vram[] = {8, 16, 24};
  for (auto& n : t.nodes) {
    if (!n.leaf())
      continue;
    // Every draw happens for every leaf, so one option never shifts the
    // random stream of another.
    double g = u(rng);
    double s = speed(rng);
    double slow = u(rng);
    if (n.gpu_vram == 0 && g < 0.5)
      n.gpu_vram = vram[static_cast<int>(g * 6) % 3];
    n.speed *= static_cast<float>(s);
    if (slow < slow_fraction) {
      n.slow = true;
      n.speed *= 5.0f;
    }
  }
}

worker_registration registration_of(const sim_node& n) {
  worker_registration r;
  r.worker_id = n.id;
  if (!n.leaf()) {
    r.worker_type = "orchestrator";
    r.supported_skills = std::vector<skill_info>{};
    return r;
  }
  std::vector<skill_info> skills;
  for (const auto& tt : task_types()) {
    if (tt.gpu_vram > n.gpu_vram)
      continue;
    skill_info s;
    s.name = tt.name;
    skills.push_back(std::move(s));
  }
  r.supported_skills = std::move(skills);
  if (n.gpu_vram > 0) {
    resources res;
    res.devices = std::vector<hardware_device>{gpu_device(n.gpu_vram)};
    r.resources = std::move(res);
  }
  return r;
}

} // namespace rxon::runtime::simulate
