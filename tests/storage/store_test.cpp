// The same cases run on the memory twin and on a SQLite file; each asserts
// the same expected results, so both stores behave identically.

#include "tests/storage/store_kinds.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace rxon;
using namespace rxon::storage;
using namespace rxon::storage::test;

TEST_CASE_TEMPLATE("records put in one batch read back intact", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("job-1")};
  b.tasks = {make_task("t1"), make_task("t2")};
  b.tasks[1].deadline_ms.reset();
  b.tasks[1].max_cost.reset();
  b.tasks[1].result = json::object{{"out", "s3://x"}};
  b.tasks[1].error = json::object{{"code", "TRANSIENT_ERROR"}};
  b.holons = {make_holon("holon-a")};
  b.events = {make_event("t1", "task_created"),
              make_event("t1", "task_assigned", 2001),
              make_event("t2", "task_created")};
  ok(f.st->apply(b));
  CHECK(get(f.st->job("job-1")) == b.jobs[0]);
  CHECK(get(f.st->task("t1")) == b.tasks[0]);
  CHECK(get(f.st->task("t2")) == b.tasks[1]);
  CHECK(get(f.st->holons()) == b.holons);
  CHECK(get(f.st->events("t1"))
        == std::vector<event_record>{b.events[0], b.events[1]});
  CHECK(get(f.st->events("t2")) == std::vector<event_record>{b.events[2]});
  CHECK(get(f.st->tasks_of_job("job-1")) == b.tasks);
}

TEST_CASE_TEMPLATE("missing records read as empty", Kind, memory_kind,
                   sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  CHECK_FALSE(get(f.st->task("nope")).has_value());
  CHECK_FALSE(get(f.st->job("nope")).has_value());
  CHECK(get(f.st->tasks_of_job("nope")).empty());
  CHECK(get(f.st->events("nope")).empty());
  CHECK(get(f.st->holons()).empty());
  CHECK(get(f.st->unfinished_tasks()).empty());
  CHECK(get(f.st->task_counts()).empty());
  CHECK(get(f.st->jobs("", 10, 0)).empty());
  ok(f.st->apply(change_batch{}));
}

TEST_CASE_TEMPLATE("an upsert overwrites the whole row", Kind, memory_kind,
                   sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("job-1"), make_job("job-2", "bob", 7)};
  b.tasks = {make_task("t1")};
  b.holons = {make_holon("holon-a")};
  ok(f.st->apply(b));
  change_batch u;
  u.jobs = {make_job("job-1", "carol", 2000)};
  u.jobs[0].metadata = nullptr;
  auto t = make_task("t1", "job-2", task_state::success, 3000);
  t.params = json::array{1, 2};
  t.requirements = nullptr;
  t.deadline_ms.reset();
  t.result = json::object{{"ok", true}};
  t.holon_id = "holon-b";
  u.tasks = {t};
  auto h = make_holon("holon-a", 900);
  h.parent_id = "parent-1";
  u.holons = {h};
  ok(f.st->apply(u));
  CHECK(get(f.st->job("job-1")) == u.jobs[0]);
  CHECK(get(f.st->task("t1")) == t);
  CHECK(get(f.st->holons()) == std::vector<holon_record>{h});
  CHECK(get(f.st->tasks_of_job("job-1")).empty());
  CHECK(ids(get(f.st->tasks_of_job("job-2")))
        == std::vector<std::string>{"t1"});
  CHECK(ids(get(f.st->jobs("carol", 10, 0)))
        == std::vector<std::string>{"job-1"});
  CHECK(get(f.st->jobs("alice", 10, 0)).empty());
}

