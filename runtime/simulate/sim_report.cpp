#include "runtime/simulate/sim_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace rxon::runtime::simulate {

namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0,
                double d = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Blue (idle) to red (busy).
std::string load_colour(double u) {
  u = std::clamp(u, 0.0, 1.0);
  return fmt("hsl(%.0f,75%%,50%%)", 240.0 * (1.0 - u));
}

std::string axes(double w, double h, const std::string& x_label,
                 const std::string& y_label) {
  return "<line x1='50' y1='" + fmt("%.0f", h - 30) + "' x2='"
         + fmt("%.0f", w - 10) + "' y2='" + fmt("%.0f", h - 30)
         + "' stroke='#333'/><line x1='50' y1='10' x2='50' y2='"
         + fmt("%.0f", h - 30) + "' stroke='#333'/><text x='"
         + fmt("%.0f", w / 2) + "' y='" + fmt("%.0f", h - 8)
         + "' font-size='12'>" + x_label + "</text><text x='4' y='20' "
         + "font-size='12'>" + y_label + "</text>";
}

std::string throughput_svg(const summary& s) {
  const double w = 900, h = 260;
  std::string out = "<svg class='throughput' viewBox='0 0 900 260' "
                    "width='900' height='260'>"
                    + axes(w, h, "simulated time (s)", "tasks/s");
  const auto& tp = s.throughput;
  if (tp.empty())
    return out + "</svg>";
  // At most 800 points: average buckets of seconds.
  std::size_t step = (tp.size() + 799) / 800;
  std::vector<double> pts;
  for (std::size_t i = 0; i < tp.size(); i += step) {
    double sum = 0;
    std::size_t k = 0;
    for (; k < step && i + k < tp.size(); ++k)
      sum += tp[i + k];
    pts.push_back(sum / double(k));
  }
  double peak = std::max(1.0, *std::max_element(pts.begin(), pts.end()));
  out += "<polyline fill='none' stroke='#c33' stroke-width='1.5' points='";
  for (std::size_t i = 0; i < pts.size(); ++i)
    out += fmt("%.1f,%.1f ",
               50
                   + (w - 60) * double(i)
                         / double(std::max<std::size_t>(pts.size() - 1, 1)),
               (h - 30) - (h - 40) * pts[i] / peak);
  out += "'/>"
         + fmt("<text x='55' y='22' font-size='11'>peak %.0f/s, "
               "%.0f s</text>",
               peak, double(tp.size()));
  return out + "</svg>";
}

std::string latency_svg(const summary& s) {
  const double w = 900, h = 260;
  std::string out
      = "<svg class='latency' viewBox='0 0 900 260' width='900' "
        "height='260'>"
        + axes(w, h, "latency, submit to result (ms, log)", "tasks");
  const auto& counts = s.latency.counts();
  const auto& bounds = s.latency.bounds();
  std::size_t lo = counts.size(), hi = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i]) {
      lo = std::min(lo, i);
      hi = i;
    }
  if (lo > hi)
    return out + "</svg>";
  double peak = double(*std::max_element(counts.begin(), counts.end()));
  double bw = (w - 60) / double(hi - lo + 1);
  for (std::size_t i = lo; i <= hi; ++i) {
    double bh = (h - 40) * double(counts[i]) / peak;
    out += fmt("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
               "fill='#36c'>",
               50 + bw * double(i - lo), (h - 30) - bh, std::max(bw - 1, 1.0),
               bh);
    out += "<title>&lt;= " + std::to_string(bounds[i])
           + " ms: " + std::to_string(counts[i]) + "</title></rect>";
  }
  out += "<text x='50' y='" + fmt("%.0f", h - 18) + "' font-size='10'>"
         + std::to_string(lo ? bounds[lo - 1] : 0) + "</text><text x='"
         + fmt("%.0f", w - 60) + "' y='" + fmt("%.0f", h - 18)
         + "' font-size='10'>" + std::to_string(bounds[hi]) + "</text>";
  return out + "</svg>";
}

struct tree_layout {
  const sim_run& run;
  int depth; ///< deepest level drawn
  std::vector<double> x;
  double next = 0;

  double place(uint32_t i) {
    const auto& n = run.tree.nodes[i];
    if (n.leaf() || n.level >= depth)
      return x[i] = next++;
    double first = 0, last = 0;
    for (uint32_t c = 0; c < n.child_count; ++c) {
      double v = place(n.first_child + c);
      if (c == 0)
        first = v;
      last = v;
    }
    return x[i] = (first + last) / 2;
  }
};

