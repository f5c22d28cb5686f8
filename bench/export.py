"""Benchmark of the exports: a million stored responses to each format, against the 20 s target.

    .venv/bin/python bench/export.py            # every format and the baseline, for all rows and for two cities
    .venv/bin/python bench/export.py --formats csv,sav

The database (ten industries, 400 enterprises each, 250 respondents each: 1,000,000 responses, from
survey.demo.generate_wave) is generated once into bench/out/export-1m.db, which takes a few minutes, and reused.
Each export runs in its own child process, exactly as `survey export` does it (plan, chunks, writer, a file in
bench/out/), and reports its time and its peak resident memory (VmHWM) before and after the export. The baseline,
in the same run, is a plain SELECT of the same rows and columns, in the same order, fetched and dropped with the
sqlite3 driver: the floor that any export from this database stands on. The ratio is export time / baseline time.
Memory that does not grow with the row count shows as the same peak for two cities (about 95,000 rows, the same
columns) and for all of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
DATABASE = OUT / "export-1m.db"
CAMPAIGN = "bench-1m"


def database() -> Path:
    """The cached database of a million responses (ten industries, 400 enterprises each, 250 respondents each)."""
    from survey.demo import generate_wave
    from survey.instruments.catalogue import load_catalogue
    from survey.registry import CampaignCreate
    from survey.regions import load_industries
    from survey.store import registry
    from survey.store.engine import Database, make_engine
    from survey.store.instruments import register_catalogue
    from survey.store.schema import upgrade

    if DATABASE.exists():
        engine = make_engine(f"sqlite:///{DATABASE}")
        upgrade(engine)  # a database cached under an older schema
        engine.dispose()
        return DATABASE
    partial = DATABASE.with_suffix(".partial")
    for stale in OUT.glob(partial.name + "*"):
        stale.unlink()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{partial}", sqlite_synchronous="OFF")
    upgrade(engine)
    db = Database(engine)
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    registry.create_campaign(db, CampaignCreate(
        code=CAMPAIGN, title_zh="导出基准", title_en="Export benchmark", industries=list(load_industries().codes()),
        opens_on=dt.date(2026, 10, 1), closes_on=dt.date(2026, 12, 31), status="open",
    ))
    wave = generate_wave(db, catalogue, CAMPAIGN, enterprises_per_industry=400, respondents=250, seed=7,
                         received=dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC))
    db.dispose()
    connection = sqlite3.connect(partial)  # fold the write-ahead log into the file before renaming it
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    partial.rename(DATABASE)
    print(f"generated {wave.responses:,} responses in {time.perf_counter() - started:.0f} s -> {DATABASE}", flush=True)
    return DATABASE


def peak_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_export(name: str, cities: list[str]) -> dict:
    from survey.exports.formats import FORMATS, write_export
    from survey.exports.selection import ExportFilter
    from survey.exports.xlsx import check_rows
    from survey.instruments.catalogue import load_catalogue
    from survey.regions import load_industries, load_regions
    from survey.store.engine import Database, make_engine
    from survey.store.exports import plan_export, planned_chunks, planned_count

    db = Database(make_engine(f"sqlite:///{DATABASE}"))
    plan = plan_export(db, load_catalogue(), CAMPAIGN, ExportFilter(cities=tuple(cities)), load_regions(),
                       load_industries())
    before = peak_mb()
    target = OUT / f"export-{'-'.join(cities) or 'all'}.{FORMATS[name].suffix}"
    started = time.perf_counter()
    if name == "xlsx":
        check_rows(planned_count(db, plan))
    with target.open("wb") as sink:
        rows = write_export(name, plan.codebook, planned_chunks(db, plan), sink)
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "before_mb": before, "peak_mb": peak_mb(),
            "bytes": target.stat().st_size}


def child_baseline(cities: list[str]) -> dict:
    """The same rows and columns as an export reads (all of the answers), in id order, fetched and dropped."""
    connection = sqlite3.connect(DATABASE)
    before = peak_mb()
    started = time.perf_counter()
    where = "campaign_id = (SELECT id FROM campaign WHERE code = ?)"
    if cities:
        where += f" AND city IN ({','.join('?' * len(cities))})"
    cursor = connection.execute(
        "SELECT id, instrument_code, instrument_version, enterprise_id, outlet_id, city, channel, locale, is_test, "
        f"started_at, submitted_at, answers, item_values FROM response WHERE {where} ORDER BY id",
        [CAMPAIGN, *cities])
    rows = 0
    while batch := cursor.fetchmany(50_000):
        rows += len(batch)
    return {"rows": rows, "seconds": time.perf_counter() - started, "before_mb": before, "peak_mb": peak_mb()}


def run_child(*arguments: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *arguments], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child {arguments} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="csv,sav,parquet,xlsx")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *cities = args.child
        result = child_baseline(cities) if name == "baseline" else child_export(name, cities)
        print(json.dumps(result))
        return
    database()
    print(f"database: {DATABASE} ({DATABASE.stat().st_size / 1e6:.0f} MB); target: 1,000,000 rows in <= 20 s, "
          "memory flat in the row count", flush=True)
    print(f"{'export':<18}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'x baseline':>11}{'peak MB':>9}"
          f"{'+ export':>10}{'file MB':>9}  verdict", flush=True)
    for scope in ([], ["440100", "440300"]):  # all, and two of the 21 cities (about 95,000 rows, the same columns)
        baseline = run_child("baseline", *scope)
        label = "all" if not scope else "2 cities"
        show(f"baseline {label}"[:17], baseline, baseline["seconds"], None)
        for name in args.formats.split(","):
            show(f"{name} {label}"[:17], run_child(name, *scope), baseline["seconds"], 20.0 if not scope else None)


def show(label: str, result: dict, baseline: float, target: float | None) -> None:
    seconds = result["seconds"]
    verdict = "" if target is None else ("meets 20 s" if seconds <= target else f"MISSES 20 s ({seconds / target:.1f}x)")
    size = f"{result['bytes'] / 1e6:9.0f}" if "bytes" in result else f"{'':>9}"
    print(f"{label:<18}{result['rows']:>11,}{seconds:>9.1f}{result['rows'] / seconds:>10,.0f}"
          f"{seconds / baseline:>11.2f}{result['peak_mb']:>9.0f}{result['peak_mb'] - result['before_mb']:>10.0f}"
          f"{size}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
