#include "actors/dispatcher_state.hpp"
#include "actors/seq_table.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace rxon;
using namespace rxon::actors;
using namespace rxon::test;
using storage::task_state;

namespace {

std::unique_ptr<int> heap_int(int v) {
  return std::make_unique<int>(v);
}

} // namespace

TEST_CASE("a seq table finds what it holds and nothing it does not") {
  seq_table<int> t;
  CHECK(t.find(0) == nullptr);
  t.insert(10, heap_int(100));
  t.insert(12, heap_int(120)); // 11 is a hole (a job id took it)
  REQUIRE(t.find(10) != nullptr);
  CHECK(*t.find(10) == 100);
  CHECK(t.find(11) == nullptr);
  CHECK(*t.find(12) == 120);
  CHECK(t.find(9) == nullptr);
  CHECK(t.find(13) == nullptr);
  CHECK(t.size() == 2);
  t.erase(10);
  CHECK(t.find(10) == nullptr);
  CHECK(*t.find(12) == 120);
  t.erase(10); // twice: nothing happens
  CHECK(t.size() == 1);
  t.erase(12);
  CHECK(t.size() == 0);
  t.insert(20, heap_int(200)); // an empty window restarts at the new seq
  CHECK(*t.find(20) == 200);
  t.insert(22, heap_int(220));
  t.insert(21, heap_int(210)); // late, into a hole of the window
  REQUIRE(t.find(21) != nullptr);
  CHECK(*t.find(21) == 210);
  t.erase(21);
  CHECK(t.find(21) == nullptr);
  CHECK(t.size() == 2);
}

