"""Soak: kill -9 of the service (every uvicorn worker at once) at random moments under load, round after round.

    .venv/bin/python tests/soak/kill9.py                      # 20 rounds on SQLite, then 20 on PostgreSQL
    .venv/bin/python tests/soak/kill9.py --db sqlite --rounds 5

Each round starts the service on the same database, lets 16 clients post new responses, and kills every process of
it after 0.3 to 2.5 s. After each round the database is checked (SQLite's integrity check; every acknowledged
response present). At the end every request whose answer was lost with the connection is sent again: each must be
stored exactly once (201 if it never arrived, 200 if it had). Prints the figures for the README; exit 1 on any loss.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.load.faults import kill9_rounds  # noqa: E402
from tests.load.service import postgres_database  # noqa: E402

POSTGRES = os.environ.get("SURVEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    failed = False
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        with tempfile.TemporaryDirectory(prefix="survey-kill9-") as folder:
            if kind == "sqlite":
                result = kill9_rounds(f"sqlite:///{folder}/survey.db", Path(folder), args.rounds, seed=args.seed)
            else:
                with postgres_database(POSTGRES) as url:
                    result = kill9_rounds(url, Path(folder), args.rounds, seed=args.seed)
        bad = result.lost or result.foreign or result.integrity or result.server_errors or set(result.resent) - {200, 201}
        failed |= bool(bad)
        print(f"{kind}: {result.rounds} rounds, acknowledged {result.acknowledged}, stored {result.stored}, "
              f"lost {len(result.lost)}, partial or foreign rows {len(result.foreign)}, integrity "
              f"{'ok' if not result.integrity else result.integrity}, unknown outcomes resent {result.resent}, "
              f"5xx {result.server_errors or 0}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