TEST_CASE_TEMPLATE("json columns read back in canonical form", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  auto j = make_job("job-1");
  j.metadata = json::object{
      {"drop", nullptr}, {"keep", json::array{nullptr}}, {"two", 2.0}};
  auto t = make_task("t1");
  // NaN becomes null (dropped); 3- and 4-byte UTF-8 passes validation.
  t.params = json::object{
      {"nan", std::nan("")}, {"u", "\xE2\x82\xAC\xF0\x9F\x98\x80"}, {"x", 1}};
  ok(f.st->apply({.jobs = {j}, .tasks = {t}}));
  auto meta = get(f.st->job("job-1"))->metadata;
  CHECK(
      meta
      == json::value{json::object{{"keep", json::array{nullptr}}, {"two", 2}}});
  CHECK(get(f.st->task("t1"))->params
        == json::value{
            json::object{{"u", "\xE2\x82\xAC\xF0\x9F\x98\x80"}, {"x", 1}}});
}

TEST_CASE_TEMPLATE("unfinished tasks are exactly the non-terminal ones", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("job-1")};
  const task_state all[] = {
      task_state::pending, task_state::assigned,    task_state::running,
      task_state::success, task_state::failure,     task_state::cancelled,
      task_state::timeout, task_state::quarantined,
  };
  for (auto s : all)
    b.tasks.push_back(make_task(std::string{"t-"} + to_string(s), "job-1", s));
  ok(f.st->apply(b));
  CHECK(ids(get(f.st->unfinished_tasks()))
        == std::vector<std::string>{"t-assigned", "t-pending", "t-running"});
  // A task that finishes leaves the set; one requeued stays.
  ok(f.st->apply(
      {.tasks = {make_task("t-running", "job-1", task_state::success),
                 make_task("t-assigned", "job-1", task_state::pending)}}));
  CHECK(ids(get(f.st->unfinished_tasks()))
        == std::vector<std::string>{"t-assigned", "t-pending"});
  for (const auto& t : get(f.st->unfinished_tasks()))
    CHECK_FALSE(is_terminal(t.state));
}

TEST_CASE_TEMPLATE("recovery reads no task of a job marked finished", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1"), make_job("job-2")},
                  .tasks = {make_task("a", "job-1", task_state::running),
                            make_task("b", "job-2", task_state::pending)}}));
  // The job's last task ends and the job is marked in the same batch.
  auto end = task_update::of(make_task("a", "job-1", task_state::success));
  ok(f.st->apply({.task_updates = {end},
                  .finished_jobs = {{"job-1", 1'700'000'000'900}}}));
  CHECK(ids(get(f.st->unfinished_tasks())) == std::vector<std::string>{"b"});
  // The job and its task still read back.
  CHECK(get(f.st->job("job-1")));
  CHECK(get(f.st->task("a"))->state == task_state::success);
  // Marking a job that is not stored fails, naming it, and changes nothing.
  auto st = f.st->apply({.task_updates = {task_update::of(
                             make_task("b", "job-2", task_state::success))},
                         .finished_jobs = {{"job-9", 1}}});
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::conflict);
  CHECK(st.error().message.find("job-9") != std::string::npos);
  CHECK(get(f.st->task("b"))->state == task_state::pending);
}

TEST_CASE_TEMPLATE("jobs are listed newest first, paged and filtered by owner",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("j-a", "alice", 10), make_job("j-b", "bob", 30),
            make_job("j-c", "alice", 20), make_job("j-d", "alice", 20),
            make_job("j-e", "bob", 5)};
  ok(f.st->apply(b));
  using v = std::vector<std::string>;
  CHECK(ids(get(f.st->jobs("", 100, 0)))
        == v{"j-b", "j-c", "j-d", "j-a", "j-e"});
  CHECK(ids(get(f.st->jobs("", 2, 0))) == v{"j-b", "j-c"});
  CHECK(ids(get(f.st->jobs("", 2, 2))) == v{"j-d", "j-a"});
  CHECK(ids(get(f.st->jobs("", 2, 4))) == v{"j-e"});
  CHECK(get(f.st->jobs("", 2, 5)).empty());
  CHECK(get(f.st->jobs("", 0, 0)).empty());
  CHECK(ids(get(f.st->jobs("alice", 100, 0))) == v{"j-c", "j-d", "j-a"});
  CHECK(ids(get(f.st->jobs("alice", 1, 1))) == v{"j-d"});
  CHECK(ids(get(f.st->jobs("bob", std::numeric_limits<std::size_t>::max(), 0)))
        == v{"j-b", "j-e"});
  CHECK(get(f.st->jobs("mallory", 10, 0)).empty());
}

