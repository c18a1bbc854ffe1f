// The holon <-> supervisor messages are plain data: they survive CAF's
// binary serialization, as they would crossing a network link.

#include "actors/messages.hpp"
#include "support.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <doctest/doctest.h>

using namespace rxon;
using namespace rxon::actors;

namespace {

template <class T>
T roundtrip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(x);
  REQUIRE_MESSAGE(!err, sys.render(err));
  T out;
  caf::binary_deserializer source{sys, buf};
  auto err2 = source(out);
  REQUIRE_MESSAGE(!err2, sys.render(err2));
  return out;
}

} // namespace

TEST_CASE("spawn and holon-up messages survive binary serialization") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto reg = test::holon_reg("gpu-7", {"infer", "train"}, {24}, 0.5);
  reg.worker_type = "orchestrator";
  reg.metadata = json::object{{"zone", "eu"}};
  auto spawn = roundtrip(sys, spawn_child_msg{reg, 42});
  CHECK(spawn.reg == reg);
  CHECK(spawn.request == 42);
  auto up
      = roundtrip(sys, holon_up_msg{reg, "parent-1", caf::actor{}, true, 7});
  CHECK(up.reg == reg);
  CHECK(up.parent_id == "parent-1");
  CHECK(up.restarted);
  CHECK(up.request == 7);
  worker_command cmd;
  cmd.command = "cancel_task";
  cmd.task_id = "t-1";
  auto c = roundtrip(sys, command_msg{cmd});
  CHECK(c.command == cmd);
}

TEST_CASE("a corrupt registration fails to deserialize with an error") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::string bad = "{\"worker_id\": 5}";
  uint64_t request = 1;
  REQUIRE(!sink(bad, request));
  spawn_child_msg out;
  caf::binary_deserializer source{sys, buf};
  auto err = source(out);
  CHECK(err);
  CHECK(sys.render(err).find("rxon.worker_registration") != std::string::npos);
}
