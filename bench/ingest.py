"""Ingestion throughput: the real service (uvicorn, N workers, 127.0.0.1) on SQLite and on PostgreSQL under `wrk`.

    .venv/bin/python bench/ingest.py                       # both databases, 2 workers, 64 connections, 20 s a route
    .venv/bin/python bench/ingest.py --db sqlite --seconds 10 --workers 1

For each database: a fresh database with one open campaign, then the service with SURVEY_BENCH_NOOP=1 (which compiles
in POST /bench/noop: reads the body and answers 201, storing nothing; and POST /bench/checks: a submission's decoding,
origin and checks, answered with the response it would store, without the database). `wrk` (Debian's package) drives
it with 64 connections: 3 s of warm-up on the no-op and on POST /api/responses, PostgreSQL's ANALYZE, then the
measured runs, the three routes taking turns in 4 slices of 5 s each (this machine's speed drifts over a minute, and
each route should see the same drift): the no-op route (the baseline: the cost of HTTP, uvicorn and Litestar on this
machine, in this run), the checks route (the ceiling: what the ratio would be if the group write cost nothing) and
POST /api/responses, each request a valid response with its own UUID, from its own client address
(X-Forwarded-For, which uvicorn honours from 127.0.0.1, so the per-network rate limit and the network quality rules see
many respondents, as in service). Reported: accepted responses per second, p50 and p99 latency, and the ratios
  accepted/s over the no-op's requests/s   (target at least 0.50)
  p99 over 50 ms                           (target at most 1.00; p99 is the highest slice's)
Where /proc/stat tells, each route's machine CPU per request (the service, wrk and the database together) and the
cores busy: once the machine is saturated, the ratio is the no-op's cost over the route's. Where /proc tells, the
same per part: the workers' event loops, their writer threads, the database server, wrk. And from every worker
(GET /bench/writer, compiled in with the no-op, before and after each slice of POST /api/responses): the group
writers' groups, and per write the time in the group's turn and how much of it was the writer's CPU; on SQLite,
where the turn is the database's one write lock, the most writes per second that lock lets through.
Then the database is checked: every acknowledged response (201) is stored with the content sent; rows stored but not
acknowledged can only be requests in flight when a wrk slice stopped (at most one per connection and slice); SQLite's
integrity check.
Exit status 1 when a target is missed or a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.store.writer import WriterStats  # noqa: E402
from tests.load.service import Service, integrity_problems, postgres_database, prepare, stored_rows  # noqa: E402

RATIO_TARGET = 0.50
P99_TARGET_MS = 50.0
POSTGRES = os.environ.get("SURVEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# A request of its own each time: a UUID from the run's prefix, the thread and a counter, and a client address.
SCRIPT = r"""
local prefix, path, head, tail = "%(prefix)s", "%(path)s", %(head)s, %(tail)s
local counter, thread_id = 0, 0
acked, statuses = {}, {}  -- globals: done() reads them from each thread
threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  thread_id = tid
end