TEST_CASE_TEMPLATE("task counts follow state changes", Kind, memory_kind,
                   sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("job-1")};
  b.tasks = {make_task("t1"), make_task("t2"), make_task("t3"),
             make_task("t4", "job-1", task_state::failure)};
  ok(f.st->apply(b));
  using counts = std::map<task_state, int64_t>;
  CHECK(get(f.st->task_counts())
        == counts{{task_state::pending, 3}, {task_state::failure, 1}});
  ok(f.st->apply({.tasks = {make_task("t1", "job-1", task_state::running),
                            make_task("t2", "job-1", task_state::success),
                            make_task("t4", "job-1", task_state::pending)}}));
  CHECK(get(f.st->task_counts())
        == counts{{task_state::pending, 2},
                  {task_state::running, 1},
                  {task_state::success, 1}});
}

TEST_CASE_TEMPLATE("task counts of one job leave other jobs out", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch b;
  b.jobs = {make_job("job-1"), make_job("job-2")};
  b.tasks = {make_task("t1"), make_task("t2", "job-1", task_state::success),
             make_task("t3", "job-2", task_state::success),
             make_task("t4", "job-2", task_state::failure)};
  ok(f.st->apply(b));
  using counts = std::map<task_state, int64_t>;
  CHECK(get(f.st->task_counts_of_job("job-1"))
        == counts{{task_state::pending, 1}, {task_state::success, 1}});
  CHECK(get(f.st->task_counts_of_job("job-2"))
        == counts{{task_state::success, 1}, {task_state::failure, 1}});
  CHECK(get(f.st->task_counts_of_job("job-3")).empty());
}

TEST_CASE_TEMPLATE("removing a holon deletes only that holon", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply(
      {.holons = {make_holon("h-b"), make_holon("h-a"), make_holon("h-c")}}));
  ok(f.st->apply({.removed_holons = {"h-b", "never-there"}}));
  auto hs = get(f.st->holons());
  REQUIRE(hs.size() == 2);
  CHECK(hs[0].holon_id == "h-a");
  CHECK(hs[1].holon_id == "h-c");
}

TEST_CASE_TEMPLATE("a batch that fails part-way leaves nothing behind", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}, .tasks = {make_task("t0")}}));
  change_batch b;
  b.jobs = {make_job("job-2", "alice", 5000)};
  b.tasks = {make_task("t0", "job-1", task_state::success),
             make_task("t1", "job-2"), make_task("t2", "no-such-job")};
  b.holons = {make_holon("h1")};
  b.events = {make_event("t1", "task_created")};
  auto st = f.st->apply(b);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == errc::conflict);
  CHECK(st.error().message.find("t2") != std::string::npos);
  CHECK_FALSE(get(f.st->job("job-2")).has_value());
  CHECK(get(f.st->task("t0"))->state == task_state::pending);
  CHECK_FALSE(get(f.st->task("t1")).has_value());
  CHECK(get(f.st->holons()).empty());
  CHECK(get(f.st->events("t1")).empty());
  CHECK(ids(get(f.st->jobs("", 10, 0))) == std::vector<std::string>{"job-1"});
}

