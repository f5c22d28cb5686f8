"""Benchmark: a million stored responses to a published release, with 1000-resample cluster-bootstrap intervals.

    .venv/bin/python bench/release.py                  # 10 industries x 400 enterprises x 250 respondents, B=1000
    .venv/bin/python bench/release.py --resamples 200  # a quicker look

The database (bench/out/export-1m.db, shared with bench/export.py and cached between runs) is copied afresh for
each run, so every run publishes the first release of its series from the same snapshot.  The release is built
and published exactly as `survey release build` and `survey release publish` do, and verified afterwards.

Printed: the breakdown (read, weights, fit, bootstrap, tables, snapshot, write) against the 30 s target, and the
baseline of the same run: fetching the same rows with a plain SELECT, which no release can beat.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export import CAMPAIGN, OUT, database  # noqa: E402  (the shared, cached million-response database)

from survey.instruments.catalogue import load_catalogue  # noqa: E402
from survey.releases import pipeline  # noqa: E402
from survey.store.engine import Database, make_engine  # noqa: E402

TARGET_SECONDS = 30.0


class Stages:
    """Time between progress calls, attributed to the stage named by the earlier call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.stage: str | None = None
        self.since = time.perf_counter()

    def __call__(self, stage: str, fraction: float) -> None:
        self.switch(stage)

    def switch(self, stage: str | None) -> None:
        now = time.perf_counter()
        if self.stage is not None:
            self.seconds[self.stage] += now - self.since
        self.stage, self.since = stage, now


def baseline(db: Database) -> float:
    """Seconds to fetch every response row of the campaign (the columns a release reads) with a plain SELECT."""
    started = time.perf_counter()
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT r.id, r.instrument_code, r.instrument_version, r.enterprise_id, e.name, e.industry, r.city, "
            "r.is_test, r.item_values FROM response r JOIN enterprise e ON e.id = r.enterprise_id "
            "JOIN campaign c ON c.id = r.campaign_id WHERE c.code = ? ORDER BY r.id", (CAMPAIGN,)).fetchall()
    assert len(rows) > 0
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    source = database()
    copy = OUT / "release-1m.db"
    for stale in OUT.glob(copy.name + "*"):
        stale.unlink()
    shutil.copyfile(source, copy)
    db = Database(make_engine(f"sqlite:///{copy}"))
    catalogue = load_catalogue()
    fetch = baseline(db)

    stages = Stages()
    started = time.perf_counter()
    built = pipeline.build_release(db, catalogue, CAMPAIGN, resamples=args.resamples, seed=1, progress=stages)
    stages.switch("write")
    release_id = pipeline.publish_release(db, built.run_id)
    stages.switch(None)
    total = time.perf_counter() - started
    problems = pipeline.verify_release(db, catalogue, release_id)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cells = built.tables.cells

    print(f"release {release_id[:12]} of {built.manifest.snapshot.received:,} stored responses "
          f"({built.manifest.snapshot.included:,} scored), B = {args.resamples}, "
          f"{sum(c.status == 'published' for c in cells)} published cells of {len(cells)}")
    print("stage        seconds")
    for stage in ("read", "weights", "fit", "bootstrap", "tables", "snapshot", "write"):
        print(f"{stage:<12} {stages.seconds.get(stage, 0.0):7.2f}")
    print(f"{'total':<12} {total:7.2f}   target {TARGET_SECONDS:.0f} s: {'PASS' if total <= TARGET_SECONDS else 'FAIL'}")
    print(f"baseline: plain SELECT of the same rows {fetch:.2f} s; release / baseline = {total / fetch:.1f}x")
    print(f"peak memory {peak:,.0f} MB; verify: {'ok' if not problems else problems}")
    db.dispose()
    copy.unlink()
    return 0 if total <= TARGET_SECONDS and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