function request()
  counter = counter + 1
  local id = string.format("%%s-%%04x-4000-8000-%%012x", prefix, thread_id, counter)
  local address = string.format("100.%%d.%%d.%%d", 64 + thread_id, math.floor(counter / 256) %% 256, counter %% 256)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                    head .. id .. tail)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local id = string.match(body, '"id":"([^"]+)"')
    if id then acked[#acked + 1] = id end
  end
end

function done(summary, latency, requests)
  local out = io.open("%(out)s", "w")
  local ids, totals, counts = {}, {}, {}
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("acked")) do ids[#ids + 1] = '"' .. id .. '"' end
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
  end
  -- summed over the threads: one key per status (a key written once per thread would keep only the last thread's)
  for status, count in pairs(totals) do counts[#counts + 1] = string.format('"%%d": %%d', status, count) end
  out:write(string.format('{"requests": %%d, "seconds": %%f, "p50_us": %%d, "p99_us": %%d, "errors": %%d, ',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  out:write('"statuses": {' .. table.concat(counts, ", ") .. '}, "acked": [' .. table.concat(ids, ",") .. ']}')
  out:close()
end
"""


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def run_wrk(base_url: str, path: str, body: dict, seconds: int, connections: int, threads: int, work: Path) -> dict:
    """One wrk run; its results as a dict (requests, p50/p99 in µs, statuses, acknowledged ids)."""
    marker = "00000000-0000-4000-8000-000000000000"
    text = json.dumps(body | {"id": marker}, ensure_ascii=False)
    head, tail = text.split(marker)
    out = work / f"wrk-{uuid.uuid4().hex[:8]}.json"
    script = work / "post.lua"
    script.write_text(SCRIPT % {"prefix": uuid.uuid4().hex[:8], "path": path, "head": lua_string(head),
                                "tail": lua_string(tail), "out": str(out)})
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                    "-s", str(script), base_url], capture_output=True, text=True, timeout=seconds + 120)
    if not out.exists():
        raise RuntimeError(f"wrk failed: {done.stdout}{done.stderr}")
    try:
        return json.loads(out.read_text())
    except ValueError:
        raise RuntimeError(f"wrk wrote no result: {out.read_text()[:300]!r} {done.stdout} {done.stderr}") from None


def analyze(url: str) -> None:
    """PostgreSQL: table statistics, as autovacuum gathers them within a minute of service. A table created seconds
    ago has none, and without them the planner takes `network_hash IN (...)` for a third of the table and scans it
    all: the rate then falls with every second of the run (measured: 2,100/s over 10 s, 1,400/s over 20 s)."""
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        engine.dispose()


ROUTES = ("/bench/noop", "/bench/checks", "/api/responses")


def machine_busy() -> float | None:
    """Seconds of CPU this machine spent busy so far, all cores and processes (Linux: /proc/stat), or None. Per
    request, it tells what a route costs the machine, the service, wrk and PostgreSQL together: the ratio is the
    no-op's cost over the route's once the machine is saturated; a route that leaves cores idle waits on something."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and I/O wait


PARTS = ("event loops", "writer threads", "database server", "wrk")


def parts_busy(supervisor: int) -> dict[str, float] | None:
    """Seconds of CPU spent so far by each part of the run (Linux: /proc), or None: the service workers' event loops
    (each worker's main thread), their other threads (the group writer), the database server (every process named
    postgres; none for SQLite, which works in the writer threads) and wrk (this process's finished children)."""
    if not os.path.isdir(f"/proc/{supervisor}/task"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    busy = dict.fromkeys(PARTS, 0.0)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy["wrk"] = usage.ru_utime + usage.ru_stime
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                line = stat.read()
            name, fields = line[line.index("(") + 1:line.rindex(")")], line[line.rindex(")") + 2:].split()
            if name == "postgres":
                busy["database server"] += (int(fields[11]) + int(fields[12])) / tick
                continue
            if int(fields[1]) != supervisor:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"resource_tracker" in cmdline.read():
                    continue
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/stat") as stat:
                    line = stat.read()
                fields = line[line.rindex(")") + 2:].split()
                part = "event loops" if task == pid else "writer threads"
                busy[part] += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue  # a process or thread that ended meanwhile
    return busy


def combined(runs: list[dict]) -> dict:
    """The slices of one route as one run: requests, seconds, statuses and acknowledged ids summed; p50 the median
    of the slices' and p99 the highest slice's (wrk gives percentiles, not its histogram)."""
    statuses: dict[str, int] = {}
    busy = [run["busy_s"] for run in runs if run.get("busy_s") is not None]
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    p50s = sorted(run["p50_us"] for run in runs)
    return {"requests": sum(run["requests"] for run in runs), "seconds": sum(run["seconds"] for run in runs),
            "p50_us": p50s[len(p50s) // 2], "p99_us": max(run["p99_us"] for run in runs),
            "p99s_ms": [round(run["p99_us"] / 1000) for run in runs],
            "errors": sum(run["errors"] for run in runs), "statuses": statuses,
            "busy_s": sum(busy) if len(busy) == len(runs) else None,
            "parts_s": ({part: sum(run["parts_s"][part] for run in runs) for part in PARTS}
                        if all(run.get("parts_s") for run in runs) else None),
            "acked": [key for run in runs for key in run["acked"]]}


def bench(kind: str, url: str, args: argparse.Namespace, work: Path) -> tuple[dict, list[str]]:
    fixture = prepare(url)
    body = fixture.body("00000000-0000-4000-8000-000000000000")
    rounds: dict[str, list[dict]] = {path: [] for path in ROUTES}
    writers: list[dict | None] = []  # the group writers during each slice of POST /api/responses
    with Service(url, work / f"service-{kind}.log", workers=args.workers, bench_noop="true") as service:
        run_wrk(service.base_url, "/bench/noop", body, 3, args.connections, args.threads, work)  # warm-up
        warm = run_wrk(service.base_url, "/api/responses", body, 3, args.connections, args.threads, work)
        analyze(url)
        # The routes take turns, a slice each per round: this machine's speed drifts over a minute (other tenants
        # of the host), and each route should see the same drift.
        for _ in range(args.rounds):
            for path in ROUTES:
                writers_before = writer_snapshot(service.base_url, args.workers) if path == ROUTES[-1] else None
                before, parts_before = machine_busy(), parts_busy(service.process.pid)
                run = run_wrk(service.base_url, path, body, max(1, args.seconds // args.rounds), args.connections,
                              args.threads, work)
                after, parts_after = machine_busy(), parts_busy(service.process.pid)
                run["busy_s"] = None if before is None or after is None else after - before
                run["parts_s"] = (None if parts_before is None or parts_after is None else
                                  {part: parts_after[part] - parts_before[part] for part in PARTS})
                if path == ROUTES[-1]:
                    writers.append(writer_delta(writers_before, writer_snapshot(service.base_url, args.workers)))
                rounds[path].append(run)
    noop, checks, ingest = (combined(rounds[path]) for path in ROUTES)
    stored = stored_rows(url)
    acked = set(ingest["acked"]) | set(warm["acked"])
    problems = [f"acknowledged but not stored: {len(acked - stored.keys())}"] if acked - stored.keys() else []
    unacked = len(stored.keys() - acked)
    if unacked > (args.rounds + 1) * args.connections:  # the warm-up's and each slice's in flight at its end
        problems.append(f"{unacked} rows stored but never acknowledged (more than one per connection and slice)")
    problems += integrity_problems(url)
    server_errors = sum(count for run in (warm, ingest) for status, count in run["statuses"].items() if int(status) >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    result = {
        "database": kind, "workers": args.workers, "connections": args.connections,
        "noop_per_s": noop["requests"] / noop["seconds"], "noop_p99_ms": noop["p99_us"] / 1000,
        "checks_per_s": len(checks["acked"]) / checks["seconds"], "checks_p99_ms": checks["p99_us"] / 1000,
        "accepted_per_s": len(ingest["acked"]) / ingest["seconds"], "p50_ms": ingest["p50_us"] / 1000,
        "p99_ms": ingest["p99_us"] / 1000, "p99s_ms": ingest["p99s_ms"], "acknowledged": len(acked),
        "stored": len(stored),
        "stored_unacknowledged": unacked, "statuses": ingest["statuses"], "socket_errors": ingest["errors"],
        "machine": {path: _machine(run) for path, run in zip(ROUTES, (noop, checks, ingest), strict=True)},
        "writers": ({field: sum(slice_[field] for slice_ in writers) for field in WriterStats._fields}
                    if writers and all(writers) else None),
        "parts": {path: None if run["parts_s"] is None else
                  {part: 1000 * seconds / run["requests"] for part, seconds in run["parts_s"].items()}
                  for path, run in zip(ROUTES, (noop, checks, ingest), strict=True) if run["requests"]},
    }
    return result, problems


def writer_snapshot(base_url: str, workers: int) -> dict[int, dict] | None:
    """Each worker's group writer so far (GET /bench/writer), by process id, or None when some worker did not answer:
    the kernel hands each new connection to one worker's socket, so the question is asked on new connections until
    every worker answered (at most 40 tries)."""
    seen: dict[int, dict] = {}
    for _ in range(40):
        try:
            answer = httpx.get(f"{base_url}/bench/writer", timeout=5, headers={"Connection": "close"}).json()
        except (httpx.HTTPError, ValueError):
            return None
        seen[answer["pid"]] = answer
        if len(seen) == workers:
            return seen
    return None


def writer_delta(before: dict[int, dict] | None, after: dict[int, dict] | None) -> dict[str, float] | None:
    """What the group writers did between two snapshots, summed over the workers."""
    if before is None or after is None or before.keys() != after.keys():
        return None
    return {field: sum(after[pid][field] - before[pid][field] for pid in after) for field in WriterStats._fields}


def writer_line(kind: str, writers: dict[str, float]) -> str:
    """The group writers' figures over the measured slices of POST /api/responses, per write. On SQLite the turn is
    the database's one write lock, shared by the workers: writes over the seconds it was held is the most the
    database takes per second, whatever the CPU."""
    per_write = {field: 1000 * writers[field] / writers["writes"] for field in ("turn_wait_s", "held_s", "cpu_s")}
    held = per_write["held_s"]
    waits = "a core, the interpreter lock, the disk" + ("" if kind == "sqlite" else " or the database server")
    line = (f"group writers: {writers['writes'] / writers['groups']:.1f} writes a group; per write {held:.2f} ms "
            f"in the group's turn, {per_write['cpu_s']:.2f} ms of it on the writer's CPU (the rest waiting for "
            f"{waits}), {per_write['turn_wait_s']:.2f} ms waiting for the turn")
    if kind == "sqlite":
        line += f"; the write lock, held {held:.2f} ms a write, takes at most {1000 / held:,.0f} writes/s"
    return line


def _machine(run: dict) -> tuple[float, float] | None:
    """(machine CPU ms per request, cores busy on average) over a route's slices, where /proc/stat tells."""
    if run["busy_s"] is None or not run["requests"]:
        return None
    return 1000 * run["busy_s"] / run["requests"], run["busy_s"] / run["seconds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--seconds", type=int, default=20, help="per route, in --rounds slices (default 20)")
    parser.add_argument("--rounds", type=int, default=4, help="slices per route, the routes taking turns (default 4)")
    parser.add_argument("--postgres", default=POSTGRES, help="an administrator URL of the PostgreSQL server")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench/ingest.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="survey-ingest-") as folder:
        work = Path(folder)
        for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            if kind == "sqlite":
                result, problems = bench(kind, f"sqlite:///{work}/survey.db", args, work)
            else:
                with postgres_database(args.postgres) as url:
                    result, problems = bench(kind, url, args, work)
            ratio = result["accepted_per_s"] / result["noop_per_s"]
            p99_ratio = result["p99_ms"] / P99_TARGET_MS
            missed = ratio < RATIO_TARGET or p99_ratio > 1
            failed |= missed or bool(problems)
            print(f"{kind:<10} {result['workers']} workers, {result['connections']} connections: "
                  f"no-op {result['noop_per_s']:7.0f}/s (p99 {result['noop_p99_ms']:.1f} ms) | accepted "
                  f"{result['accepted_per_s']:7.0f}/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
                  f"(slices {', '.join(map(str, result['p99s_ms']))}) | "
                  f"ratio {ratio:.2f} (target >= {RATIO_TARGET:.2f}), p99/50 ms {p99_ratio:.2f} (target <= 1.00)"
                  f"{'  MISSED' if missed else ''}")
            print(f"{'':<10} checks without the database {result['checks_per_s']:7.0f}/s (p99 {result['checks_p99_ms']:.1f} ms): "
                  f"ratio {result['checks_per_s'] / result['noop_per_s']:.2f}, the ceiling of the ratio above")
            if all(result["machine"].values()):
                print(f"{'':<10} machine CPU per request (service, wrk and database): " + ", ".join(
                    f"{path} {ms:.2f} ms ({cores:.2f} cores busy)" for path, (ms, cores) in result["machine"].items()))
            for path, parts in result["parts"].items():
                if parts:
                    print(f"{'':<10} CPU per request of {path}: " + ", ".join(
                        f"{part} {ms:.2f} ms" for part, ms in parts.items() if ms >= 0.005 or part != "database server"))
            if (writers := result["writers"]) and writers["writes"]:
                print(f"{'':<10} " + writer_line(kind, writers))
            print(f"{'':<10} acknowledged {result['acknowledged']} (warm-up included), stored {result['stored']} "
                  f"(in flight at the stop: {result['stored_unacknowledged']}), statuses of the measured slices "
                  f"{result['statuses']}, socket errors {result['socket_errors']}: "
                  f"{'; '.join(problems) or 'every acknowledged response stored'}",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