TEST_CASE_TEMPLATE("invalid records are refused with the field named", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  auto refused = [&](change_batch b, const char* words) {
    auto st = f.st->apply(b);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().code == errc::invalid_value);
    CHECK_MESSAGE(st.error().message.find(words) != std::string::npos,
                  st.error().message);
  };
  auto nan_priority = make_task("t1");
  nan_priority.priority = std::numeric_limits<double>::quiet_NaN();
  refused({.tasks = {nan_priority}}, "'t1': priority");
  auto inf_cost = make_task("t1");
  inf_cost.max_cost = std::numeric_limits<double>::infinity();
  refused({.tasks = {inf_cost}}, "'t1': max_cost");
  json::value deep = 1;
  for (int i = 0; i < 150; ++i)
    deep = json::array{deep};
  auto too_deep = make_task("t1");
  too_deep.params = deep;
  refused({.tasks = {too_deep}}, "'t1': params");
  refused({.tasks = {make_task("")}}, "task_id: empty");
  refused({.tasks = {make_task("t1", "")}}, "'t1': job_id: empty");
  refused({.jobs = {make_job("")}}, "job_id: empty");
  refused({.holons = {make_holon("")}}, "holon_id: empty");
  auto bad_utf8 = make_task("t1");
  bad_utf8.params = json::object{{"s", "ok \xC3\xA9 then \xFF"}};
  refused({.tasks = {bad_utf8}}, "'t1': params: a string is not valid UTF-8");
  auto surrogate_key = make_job("job-2");
  surrogate_key.metadata = json::object{{"\xED\xA0\x80", 1}};
  refused({.jobs = {surrogate_key}}, "'job-2': metadata");
  auto overlong = make_holon("h1");
  overlong.registration = json::array{"\xC0\xAF"};
  refused({.holons = {overlong}}, "'h1': registration");
  auto truncated = make_event("t1", "x");
  truncated.data = "\xE2\x82";
  refused({.events = {truncated}}, "data: a string is not valid UTF-8");
  auto bad_state = make_task("t1");
  bad_state.state = static_cast<task_state>(42);
  refused({.tasks = {bad_state}}, "'t1': state");
  CHECK_FALSE(get(f.st->task("t1")).has_value());
}

TEST_CASE_TEMPLATE("JSON at the limits of validation", Kind, memory_kind,
                   sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  auto nested = [](int levels, json::value inner) {
    for (int i = 0; i < levels; ++i)
      inner = json::array{inner};
    return inner;
  };
  auto with_params = [](const char* id, json::value params) {
    auto t = make_task(id);
    t.params = std::move(params);
    return t;
  };
  auto outcome = [&](const task_record& t) {
    auto st = f.st->apply({.tasks = {t}});
    return st ? std::string{"stored"} : st.error().message;
  };
  // 100 levels are allowed, 101 are not; a null member is dropped when
  // written, so it adds no level, but its key must still be valid UTF-8.
  CHECK(outcome(with_params("t1", nested(100, 1))) == "stored");
  CHECK(outcome(with_params("t2", nested(101, 1))).find("nesting deeper")
        != std::string::npos);
  CHECK(outcome(with_params("t3", nested(99, json::object{{"x", nullptr}})))
        == "stored");
  CHECK(outcome(with_params("t4", json::object{{"\xFF", nullptr}}))
            .find("not valid UTF-8")
        != std::string::npos);
  CHECK(outcome(with_params("t5", nested(100, json::array{}))) == "stored");
  // Integral doubles fit 64 bits from -2^63 up to below 2^64.
  CHECK(outcome(with_params("t6", json::array{0x1p63, -0x1p63, 1.5e19}))
        == "stored");
  CHECK(outcome(with_params("t7", json::array{0x1p64})).find("64-bit")
        != std::string::npos);
  CHECK(outcome(with_params("t8", json::array{-0x1p63 - 4096.0})).find("64-bit")
        != std::string::npos);
}

TEST_CASE_TEMPLATE("shared requirements are checked for every tree a batch has",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  // The check of a shared tree is remembered within a batch, so a good
  // tree must not vouch for another one, nor a batch for the next.
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  json::shared_value good = json::object{{"cpu", json::object{{"cores", 2}}}};
  json::shared_value bad = json::object{{"gpu", "\xFF"}};
  auto with = [](std::string id, const json::shared_value& req) {
    auto t = make_task(std::move(id));
    t.requirements = req;
    return t;
  };
  ok(f.st->apply({.tasks = {with("t1", good), with("t2", good)}}));
  auto st = f.st->apply(
      {.tasks = {with("t3", good), with("t4", bad), with("t5", bad)}});
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == errc::invalid_value);
  CHECK_MESSAGE(st.error().message.find("'t4': requirements")
                    != std::string::npos,
                st.error().message);
  CHECK_FALSE(get(f.st->task("t3")).has_value());
  auto skill = with("t6", good);
  skill.skill = bad;
  st = f.st->apply({.tasks = {skill}});
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message.find("'t6': skill") != std::string::npos);
  ok(f.st->apply({.tasks = {with("t7", good)}}));
  CHECK(get(f.st->task("t2"))->requirements == good);
  CHECK(get(f.st->task("t7"))->requirements == good);
}