TEST_CASE("a seq table keeps a long-lived entry findable while the window "
          "slides past it") {
  seq_table<int> t;
  t.insert(1, heap_int(-1)); // stays until the end
  for (int i = 2; i < 100'000; ++i) {
    t.insert(static_cast<uint64_t>(i), heap_int(i));
    if (i > 10)
      t.erase(static_cast<uint64_t>(i - 8)); // a few in flight at a time
  }
  REQUIRE(t.find(1) != nullptr);
  CHECK(*t.find(1) == -1);
  CHECK(*t.find(99'999) == 99'999);
  CHECK(t.find(50'000) == nullptr);
  CHECK(t.size() == 2 + 8); // 1 and 2 (never erased), the last eight
  t.erase(1);
  CHECK(t.find(1) == nullptr);
  // An entry older than the window (out of order) is still kept.
  t.insert(5, heap_int(5));
  CHECK(*t.find(5) == 5);
}

TEST_CASE("tasks are found by id whether this dispatcher minted the id or a "
          "restored one that decodes to a live task's number") {
  dispatcher_state d{dispatch_config{}, 42};
  int64_t now = 1'700'000'000'000;
  effects fx;
  auto ack = d.submit(job({task("echo"), task("echo")}), now, fx);
  REQUIRE(ack);
  REQUIRE(ack->task_ids.size() == 2);
  for (const auto& id : ack->task_ids) {
    REQUIRE(id.size() == 15);
    REQUIRE(d.find_task(id) != nullptr);
    CHECK(d.find_task(id)->task_id == id);
  }
  // A task restored from an earlier process: its id embeds the same
  // sequence number as the first live task, with another time and tail.
  auto twin = ack->task_ids[0];
  twin[0] = twin[0] == 'Q' ? 'R' : 'Q';
  storage::job_record j{"job-old", "client", {}, now};
  storage::task_record old;
  old.task_id = twin;
  old.job_id = "job-old";
  old.type = "echo";
  old.state = task_state::pending;
  storage::task_record plain = old;
  plain.task_id = "restored-1";
  d.restore(j, {old, plain}, now, fx);
  REQUIRE(d.find_task(twin) != nullptr);
  CHECK(d.find_task(twin)->job_id == "job-old");
  CHECK(d.find_task(ack->task_ids[0])->job_id == ack->job_id);
  REQUIRE(d.find_task("restored-1") != nullptr);
  CHECK(d.find_task("nope") == nullptr);
  CHECK(d.find_task(std::string(32, 'z')) == nullptr);
  CHECK(d.find_task(std::string(15, 'z')) == nullptr);
  CHECK(d.find_task("QQQQQQQQQQQQQQ!") == nullptr); // not in the alphabet
  // Cancelling by id reaches the restored task, not its twin.
  REQUIRE(d.cancel_task("client", twin, now, fx));
  CHECK(d.find_task(twin)->state == task_state::cancelled);
  CHECK(d.find_task(ack->task_ids[0])->state == task_state::pending);
}

TEST_CASE("ids are short, URL-safe and sort in the order they were minted") {
  dispatcher_state d{dispatch_config{}, 42};
  effects fx;
  std::vector<std::string> ids;
  // Across milliseconds, the last one near the top of the 42-bit field,
  // and many ids within one millisecond: the sequence number orders those,
  // and its low digit wraps into the next one (every 64 ids) on the way.
  for (int64_t now : {int64_t{1'700'000'000'000}, int64_t{1'700'000'000'001},
                      int64_t{4'398'046'511'000}}) {
    auto ack = d.submit(job(std::vector<task_spec>(70, task("echo"))), now, fx);
    REQUIRE(ack);
    ids.push_back(ack->job_id);
    ids.insert(ids.end(), ack->task_ids.begin(), ack->task_ids.end());
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& id = ids[i];
    CHECK(id.size() <= std::string{}.capacity()); // stored inline
    for (char c : id) {
      bool url_safe = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                      || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
      CHECK(url_safe);
    }
    if (i > 0)
      CHECK(ids[i - 1] < id);
  }
  for (const auto& id : ids) // each names its task or job
    CHECK((d.find_task(id) != nullptr || d.job_view("client", id)));
}

TEST_CASE("finished tasks leave memory in order once more than the retained "
          "number of them are done") {
  dispatch_config cfg;
  cfg.retain_terminal = 2;
  dispatcher_state d{cfg, 42};
  int64_t now = 1'700'000'000'000;
  effects fx;
  auto ack = d.submit(job({task("echo"), task("echo"), task("echo")}), now, fx);
  REQUIRE(ack);
  for (const auto& id : ack->task_ids)
    REQUIRE(d.cancel_task("client", id, now, fx));
  CHECK(d.find_task(ack->task_ids[0]) == nullptr);
  CHECK(d.find_task(ack->task_ids[1]) != nullptr);
  CHECK(d.find_task(ack->task_ids[2]) != nullptr);
}

TEST_CASE("finished tasks leave in batches once 1/64 more than the retained "
          "number of them gathered, oldest first") {
  dispatch_config cfg;
  cfg.retain_terminal = 640; // batches start at 651 finished tasks
  dispatcher_state d{cfg, 42};
  int64_t now = 1'700'000'000'000;
  effects fx;
  auto ack = d.submit(job(std::vector<task_spec>(700, task("echo"))), now, fx);
  REQUIRE(ack);
  auto held = [&] {
    std::size_t n = 0;
    for (const auto& id : ack->task_ids)
      n += d.find_task(id) != nullptr;
    return n;
  };
  for (std::size_t i = 0; i < 650; ++i)
    REQUIRE(d.cancel_task("client", ack->task_ids[i], now, fx));
  CHECK(held() == 700); // 650 finished, none gone yet
  REQUIRE(d.cancel_task("client", ack->task_ids[650], now, fx));
  CHECK(held() == 689); // down to 640 finished ones (and 49 pending)
  for (std::size_t i = 651; i < 700; ++i)
    REQUIRE(d.cancel_task("client", ack->task_ids[i], now, fx));
  // Batches left at 651, 662, 673, 684 and 695 finished: 645 remain.
  CHECK(held() == 645);
  for (std::size_t i = 0; i < 700; ++i)
    CHECK((d.find_task(ack->task_ids[i]) != nullptr) == (i >= 55));
}

TEST_CASE("tasks cancelled from the middle of a queue never come out of it, "
          "and the others keep their order") {
  dispatcher_state d{dispatch_config{}, 42};
  int64_t now = 1'700'000'000'000;
  effects fx;
  std::vector<task_spec> specs(10'000, task("echo"));
  auto ack = d.submit(job(specs), now, fx);
  REQUIRE(ack);
  // Cancel all but every 100th: more stale keys than live ones, so the
  // queue compacts on the way.
  for (std::size_t i = 0; i < ack->task_ids.size(); ++i)
    if (i % 100 != 0)
      REQUIRE(d.cancel_task("client", ack->task_ids[i], now, fx));
  CHECK(d.stats().queued == 100);
  d.add_holon(holon_reg("w", {"echo"}), now);
  for (std::size_t i = 0; i < ack->task_ids.size(); i += 100) {
    effects got;
    d.poll(static_cast<poll_id>(i + 1), poll_req("w", 0), now, got);
    auto p = delivered(got, static_cast<poll_id>(i + 1));
    REQUIRE(p);
    CHECK(p->task_id == ack->task_ids[i]);
    // A task back in the queue (its result was lost) goes out again.
    if (i == 500) {
      d.return_task("w", p->task_id, now, got);
      effects again;
      d.poll(99'999, poll_req("w", 0), now, again);
      auto q = delivered(again, 99'999);
      REQUIRE(q);
      CHECK(q->task_id == ack->task_ids[i]);
    }
  }
  effects none;
  d.poll(100'000, poll_req("w", 0), now, none);
  CHECK_FALSE(delivered(none, 100'000));
  CHECK(d.stats().queued == 0);
}

TEST_CASE("cancelling a whole job works when finished tasks leave memory at "
          "once") {
  // With nothing retained, the last cancelled task takes the job out of
  // memory while cancel_job is still walking it.
  dispatch_config cfg;
  cfg.retain_terminal = 0;
  dispatcher_state d{cfg, 42};
  int64_t now = 1'700'000'000'000;
  effects fx;
  auto ack = d.submit(job({task("echo"), task("echo"), task("echo")}), now, fx);
  REQUIRE(ack);
  // The last task finished (and left) first: the walk goes on past the
  // task whose end takes the job away.
  REQUIRE(d.cancel_task("client", ack->task_ids[2], now, fx));
  auto r = d.cancel_job("client", ack->job_id, now, fx);
  REQUIRE(r);
  CHECK(r->find("cancelled_tasks")->as_int() == 2);
  for (const auto& id : ack->task_ids)
    CHECK(d.find_task(id) == nullptr);
  CHECK(d.stats().queued == 0);
}
