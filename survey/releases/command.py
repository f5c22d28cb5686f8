"""``survey release build|publish|verify|list``: scoring runs and releases from the command line.

The main CLI calls :func:`add_commands` with its subparsers; every command reads the database from
``SURVEY_DATABASE_URL`` (the embedded SQLite file by default). Input errors print a message and exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TextIO

import msgspec

from survey.errors import FieldError, InvalidInput, NotFound
from survey.failures import USAGE_ERROR, reported
from survey.scoring.moments import DataError
from survey.scoring.spec import ScoringError

Count = Annotated[float, msgspec.Meta(gt=0)]
Margins = dict[str, dict[str, dict[str, Count]]]  # industry -> column -> level -> population count


class ProgressLine:
    """Progress on stderr: one rewritten line on a terminal, a line per stage otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.stage: str | None = None
        self.seen: set[str] = set()

    def __call__(self, stage: str, fraction: float) -> None:
        elapsed = time.perf_counter() - self.started
        if self.tty:
            self.stream.write(f"\r{stage:<10} {fraction:5.0%}  {elapsed:6.1f} s   ")
            self.stream.flush()
        elif stage not in self.seen:
            self.stream.write(f"{stage} ... ({elapsed:.1f} s)\n")
            self.stream.flush()
        self.stage = stage
        self.seen.add(stage)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(f"done in {time.perf_counter() - self.started:.1f} s\n")


def add_commands(parser: argparse.ArgumentParser, context: Callable[[], Any]) -> None:
    """Declare ``survey release ...`` on `parser`; `context()` returns (Database, Catalogue) when a command runs."""
    commands = parser.add_subparsers(title="release commands")
    build = commands.add_parser("build", help="score a campaign's responses into a run, ready to publish")
    build.add_argument("--campaign", required=True, help="campaign code")
    build.add_argument("--resamples", type=int, default=1000, help="cluster-bootstrap resamples (default 1000)")
    build.add_argument("--seed", type=int, default=20151, help="bootstrap seed (recorded in the release)")
    build.add_argument("--min-n", type=int, default=30, help="fewest respondents a published cell may have")
    build.add_argument("--max-ci-width", type=float, default=10.0, help="wider intervals are flagged imprecise")
    build.add_argument("--series", help="release series (default: 'programme', or 'demo' for a demo campaign)")
    build.add_argument("--margins", type=Path, metavar="FILE",
                       help="raking margins, JSON: {industry: {column: {level: population count}}}")
    build.add_argument("--model", type=Path, metavar="FILE", help="model file (default models/after-sales-csi.toml)")
    build.add_argument("--corrects", metavar="RELEASE", help="the release this one corrects (needs --reason)")
    build.add_argument("--reason", help="why the correction is made (published with it)")
    build.set_defaults(run=lambda args: _run(args, context, _build))

    publish = commands.add_parser("publish", help="publish a built run; a published release never changes")
    publish.add_argument("run_id", type=int, metavar="RUN")
    publish.set_defaults(run=lambda args: _run(args, context, _publish))

    verify = commands.add_parser("verify", help="check a release's stored bytes against its manifest and id")
    verify.add_argument("release", metavar="RELEASE", help="release id (the manifest's sha256) or a unique prefix")
    verify.add_argument("--rebuild", action="store_true",
                        help="also rebuild it from the stored responses and compare byte for byte")
    verify.set_defaults(run=lambda args: _run(args, context, _verify))

    listing = commands.add_parser("list", help="list the releases, newest first")
    listing.set_defaults(run=lambda args: _run(args, context, _list))


def add_run_commands(parser: argparse.ArgumentParser, context: Callable[[], Any]) -> None:
    """Declare ``survey runs list`` on `parser`: the built runs that ``survey release publish`` takes."""
    commands = parser.add_subparsers(title="runs commands")
    listing = commands.add_parser("list", help="built scoring runs, newest first: responses scored, the release id "
                                  "each has or will have once published, and whether it was")
    listing.add_argument("--campaign", help="only this campaign's runs")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(run=lambda args: reported("survey runs", lambda: _runs(args, *context())))


def _runs(args: argparse.Namespace, db, catalogue) -> int:  # noqa: ANN001
    from survey.releases.runs import list_runs
    from survey.store.registry import find_campaign

    if not 1 <= args.limit <= 1000:
        raise InvalidInput([FieldError(field="--limit", reason="must be 1-1000")])
    if args.campaign is not None and find_campaign(db, args.campaign) is None:
        raise NotFound(f"campaign {args.campaign!r}")
    for run in list_runs(db, args.campaign, 0, args.limit):
        state = "published" if run.published else "not published"
        print(f"{run.run_id:>5}  {run.built_at:%Y-%m-%d %H:%M}  {run.campaign:<12} {run.included:>7} of "
              f"{run.received:<7} scored  resamples {run.resamples}  seed {run.seed}  {state:<13}  {run.release_id}")
    return 0


def _run(args: argparse.Namespace, context: Callable[[], Any], command: Callable[..., int]) -> int:
    return reported("survey release", lambda: command(args, *context()), ScoringError, DataError)


def _build(args: argparse.Namespace, db, catalogue) -> int:  # noqa: ANN001
    from survey.releases.pipeline import build_release

    margins = _read_margins(args.margins) if args.margins else None
    model_text = _read_text(args.model, "--model") if args.model else None
    progress = ProgressLine()
    built = build_release(
        db, catalogue, args.campaign, model_text=model_text, resamples=args.resamples, seed=args.seed,
        min_n=args.min_n, max_ci_width=args.max_ci_width, series=args.series, corrects=args.corrects,
        reason=args.reason, margins=margins, progress=progress,
    )
    progress.done()
    print(f"run {built.run_id}: release {built.release_id} when published "
          f"({built.manifest.snapshot.included} of {built.manifest.snapshot.received} responses scored)")
    print(f"publish with: survey release publish {built.run_id}")
    return 0


def _publish(args: argparse.Namespace, db, catalogue) -> int:  # noqa: ANN001
    from survey.releases.pipeline import publish_release

    release_id = publish_release(db, args.run_id)
    print(f"published release {release_id}  (/releases/{release_id})")
    return 0


def _verify(args: argparse.Namespace, db, catalogue) -> int:  # noqa: ANN001
    from survey.releases.pipeline import resolve_release, verify_release

    release_id = resolve_release(db, args.release)
    problems = verify_release(db, catalogue, release_id, rebuild=args.rebuild)
    for problem in problems:
        print(f"FAILED {problem}")
    if problems:
        return 1
    print(f"verified release {release_id}" + (" (rebuilt byte for byte)" if args.rebuild else ""))
    return 0


def _list(args: argparse.Namespace, db, catalogue) -> int:  # noqa: ANN001
    from survey.store.releases import list_releases

    for release in list_releases(db):
        state = f"superseded by {release.superseded_by[:12]}" if release.superseded_by else "current"
        print(f"{release.id}  {release.published_at:%Y-%m-%d %H:%M}  {release.series:<10} {release.campaign:<12} {state}")
    return 0


def _read_text(path: Path, option: str) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput([FieldError(field=option, reason=f"cannot read {path}: {exc}")]) from None


def _read_margins(path: Path) -> Margins:
    try:
        return msgspec.json.decode(_read_text(path, "--margins").encode(), type=Margins)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        reason = f"{path} is not raking margins ({{industry: {{column: {{level: count}}}}}}): {exc}"
        raise InvalidInput([FieldError(field="--margins", reason=reason)]) from None