TEST_CASE_TEMPLATE("large batches keep order, last upsert wins and fail whole",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  // Sizes around the SQLite store's multi-row statements (64 rows).
  change_batch b{.jobs = {make_job("job-1")}};
  for (int i = 0; i < 150; ++i)
    b.tasks.push_back(make_task(task_id_of(1000 + i)));
  b.tasks[5].state = task_state::running;
  b.tasks[70] = make_task("t1005", "job-1", task_state::failure);
  b.tasks[130] = make_task("t1005", "job-1", task_state::success);
  REQUIRE(f.st->apply(b).has_value());
  CHECK(get(f.st->task("t1005"))->state == task_state::success);
  CHECK(get(f.st->tasks_of_job("job-1")).size() == 148);
  change_batch bad;
  for (int i = 0; i < 150; ++i)
    bad.tasks.push_back(
        make_task(task_id_of(1000 + i), "job-1", task_state::success));
  for (auto& t : bad.tasks)
    t.task_id[0] = 'u';
  bad.tasks[100].job_id = "no-such-job";
  auto st = f.st->apply(bad);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == errc::conflict);
  CHECK_MESSAGE(st.error().message.find("u1100") != std::string::npos,
                st.error().message);
  CHECK_FALSE(get(f.st->task("u1000")).has_value());
  CHECK(get(f.st->task_counts())
        == std::map<task_state, int64_t>{{task_state::pending, 147},
                                         {task_state::success, 1}});
}

/// Puts four rounds of 150 tasks (64 + 64 + 16 + 4 + 1 + 1 rows, every
/// statement size) made by `plain(i)` or `other(i)`: all plain, then in
/// turns, then all other, then all plain again, so each row slot goes from
/// one kind to the other and back. Returns them in order.
template <class Plain, class Other>
std::vector<task_record> put_in_turns(store& st, int first, Plain plain,
                                      Other other) {
  std::vector<task_record> all;
  for (int round = 0; round < 4; ++round) {
    change_batch b;
    for (int k = 0; k < 150; ++k) {
      int i = first + round * 150 + k;
      bool odd = round == 2 || (round == 1 && k % 2 == 1);
      b.tasks.push_back(odd ? other(i) : plain(i));
    }
    ok(st.apply(b));
    all.insert(all.end(), b.tasks.begin(), b.tasks.end());
  }
  return all;
}

TEST_CASE_TEMPLATE("submitted and advanced tasks put in turns read back "
                   "exactly",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  // A submitted task has default state columns (the SQLite store keeps
  // those bindings between statements); an advanced one has its own.
  auto submitted = [](int i) {
    auto t = make_task(task_id_of(i));
    t.attempts = 0;
    t.holon_id.clear();
    t.lease_expiry_ms = 0;
    t.not_before_ms = 0;
    t.origin_worker_id.clear();
    return t;
  };
  auto advanced = [](int i) {
    auto t = make_task(task_id_of(i), "job-1", task_state::success);
    t.holon_id = "holon-" + std::to_string(i);
    t.origin_worker_id = "leaf-" + std::to_string(i);
    t.result = json::object{{"i", i}};
    return t;
  };
  for (const auto& t : put_in_turns(*f.st, 1000, submitted, advanced))
    CHECK(get(f.st->task(t.task_id)) == t);
}

