#!/usr/bin/env python3
"""Black-box test of `rxon serve` with the Python standard library only.

Starts the server on a free loopback port with a temporary database and
explicit tokens, then speaks the RXON 1.0b13 wire format by hand, the way the
reference worker (rxon HttpTransport) and a client would. Exits non-zero on
the first mismatch; every socket operation has a timeout.

usage: blackbox_test.py --rxon PATH/TO/rxon
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VERSION = "1.0b13"
WORKER_TOKEN = "bb-worker-secret"
CLIENT_TOKEN = "bb-client-secret"
TIMEOUT = 10.0


class Mismatch(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Mismatch(what)


def compact(obj):
    """The reference's orjson output: compact, sorted keys, UTF-8."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    def __init__(self, port):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def call(self, method, path, body=None, headers=None, expect_status=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else compact(body)
            h["Content-Type"] = "application/json"
        try:
            self.c.request(method, path, body=data, headers=h)
            r = self.c.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            # The server may close a connection (e.g. after an error); retry
            # once on a fresh one.
            self.c.close()
            self.c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                timeout=TIMEOUT)
            self.c.request(method, path, body=data, headers=h)
            r = self.c.getresponse()
            raw = r.read()
        where = f"{method} {path}"
        expect(r.getheader("X-RXON-Version") == VERSION,
               f"{where}: X-RXON-Version is {r.getheader('X-RXON-Version')!r}")
        if expect_status is not None:
            expect(r.status == expect_status,
                   f"{where}: status {r.status}, expected {expect_status}: "
                   f"{raw[:300]!r}")
        parsed = None
        if raw and (r.getheader("Content-Type") or "").startswith(
                "application/json"):
            parsed = json.loads(raw)
        return r.status, parsed, raw, r

    def close(self):
        self.c.close()


def worker_headers(wid):
    return {"X-Worker-ID": wid, "X-Worker-Token": WORKER_TOKEN,
            "X-RXON-Version": VERSION}


CLIENT = {"X-Client-Token": CLIENT_TOKEN}