std::string tree_svg(const sim_run& run) {
  const auto& nodes = run.tree.nodes;
  // Draw whole levels while the budget allows.
  int depth = 1;
  std::size_t drawn = 0;
  for (int l = 1; l <= run.tree.levels; ++l) {
    std::size_t at = 0;
    for (const auto& n : nodes)
      at += n.level == l ? 1 : 0;
    if (l > 1 && drawn + at > report_node_budget)
      break;
    drawn += at;
    depth = l;
  }
  tree_layout lay{run, depth, std::vector<double>(nodes.size(), -1), 0};
  std::vector<uint32_t> tops;
  for (uint32_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].parent < 0)
      tops.push_back(i);
  double first = 0, last = 0;
  for (std::size_t k = 0; k < tops.size(); ++k) {
    double v = lay.place(tops[k]);
    if (k == 0)
      first = v;
    last = v;
  }
  const double dx = 14, dy = 90, pad = 20;
  double w = std::max(lay.next * dx + 2 * pad, 300.0);
  double h = (depth + 1) * dy + pad;
  auto px = [&](double v) { return pad + v * dx + dx / 2; };
  auto py = [&](int level) { return pad + level * dy; };
  std::string edges, circles;
  double root_x = px((first + last) / 2);
  circles += fmt("<circle class='holon' data-id='root' data-parent='' "
                 "data-level='0' cx='%.1f' cy='%.1f' r='8' fill='#555'>",
                 root_x, py(0))
             + "<title>root (this orchestrator)</title></circle>";
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (n.level > depth)
      continue;
    double cx = px(lay.x[i]), cy = py(n.level);
    double pxx
        = n.parent < 0 ? root_x : px(lay.x[static_cast<uint32_t>(n.parent)]);
    edges += fmt("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>", pxx,
                 py(n.level - 1), cx, cy);
    std::string parent
        = n.parent < 0 ? "root" : nodes[static_cast<uint32_t>(n.parent)].id;
    double u = run.utilisation.empty() ? 0 : run.utilisation[i];
    bool lost = !run.lost.empty() && run.lost[i];
    circles += "<circle class='holon' data-id='" + escape(n.id)
               + "' data-parent='" + escape(parent) + "' data-level='"
               + std::to_string(n.level) + "'"
               + fmt(" cx='%.1f' cy='%.1f' r='5'", cx, cy) + " fill='"
               + load_colour(u) + "'"
               + (lost ? " stroke='#000' stroke-dasharray='2'" : "")
               + "><title>" + escape(n.id) + fmt(": load %.0f%%", u * 100)
               + (lost ? " (lost)" : "") + "</title></circle>";
  }
  return fmt("<svg class='tree' viewBox='0 0 %.0f %.0f' width='%.0f' "
             "height='%.0f'>",
             w, h, std::min(w, 1800.0), h * std::min(1.0, 1800.0 / w))
         + "<g stroke='#bbb' stroke-width='1'>" + edges + "</g>" + circles
         + "</svg>"
         + (depth < run.tree.levels
                ? "<p>Levels " + std::to_string(depth + 1) + " to "
                      + std::to_string(run.tree.levels)
                      + " are not drawn; each drawn holon is coloured by the "
                        "load of its whole subtree.</p>"
                : std::string{});
}

} // namespace

std::string report_html(const sim_run& run) {
  const auto& s = run.stats;
  std::string out = "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                    "<title>rxon simulate report</title><style>body{font-"
                    "family:sans-serif;margin:20px}pre{background:#f4f4f4;"
                    "padding:8px}svg{display:block;margin:8px 0}</style>"
                    "</head><body><h1>rxon simulate</h1><pre>";
  out += escape(to_text(s));
  out += "</pre><h2>Throughput over time</h2>" + throughput_svg(s);
  out += "<h2>Latency distribution</h2>" + latency_svg(s);
  out += "<h2>Holarchy, coloured by load (blue idle, red busy; dashed: "
         "lost)</h2>"
         + tree_svg(run);
  out += "</body></html>\n";
  return out;
}

status write_report(const sim_run& run, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f)
    return error{errc::unavailable, "--report: cannot write '" + path + "'"};
  f << report_html(run);
  f.close();
  if (!f)
    return error{errc::unavailable, "--report: cannot write '" + path + "'"};
  return {};
}

} // namespace rxon::runtime::simulate