TEST_CASE_TEMPLATE("task puts alike and unlike their predecessors read back "
                   "exactly",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1"), make_job("job-2")}}));
  // The SQLite store keeps a put row slot's bindings of the columns bound
  // by value or from its own copies when the next row has the same values
  // (job id, max_attempts, priority, deadline, max_cost, requirements and
  // skill by identity, times); rows alike and unlike their predecessors, in
  // turns, through the 64/16/4/1-row statements.
  const json::shared_value gpu = json::object{{"gpu", 16}};
  const json::shared_value gpu_copy = json::object{{"gpu", 16}};
  const json::shared_value big = json::object{{"gpu", 48}};
  const json::shared_value skill = json::object{{"name", "render"}};
  auto alike = [&](int i) {
    auto t = make_task(task_id_of(i));
    t.requirements = gpu;
    t.created_ms = t.updated_ms = 1'700'000'000'000;
    return t;
  };
  auto unlike = [&](int i) {
    auto t = make_task(task_id_of(i), i % 3 == 0 ? "job-1" : "job-2");
    t.max_attempts = 1 + i % 4;
    t.priority = i % 2 == 0 ? 0.5 * i : 0;
    if (i % 3 != 1)
      t.deadline_ms = 1'700'000'100'000 + i;
    if (i % 4 != 2)
      t.max_cost = 0.25 * i;
    const json::shared_value* reqs[] = {&gpu_copy, &big, &gpu};
    if (i % 4 != 3)
      t.requirements = *reqs[i % 3];
    if (i % 2 == 1)
      t.skill = skill;
    t.created_ms = 1'700'000'000'000 + 3 * i;
    t.updated_ms = 1'700'000'000'000 + 5 * i;
    return t;
  };
  for (const auto& t : put_in_turns(*f.st, 3000, alike, unlike))
    CHECK(get(f.st->task(t.task_id)) == t);
}

TEST_CASE_TEMPLATE("task updates alike and unlike their predecessors read "
                   "back exactly",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  // The SQLite store keeps an update row slot's bindings of the columns
  // bound by value or from static storage when the next row has the same
  // values; rows alike and unlike their predecessors, in turns, through
  // the 64/16/4/1-row statements (150 = 64 + 64 + 16 + 4 + 1 + 1).
  std::map<std::string, task_record> want;
  change_batch puts;
  for (int i = 0; i < 150; ++i) {
    auto t = make_task(task_id_of(2000 + i));
    want[t.task_id] = t;
    puts.tasks.push_back(t);
  }
  ok(f.st->apply(puts));
  auto alike = [](const std::string& id) {
    task_update u;
    u.task_id = id;
    u.state = task_state::success;
    u.attempts = 1;
    u.holon_id = "h-" + id;
    u.updated_ms = 1'700'000'000'000;
    return u;
  };
  auto unlike = [](const std::string& id, int i) {
    task_update u;
    u.task_id = id;
    u.state = static_cast<task_state>(i % 8);
    u.attempts = i % 5;
    u.holon_id = "other-" + id;
    u.lease_expiry_ms = 1'700'000'000'000 + i;
    u.not_before_ms = i % 3 == 0 ? 0 : 1'700'000'000'000 + 7 * i;
    if (i % 2 == 0)
      u.result = json::object{{"i", i}};
    if (i % 3 == 1)
      u.error = json::object{{"code", "TRANSIENT_ERROR"}, {"i", i}};
    if (i % 4 != 3)
      u.origin_worker_id = "leaf-" + std::to_string(i);
    u.updated_ms = 1'700'000'000'000 + 11 * i;
    return u;
  };
  // Each round updates every task: all alike, then in turns, then all
  // unlike, then alike again (each slot goes from one kind to the other).
  for (int round = 0; round < 4; ++round) {
    change_batch b;
    int k = 0;
    for (auto& [id, t] : want) {
      bool odd = round == 2 || (round == 1 && k % 2 == 1);
      auto u = odd ? unlike(id, round * 150 + k) : alike(id);
      u.apply_to(t);
      b.task_updates.push_back(std::move(u));
      ++k;
    }
    ok(f.st->apply(b));
    for (const auto& [id, t] : want)
      CHECK(get(f.st->task(id)) == t);
  }
}
