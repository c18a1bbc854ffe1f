#include "bench/protocol_bench.hpp"

#include "protocol/codec.hpp"
#include "protocol/matching.hpp"
#include "protocol/signing.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

namespace rxon::bench {

namespace {

/// Keeps the optimiser from dropping a computed value.
template <class T>
void keep(const T& x) {
  asm volatile("" : : "g"(&x) : "memory");
}

/// Calls `op` in batches until `seconds` have passed; returns calls per second.
template <class F>
double ops_per_second(double seconds, F&& op) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 64; ++i) // warm caches and allocator
    op();
  auto start = clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  uint64_t n = 0;
  auto now = start;
  do {
    for (int i = 0; i < 128; ++i)
      op();
    n += 128;
    now = clock::now();
  } while (now < deadline);
  return static_cast<double>(n)
         / std::chrono::duration<double>(now - start).count();
}

// A poll response as a worker receives it.
constexpr std::string_view task_wire
    = R"({"deadline":1763700300,"job_id":"job-7f3c2a9e-4b1d-4e8a-9c55-0a1b2c3d4e5f",)"
      R"("metadata":{"tenant":"acme"},"params":{"bitrate":4500,"format":"h264",)"
      R"("input":"s3://media/in/clip-0042.mp4","scale":0.5,"tags":["hd","priority"]},)"
      R"("priority":5,"task_id":"task-0042","timestamp":1763700000,)"
      R"("tracing_context":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},)"
      R"("type":"transcode"})";

std::string gpu(int i) {
  return R"({"id":")" + std::to_string(i)
         + R"(","model":"NVIDIA A100-SXM4-80GB","properties":{"cuda_cores":6912,"fp16":true,"vram_gb":80},"type":"gpu"})";
}

// A registration with 2 skills carrying schemas and 4 GPUs.
std::string registration_wire() {
  return R"({"available_skills":["transcode","embed"],)"
         R"("capabilities":{"cost_per_skill":{"embed":0.25,"transcode":1.5},"hostname":"node-17","ip_address":"10.0.3.17"},)"
         R"("hot_skills":["embed"],"installed_software":{"cuda":"12.1","ffmpeg":"6.0"},)"
         R"("resources":{"devices":[)"
         + gpu(0) + "," + gpu(1) + "," + gpu(2) + "," + gpu(3)
         + R"(],"properties":{"cpu_cores":32,"ram_gb":256}},)"
           R"("supported_skills":[)"
           R"({"name":"transcode","type":"gpu","version":"2.1.0","input_schema":{"properties":{"bitrate":{"type":"integer"},"format":{"enum":["h264","hevc"],"type":"string"},"input":{"type":"string"}},"required":["input","format"],"type":"object"},"output_schema":{"properties":{"uri":{"type":"string"}},"type":"object"},"schema_dialect":"json-schema"},)"
           R"({"name":"embed","version":"1.0.0","input_schema":{"properties":{"texts":{"items":{"type":"string"},"type":"array"}},"required":["texts"],"type":"object"},"output_statuses":["success","failure"],"schema_dialect":"json-schema"}],)"
           R"("timestamp":1763700000,"worker_id":"worker-node-17","worker_type":"gpu"})";
}

task_result sample_result() {
  auto r = decode<task_result>(
      R"({"data":{"duration_s":12.5,"frames":300,"uri":"s3://media/out/clip-0042.mp4"},)"
      R"("job_id":"job-7f3c2a9e-4b1d-4e8a-9c55-0a1b2c3d4e5f","metadata":{"tenant":"acme"},)"
      R"("security":{"signer_id":"worker-node-17"},"status":"success","task_id":"task-0042",)"
      R"("timestamp":1763700012,"worker_id":"worker-node-17"})");
  return r ? std::move(r).value() : task_result{};
}

struct figures {
  double seconds = 1;
  double task_roundtrip = 0;
  double registration_roundtrip = 0;
  double sign_result = 0;
  std::optional<double> matches; ///< absent until protocol/matching.cpp lands
};

template <class T>
double roundtrip(double seconds, std::string_view wire) {
  std::string out;
  return ops_per_second(seconds, [&] {
    auto msg = decode<T>(wire);
    out.clear();
    if (msg)
      encode_to(*msg, out);
    keep(out);
  });
}

figures measure(double seconds) {
  figures f;
  f.seconds = seconds;
  f.task_roundtrip = roundtrip<task_payload>(seconds, task_wire);
  auto reg = registration_wire();
  f.registration_roundtrip = roundtrip<worker_registration>(seconds, reg);
  auto result = sample_result();
  f.sign_result = ops_per_second(seconds, [&] {
    auto sig = sign_message(result, "bench-secret");
    keep(sig);
  });
  auto worker = decode<worker_registration>(reg);
  auto required = decode<resources>(
      R"({"devices":[{"model":"a100","properties":{"vram_gb":40},"type":"gpu"},)"
      R"({"properties":{"fp16":true},"type":"gpu"}],"properties":{"cpu_cores":8}})");
  if (worker && worker->resources && required)
    f.matches = ops_per_second(seconds, [&] {
      bool ok = matches(*worker->resources, *required);
      keep(ok);
    });
  return f;
}

void print_json(const figures& f) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("registration_roundtrip_per_s");
  w.number(f.registration_roundtrip);
  w.key("resources_matches_per_s");
  if (f.matches)
    w.number(*f.matches);
  else
    w.null(); // not measured: needs protocol/matching.cpp
  w.key("seconds");
  w.number(f.seconds);
  w.key("sign_taskresult_per_s");
  w.number(f.sign_result);
  w.key("taskpayload_roundtrip_per_s");
  w.number(f.task_roundtrip);
  w.end_object();
  std::cout << out << "\n";
}

void print_table(const figures& f) {
  auto row = [](const char* what, double v) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-52s %12.0f ops/s\n", what, v);
    std::cout << buf;
  };
  std::cout << "rxon bench protocol (" << f.seconds << " s per figure)\n";
  row("TaskPayload decode+encode (text->struct->text)", f.task_roundtrip);
  row("WorkerRegistration decode+encode (2 skills, 4 GPUs)",
      f.registration_roundtrip);
  row("sign TaskResult (canonical, HMAC-SHA256)", f.sign_result);
  if (f.matches)
    row("Resources.matches (4 GPUs vs 2 devices)", *f.matches);
  else
    std::cout << "  Resources.matches: not measured (protocol/matching.cpp "
                 "is not in this build yet)\n";
}

} // namespace

int run_protocol(const std::vector<std::string>& args) {
  bool as_json = false;
  double seconds = 1;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      as_json = true;
    } else if (args[i] == "--seconds" && i + 1 < args.size()) {
      char* end = nullptr;
      seconds = std::strtod(args[++i].c_str(), &end);
      if (end == args[i].c_str() || *end != '\0' || !(seconds > 0)
          || seconds > 600) {
        std::cerr << "rxon bench protocol: --seconds needs a number in "
                     "(0, 600]\n";
        return 2;
      }
    } else {
      std::cerr << "usage: rxon bench protocol [--json] [--seconds S]\n";
      return 2;
    }
  }
  auto f = measure(seconds);
  if (as_json)
    print_json(f);
  else
    print_table(f);
  return 0;
}

} // namespace rxon::bench
