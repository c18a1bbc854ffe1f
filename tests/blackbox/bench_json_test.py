#!/usr/bin/env python3
"""`rxon bench ... --json` prints one JSON line with the documented keys.

Runs small instances of `rxon bench dispatch` (in memory and durable) and
`rxon bench http`, parses each output line as JSON (so a stray printf or an
unquoted value fails here) and checks the keys the issues name, that the
figures are measured (positive, consistent) and that the per-thread CPU
split names the threads that did the work. Figures themselves are not
judged: this machine is shared.

usage: bench_json_test.py --rxon PATH/TO/rxon
"""

import argparse
import json
import subprocess
import sys

TIMEOUT = 120


def run_json(rxon, *args):
    out = subprocess.run([rxon, "bench", *args, "--json"], capture_output=True,
                         text=True, timeout=TIMEOUT, check=False)
    if out.returncode != 0:
        raise AssertionError(f"rxon bench {' '.join(args)} exited "
                             f"{out.returncode}: {out.stderr.strip()}")
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if len(lines) != 1:
        raise AssertionError(f"expected one JSON line, got {lines!r}")
    return json.loads(lines[0])


def expect(cond, what, doc):
    if not cond:
        raise AssertionError(f"{what}: {json.dumps(doc)}")


def check_dispatch(rxon, durable):
    # Enough tasks that the timed phase spans several of the kernel's 10 ms
    # CPU ticks, which the per-thread split counts in.
    tasks = 20000 if durable else 100000
    args = ["dispatch", "--holons", "300", "--tasks", str(tasks)]
    if durable:
        args.append("--durable")
    doc = run_json(rxon, *args)
    for key in ("holons", "tasks", "durable", "tasks_per_s", "p50_us",
                "p99_us", "bytes_per_holon", "heap_bytes_per_holon",
                "cpu_us_per_task", "thread_us_per_task", "huge_pages"):
        expect(key in doc, f"key '{key}' missing", doc)
    expect(doc["holons"] == 300 and doc["tasks"] == tasks, "sizes echoed", doc)
    expect(doc["durable"] is durable, "durable flag", doc)
    # Off unless asked for, as in serve (actors/memory_policy.hpp).
    expect(doc["huge_pages"] is False, "huge pages off by default", doc)
    expect(doc["tasks_per_s"] > 0, "tasks_per_s measured", doc)
    expect(0 < doc["p50_us"] <= doc["p99_us"], "p50 <= p99", doc)
    expect("error" not in doc, "no error", doc)
    # Registering holons grows the live heap (-1: built without jemalloc).
    expect(doc["heap_bytes_per_holon"] > 0
           or doc["heap_bytes_per_holon"] == -1, "heap per holon", doc)
    threads = doc["thread_us_per_task"]
    expect(isinstance(threads, dict) and threads, "per-thread split", doc)
    expect(all(v > 0 for v in threads.values()), "positive thread figures",
           doc)
    # The split and the whole measure the same CPU: the whole from
    # getrusage (microseconds), each thread from the kernel's 10 ms ticks,
    # so each thread may be off by about one tick over the run.
    slack = len(threads) * 10_000 / tasks + 0.5
    total = sum(threads.values())
    expect(total <= doc["cpu_us_per_task"] + slack,
           "threads sum within the process total", doc)
    expect(total >= 0.5 * doc["cpu_us_per_task"] - slack,
           "threads account for the process's CPU", doc)
    if durable:
        expect(doc["commits"] > 0, "group commits counted", doc)
        expect("rxon.writer" in threads, "storage writer thread named", doc)
    else:
        expect(doc["dispatched"] == tasks, "every task dispatched", doc)


def check_http(rxon):
    doc = run_json(rxon, "http", "--connections", "2", "--seconds", "0.5",
                   "--tasks", "3000")
    for key in ("tasks_per_s", "ceiling_tasks_per_s", "p50_us", "p99_us",
                "ratio", "thread_us_per_task", "ceiling_thread_us_per_task"):
        expect(key in doc, f"key '{key}' missing", doc)
    expect(doc["errors"] == 0, "no request failed", doc)
    expect(doc["tasks_per_s"] > 0 and doc["ceiling_tasks_per_s"] > 0,
           "both figures measured", doc)
    expect(abs(doc["ratio"] - doc["tasks_per_s"] / doc["ceiling_tasks_per_s"])
           < 0.01, "ratio = runtime / ceiling", doc)
    expect("rxon.io" in doc["thread_us_per_task"], "listener io thread named",
           doc)
    expect("rxon.trivial" in doc["ceiling_thread_us_per_task"],
           "trivial server thread named", doc)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rxon", required=True)
    rxon = parser.parse_args().rxon
    check_dispatch(rxon, durable=False)
    doc = run_json(rxon, "dispatch", "--holons", "10", "--tasks", "100",
                   "--huge-pages")
    expect(doc["huge_pages"] is True, "--huge-pages turns them on", doc)
    check_dispatch(rxon, durable=True)
    check_http(rxon)
    print("bench JSON: ok")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, json.JSONDecodeError,
            subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