def wait_health(port, proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Mismatch(f"rxon serve exited early with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise Mismatch("rxon serve did not answer /health within the deadline")


def worker_flow(port):
    w = Conn(port)
    c = Conn(port)
    wid = "bb-worker-1"
    wh = worker_headers(wid)

    # Registration exactly as the reference sends it: sorted keys, SkillInfo
    # in declaration order, worker_type default always sent.
    reg = (b'{"supported_skills":[{"name":"resize","schema_dialect":'
           b'"json-schema"}],"worker_id":"bb-worker-1","worker_type":'
           b'"generic"}')
    st, body, _, _ = w.call("POST", "/_worker/workers/register", reg, wh, 200)
    expect(isinstance(body, dict) and body.get("status") == "registered",
           f"register: {body}")

    st, body, raw, _ = w.call(
        "GET", f"/_worker/workers/{wid}/tasks/next?timeout=1.0"
        "&available_skills=resize", None, wh, 204)
    expect(raw == b"", f"204 poll has a body: {raw!r}")

    deadline = int(time.time()) + 3600
    st, ack, _, _ = c.call("POST", "/api/v1/jobs", {"tasks": [
        {"type": "resize", "params": {"w": 640, "tags": ["a"]},
         "deadline": deadline},
        {"type": "resize", "params": {}, "priority": 0}]}, CLIENT, 202)
    expect(isinstance(ack.get("job_id"), str), f"job ack: {ack}")
    expect(len(ack.get("task_ids", [])) == 2, f"job ack: {ack}")
    job_id = ack["job_id"]

    seen = {}
    for _ in range(2):
        st, task, raw, _ = w.call(
            "GET", f"/_worker/workers/{wid}/tasks/next?timeout=1.0"
            "&available_skills=resize", None, wh, 200)
        expect(isinstance(task, dict), f"poll body: {raw!r}")
        for key in ("job_id", "task_id", "type"):
            expect(isinstance(task.get(key), str), f"task.{key}: {task}")
        expect(task["job_id"] == job_id, f"task.job_id: {task}")
        expect(task["type"] == "resize", f"task.type: {task}")
        expect(isinstance(task.get("params"), dict), f"task.params: {task}")
        expect(type(task.get("priority")) is int and task["priority"] == 0,
               f"task.priority must be the integer 0: {raw!r}")
        expect(raw == compact(task), f"poll body is not compact sorted "
               f"JSON: {raw!r}")
        if "deadline" in task:
            expect(type(task["deadline"]) is int,
                   f"task.deadline must be an integer: {raw!r}")
        seen[task["task_id"]] = task
    with_deadline = [t for t in seen.values() if t["params"].get("w") == 640]
    expect(len(with_deadline) == 1, f"tasks: {seen}")
    expect(with_deadline[0].get("deadline") == deadline,
           f"deadline {with_deadline[0].get('deadline')} != {deadline}")
    expect(with_deadline[0]["params"] == {"w": 640, "tags": ["a"]},
           f"params: {with_deadline[0]}")

    first, second = list(seen)
    st, body, _, _ = w.call("PATCH", f"/_worker/workers/{wid}", None, wh, 200)
    expect(body.get("status") == "ok", f"empty heartbeat: {body}")
    st, body, _, _ = w.call(
        "PATCH", f"/_worker/workers/{wid}",
        {"current_tasks": [first, second, "bb-ghost"], "status": "busy",
         "usage": {"cpu_load_percent": 10, "ram_used_gb": 1},
         "worker_id": wid}, wh, 200)
    expect(body.get("status") == "ok", f"heartbeat: {body}")
    expect(body.get("cancel_task_ids") == ["bb-ghost"],
           f"heartbeat cancel_task_ids: {body}")

    st, body, _, _ = w.call("POST", "/_worker/events", {
        "event_id": "bb-e1", "event_type": "progress",
        "origin_task_id": first, "origin_worker_id": wid,
        "payload": {"pct": 50}, "priority": 0, "worker_id": wid}, wh, 200)
    expect(body == {"status": "event_accepted"}, f"event: {body}")

    result = {"data": {"out": "é"}, "job_id": job_id, "status": "success",
              "task_id": first, "worker_id": wid}
    st, body, _, _ = w.call("POST", "/_worker/tasks/result", result, wh, 200)
    expect(body.get("status") == "accepted", f"result: {body}")
    st, body, _, _ = w.call("POST", "/_worker/tasks/result", result, wh, 200)
    expect(body.get("status") == "ignored"
           and body.get("reason") == "stale_task", f"duplicate: {body}")
    st, body, _, _ = w.call("POST", "/_worker/tasks/result", {
        "error": {"code": "PERMANENT_ERROR", "message": "bad input"},
        "job_id": job_id, "status": "failure", "task_id": second,
        "worker_id": wid}, wh, 200)
    expect(body.get("status") == "accepted", f"failure result: {body}")

    st, view, _, _ = c.call("GET", f"/api/v1/tasks/{first}", None, CLIENT, 200)
    expect(view.get("state") == "success", f"task view: {view}")
    expect(view.get("result") == {"out": "é"}, f"task result: {view}")
    st, view, _, _ = c.call("GET", f"/api/v1/jobs/{job_id}", None, CLIENT, 200)
    expect(view.get("counts") == {"failure": 1, "success": 1},
           f"job counts: {view}")
    expect(view.get("status") == "failed", f"job status: {view}")
    st, lst, _, _ = c.call("GET", "/api/v1/jobs?status=failed", None, CLIENT,
                           200)
    expect([j.get("job_id") for j in lst.get("jobs", [])] == [job_id],
           f"job list: {lst}")
    st, ws, _, _ = c.call("GET", "/api/v1/workers", None, CLIENT, 200)
    expect(wid in json.dumps(ws), f"workers: {ws}")
    w.close()
    c.close()


def error_flow(port):
    c = Conn(port)
    wid = "bb-worker-2"
    bad = dict(worker_headers(wid), **{"X-Worker-Token": "wrong"})
    st, body, _, _ = c.call("POST", "/_worker/workers/register",
                            {"worker_id": wid, "worker_type": "generic"},
                            bad, 401)
    expect(isinstance(body.get("error"), str), f"401 body: {body}")
    st, body, _, _ = c.call("POST", "/_worker/workers/register",
                            b"{not json", worker_headers(wid), 400)
    expect(isinstance(body.get("error"), str), f"400 body: {body}")
    st, body, _, _ = c.call("POST", "/_worker/workers/register",
                            {"worker_id": "someone-else",
                             "worker_type": "generic"},
                            worker_headers(wid), None)
    expect(st in (401, 403), f"claiming another id: {st} {body}")
    st, body, _, _ = c.call("GET", "/api/v1/jobs", None, None, 401)
    expect(body.get("error") == "missing X-Client-Token header",
           f"client 401: {body}")
    st, body, _, _ = c.call("GET", "/api/v1/jobs/no-such-job", None, CLIENT,
                            404)
    expect(isinstance(body.get("error"), str), f"404 body: {body}")
    st, body, _, _ = c.call("POST", "/api/v1/jobs", {"tasks": [{}]}, CLIENT,
                            400)
    expect(body.get("error") == "tasks[0].type: missing", f"400: {body}")
    st, body, _, _ = c.call("GET", "/ready", None, None, 200)
    st, _, raw, r = c.call("GET", "/metrics", None, None, 200)
    expect(b"rxon_tasks" in raw and b"rxon_http_requests_total" in raw,
           "metrics lack rxon_tasks or rxon_http_requests_total")
    c.close()


def check_huge_pages_off(pid):
    """serve runs without transparent huge pages unless configured to
    (actors/memory_policy.hpp); the kernel reports it per process."""
    with open(f"/proc/{pid}/status") as f:
        status = dict(l.split(":", 1) for l in f if ":" in l)
    if "THP_enabled" in status:  # Linux 5.0 and later
        expect(status["THP_enabled"].strip() == "0",
               f"THP_enabled {status['THP_enabled'].strip()} in rxon serve")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rxon", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rxon-blackbox-")
    port = free_port()
    cmd = [args.rxon, "serve", "--listen", f"127.0.0.1:{port}",
           "--db", os.path.join(tmp, "rxon.db"),
           "--worker-token", WORKER_TOKEN,
           "--client-token", f"{CLIENT_TOKEN}=blackbox",
           "--max-poll-timeout-ms", "2000", "--grace-period-ms", "1000"]
    log = open(os.path.join(tmp, "serve.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    ok = False
    try:
        wait_health(port, proc, time.monotonic() + 20)
        check_huge_pages_off(proc.pid)
        worker_flow(port)
        error_flow(port)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        expect(code == 0, f"rxon serve exited with {code} after SIGTERM")
        ok = True
        print("blackbox: all checks passed")
    except (Mismatch, OSError, http.client.HTTPException,
            subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        print(f"blackbox: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        if not ok:
            with open(os.path.join(tmp, "serve.log"), "rb") as f:
                sys.stderr.write(f.read().decode(errors="replace")[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
