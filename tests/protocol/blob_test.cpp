#include "protocol/blob.hpp"
#include "protocol/constants.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rxon;

namespace {

std::string str_or_empty(const json::value* v) {
  return v && v->is_string() ? v->as_string() : std::string{};
}

} // namespace

TEST_CASE("conformance: blob_uris.json parses as expected") {
  const std::string file = "blob_uris.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    const auto& e = vectors[i];
    auto got = parse_uri(e.find("uri")->as_string(),
                         str_or_empty(e.find("default_bucket")),
                         str_or_empty(e.find("prefix")));
    if (const auto* err = e.find("error"); err && err->is_string()) {
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error().code == errc::invalid_value);
      CHECK(got.error().message == err->as_string());
    } else {
      REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
      const auto& r = e.find("result")->as_array();
      REQUIRE(r.size() == 3);
      CHECK(got->bucket == r[0].as_string());
      CHECK(got->key == r[1].as_string());
      CHECK(got->is_dir == r[2].as_bool());
    }
  }
}

TEST_CASE("conformance: blob_config_hash.json hashes as expected") {
  const std::string file = "blob_config_hash.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    const auto& e = vectors[i];
    auto got = calculate_config_hash(str_or_empty(e.find("endpoint")),
                                     str_or_empty(e.find("access_key")),
                                     str_or_empty(e.find("bucket")));
    const auto* hash = e.find("hash");
    if (hash && hash->is_string()) {
      REQUIRE(got.has_value());
      CHECK(*got == hash->as_string());
    } else {
      CHECK_FALSE(got.has_value());
    }
  }
}

TEST_CASE("s3 uris split into bucket, key and directory flag") {
  using loc = blob_location;
  CHECK(*parse_uri("s3://models/vision/yolo.pt")
        == loc{"models", "vision/yolo.pt", false});
  CHECK(*parse_uri("s3://datasets/training/")
        == loc{"datasets", "training/", true});
  CHECK(*parse_uri("s3://b") == loc{"b", "", false});
  CHECK(*parse_uri("s3:///k") == loc{"", "k", false});
  CHECK(*parse_uri("s3://b/a//c?x=1#f") == loc{"b", "a//c", false});
  CHECK(*parse_uri("s3://b//k") == loc{"b", "k", false});
  CHECK(*parse_uri("s3://u:p@b:9000/k%20x")
        == loc{"u:p@b:9000", "k%20x", false});
  CHECK(*parse_uri("s3://b#x/") == loc{"b", "", true});
  CHECK(*parse_uri("s3://b/k\n") == loc{"b", "k", false});
  CHECK_FALSE(parse_uri("s3://[b/k").has_value());
}

TEST_CASE("relative paths need a default bucket and take the prefix") {
  using loc = blob_location;
  CHECK(*parse_uri("logs/today.txt", "my-logs", "worker-1/")
        == loc{"my-logs", "worker-1/logs/today.txt", false});
  CHECK(*parse_uri("///a/", "b", "p") == loc{"b", "pa/", true});
  CHECK(*parse_uri("http://x/f", "b") == loc{"b", "http://x/f", false});
  CHECK(*parse_uri("S3://b/k", "d") == loc{"d", "S3://b/k", false});
  for (const char* uri :
       {"", "some/path", "http://wrong-scheme.com/file", "S3://b/k"}) {
    auto r = parse_uri(uri);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message
          == "Cannot parse relative path '" + std::string(uri)
                 + "' without a default bucket.");
  }
}

TEST_CASE("the config hash is the first 16 hex digits of SHA-256") {
  CHECK(calculate_config_hash("http://s3.local", "key123", "my-bucket")
        == "5a190c323715f6e6");
  CHECK(calculate_config_hash("a", "b", "c")
        == calculate_config_hash("a", "b", "c"));
  CHECK(calculate_config_hash("a", "b", "c")->size() == 16);
  CHECK_FALSE(calculate_config_hash("", "key", "bucket"));
  CHECK_FALSE(calculate_config_hash("http", "", "bucket"));
  CHECK_FALSE(calculate_config_hash("http", "key", ""));
}

TEST_CASE("constants carry the reference's values") {
  CHECK(protocol_version == RXON_PROTOCOL_VERSION);
  CHECK(blob_scheme == "s3");
  CHECK(endpoint_task_next == "/_worker/workers/{worker_id}/tasks/next");
  CHECK(error_code_limit_exceeded == "LIMIT_EXCEEDED_ERROR");
  CHECK(ignored_reason_stale == "stale_task");
  CHECK(hb_resp_cancel_tasks == "cancel_task_ids");
  CHECK(job_status_waiting_for_parallel == "waiting_for_parallel_tasks");
  CHECK(terminal_states.size() == 5);
  CHECK(is_terminal_state("cancelled"));
  CHECK(is_terminal_state("quarantined"));
  CHECK_FALSE(is_terminal_state("running"));
  CHECK_FALSE(is_terminal_state("waiting_for_human"));
  static_assert(is_terminal_state(job_status_finished));
}
