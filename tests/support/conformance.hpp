#pragma once

// Loads conformance vectors from $RXON_CONFORMANCE_DIR (default: the shared
// folder beside the repository). Every test that uses them must pass on any
// directory of such vectors.

#include "protocol/json.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace rxon::test {

inline std::string conformance_dir() {
  if (const char* dir = std::getenv("RXON_CONFORMANCE_DIR"); dir && *dir)
    return dir;
  return RXON_DEFAULT_CONFORMANCE_DIR;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Returns the array stored in `<conformance dir>/<file>`.
inline json::array load_vectors(const std::string& file) {
  auto path = conformance_dir() + "/" + file;
  json::parse_options opts;
  opts.max_depth = 10000; // the file wraps vectors that are themselves deep
  auto parsed = json::parse(read_file(path), opts);
  if (!parsed || !parsed->is_array())
    throw std::runtime_error(path + ": not a JSON array");
  return std::move(parsed->as_array());
}

/// "file[index]", for failure messages.
inline std::string where(const std::string& file, std::size_t index) {
  return file + "[" + std::to_string(index) + "]";
}

} // namespace rxon::test
