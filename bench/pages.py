"""Page weight and server time of the public pages, against budgets, with a baseline in the same run.

    .venv/bin/python bench/pages.py                            # starts `survey serve` with the demo in a temp dir
    .venv/bin/python bench/pages.py --url http://127.0.0.1:8000 --requests 100   # a service already running

Pages: the questionnaire list `/`, the company chooser `/s/automobile`, the automobile form itself
(`/s/automobile?campaign=demo&enterprise=1`), the release list `/releases` and the newest release page (zh and en).
Weight: the body as sent to a client that does not accept gzip (raw) and to one that does (gzip, what a phone
downloads; the service compresses bodies over 1 KB). Time: the median and 90th percentile of N sequential requests
(after 5 warm-up ones) over one keep-alive connection on the loopback, from sending the request to the last byte of
the gzip body, so server time plus a transfer too small to matter here. The baseline is `/api/industries`, a tiny
route that the service answers from memory (no database, no template): a page's time over the baseline's is what
the page itself costs, whatever the machine.

Budgets (a ratio over 1.00 is printed as OVER and the exit status is 1):
- a release page: 150 KB raw (tables, inline SVG charts and CSS on one page a phone opens on a slow network);
- the form page: 30 KB gzip (a respondent on a poor mobile connection waits for nothing else: no scripts);
- every page: 50 ms median server time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "/api/industries"
KB = 1024
RELEASE_RAW_KB = 150
FORM_GZIP_KB = 30
MEDIAN_MS = 50
WARM_UP = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (default: start `survey serve` with the demo in a temp dir)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    args = parser.parse_args(argv)
    with (nullcontext_url(args.url) if args.url else serve()) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            release = client.get("/api/releases").raise_for_status().json()[0]["id"]
            pages = {
                "baseline " + BASELINE: BASELINE,
                "/": "/",
                "/s/automobile (chooser)": "/s/automobile",
                "/s/automobile form": "/s/automobile?campaign=demo&enterprise=1",
                "/releases": "/releases",
                "release page": f"/releases/{release}",
                "release page en": f"/releases/{release}?lang=en",
            }
            rows = {name: measure(client, path, args.requests) for name, path in pages.items()}
    return report(rows, args.requests)


def measure(client: httpx.Client, path: str, count: int) -> dict[str, float]:
    """Raw and gzip bytes of one response, and the times of `count` requests in milliseconds."""
    raw = client.get(path, headers={"Accept-Encoding": "identity"}).raise_for_status()
    assert raw.headers.get("content-encoding") is None, path
    times = []
    for n in range(WARM_UP + count):
        started = time.perf_counter()
        answer = client.get(path, headers={"Accept-Encoding": "gzip"})  # returns with the whole body read
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        if n >= WARM_UP:
            times.append(elapsed * 1000)
    return {
        "raw": len(raw.content),
        "gzip": answer.num_bytes_downloaded,  # the bytes on the wire: compressed, or raw under 1 KB
        "median": statistics.median(times),
        "p90": statistics.quantiles(times, n=10)[-1],
    }


def report(rows: dict[str, dict[str, float]], count: int) -> int:
    base = rows["baseline " + BASELINE]["median"]
    print(f"{'page':<26} {'raw KB':>8} {'gzip KB':>8} {'median ms':>10} {'p90 ms':>8} {'x baseline':>11}"
          f"   ({count} requests each)")
    for name, row in rows.items():
        print(f"{name:<26} {row['raw'] / KB:>8.1f} {row['gzip'] / KB:>8.1f} {row['median']:>10.2f} {row['p90']:>8.2f}"
              f" {row['median'] / base:>11.1f}")
    checks = [(f"release page raw ({name})", rows[name]["raw"] / KB, RELEASE_RAW_KB, "KB")
              for name in rows if name.startswith("release page")]
    checks.append(("form page gzip", rows["/s/automobile form"]["gzip"] / KB, FORM_GZIP_KB, "KB"))
    checks += [(f"median time {name}", row["median"], MEDIAN_MS, "ms")
               for name, row in rows.items() if not name.startswith("baseline")]
    print("\nbudgets (measured / budget)")
    over = False
    for what, value, budget, unit in checks:
        ratio = value / budget
        over |= ratio > 1
        print(f"  {what:<38} {value:>8.1f} {unit} / {budget} {unit} = {ratio:.2f}{'  OVER' if ratio > 1 else ''}")
    return 1 if over else 0


@contextmanager
def nullcontext_url(url: str):  # noqa: ANN201
    yield url.rstrip("/")


@contextmanager
def serve():  # noqa: ANN201 - yields the base URL of a `survey serve` with the demo wave and release
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as home:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
        env |= {"SURVEY_DATABASE_URL": f"sqlite:///{home}/survey.db", "SURVEY_DATA_DIR": f"{home}/data",
                "SURVEY_SECRET_KEY": "bench-pages-secret-key-0123456789", "SURVEY_DEMO": "true"}
        log = Path(home) / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "survey", "serve", "--port", str(port)], cwd=home,
                                       env=env | {"PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        print(f"starting survey serve with the demo on {base} ...", file=sys.stderr, flush=True)
        try:
            deadline = time.monotonic() + 240
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"survey serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
                try:
                    if httpx.get(base + BASELINE, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
