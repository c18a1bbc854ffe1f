#include "protocol/boxed.hpp"
#include "protocol/codec.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rxon;

TEST_CASE("a boxed member has optional's value semantics") {
  boxed<std::string> empty;
  CHECK_FALSE(empty.has_value());
  CHECK_FALSE(empty);
  CHECK(empty == std::nullopt);

  boxed<std::string> a = std::string{"sig"};
  REQUIRE(a.has_value());
  CHECK(*a == "sig");
  CHECK(a->size() == 3);
  CHECK_FALSE(a == empty);

  // Copies are deep: changing one leaves the other alone.
  boxed<std::string> b = a;
  CHECK(b == a);
  *b = "other";
  CHECK(*a == "sig");
  CHECK_FALSE(b == a);
  b = a;
  CHECK(*b == "sig");
  CHECK(&*b != &*a);

  // Assigning a value to a set box keeps its storage.
  const std::string* storage = &*b;
  b = std::string{"again"};
  CHECK(&*b == storage);
  CHECK(*b == "again");

  b = std::nullopt;
  CHECK_FALSE(b);
  b.emplace(3, 'x');
  CHECK(*b == "xxx");
  b.reset();
  CHECK(b == std::nullopt);

  boxed<std::string> moved = std::move(a);
  CHECK(*moved == "sig");
}

TEST_CASE("boxed parts of a task result are encoded only when present") {
  task_result r;
  r.job_id = "job-1";
  r.task_id = "task-1";
  CHECK(encode(r).find("security") == std::string::npos);
  CHECK(encode(r).find("error") == std::string::npos);

  r.status = std::string{"failure"};
  r.error = task_error{"TRANSIENT_ERROR", "disk full", nullptr};
  r.security.emplace().signature = "abc";
  r.data_metadata.emplace()["out"] = file_metadata{"s3://b/k", 12, {}, {}};
  const auto text = encode(r);
  CHECK(text.find(R"("error":{"code":"TRANSIENT_ERROR")") != std::string::npos);
  CHECK(text.find(R"("security":{"signature":"abc"})") != std::string::npos);

  auto back = decode<task_result>(text);
  REQUIRE(back);
  CHECK(*back == r);
  REQUIRE(back->error);
  CHECK(back->error->message == "disk full");
  REQUIRE(back->data_metadata);
  CHECK(back->data_metadata->at("out").size == 12);
}
