#include "runtime/cli.hpp"

int main(int argc, char** argv) {
  return rxon::runtime::run_cli(
      std::vector<std::string>(argv + 1, argv + argc));
}
