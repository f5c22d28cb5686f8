"""``survey export --campaign C --format F --output FILE [filters]``: a campaign's responses, or their codebook, to a file.

The main CLI calls :func:`add_arguments` with its ``export`` subparser and :func:`run` with the parsed arguments and
a function that opens (Database, Catalogue). The file is written beside FILE under a temporary name and renamed
when complete, so a failed export leaves no half file; ``--output -`` writes to standard output.
Input errors print a message and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from survey.errors import Conflict, InvalidInput, NotFound, Unavailable
from survey.exports.formats import FORMATS, write_export
from survey.exports.selection import ExportFilter
from survey.exports.xlsx import check_rows

USAGE_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--campaign", required=True, help="campaign code")
    parser.add_argument("--format", required=True, choices=list(FORMATS),
                        help="csv (UTF-8 with BOM), xlsx, sav (SPSS), parquet, or the codebook as CSV or JSON")
    parser.add_argument("--output", required=True, metavar="FILE", help="file to write ('-': standard output)")
    parser.add_argument("--industry", action="append", default=[], metavar="CODE",
                        help="only this industry (repeat for several)")
    parser.add_argument("--city", action="append", default=[], metavar="CODE", help="only this city (GB/T 2260 code)")
    parser.add_argument("--enterprise", action="append", default=[], type=int, metavar="ID",
                        help="only this enterprise")
    parser.add_argument("--flags", choices=["all", "flagged", "unflagged"], default="all",
                        help="responses with a quality flag that was not overridden, without one, or all (default)")
    parser.add_argument("--labels", choices=["zh", "en"], default="zh", help="label language of .sav (default zh)")


def run(args: argparse.Namespace, context: Callable[[], Any]) -> int:
    """Run ``survey export``; 0 on success, 2 with a message on stderr on bad input."""
    try:
        selection = msgspec.convert({"industries": args.industry, "cities": args.city,
                                     "enterprises": args.enterprise, "flags": args.flags}, ExportFilter)
    except msgspec.ValidationError as exc:
        print(f"survey export: {_option(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    try:
        db, catalogue = context()
        return _export(args, db, catalogue, selection)
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"survey export: --{error.field}: {error.reason}", file=sys.stderr)
    except NotFound as exc:
        print(f"survey export: not found: {exc}", file=sys.stderr)
    except (Conflict, Unavailable, OSError) as exc:
        print(f"survey export: {exc}", file=sys.stderr)
    return USAGE_ERROR


def _export(args: argparse.Namespace, db, catalogue, selection: ExportFilter) -> int:  # noqa: ANN001
    from survey.regions import load_industries, load_regions
    from survey.store.exports import plan_export, planned_chunks, planned_count

    started = time.perf_counter()
    plan = plan_export(db, catalogue, args.campaign, selection, load_regions(), load_industries())
    if args.format == "xlsx":
        check_rows(planned_count(db, plan))
    chunks = planned_chunks(db, plan) if FORMATS[args.format].rows else iter(())
    if args.output == "-":
        rows = write_export(args.format, plan.codebook, chunks, sys.stdout.buffer, labels=args.labels)
        sys.stdout.buffer.flush()
    else:
        target = Path(args.output)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("wb") as sink:
                rows = write_export(args.format, plan.codebook, chunks, sink, labels=args.labels)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    what = f"{rows:,} responses" if FORMATS[args.format].rows else f"{len(plan.codebook.columns)} columns"
    print(f"survey export: {what} to {args.output} ({args.format}) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


def _option(message: str) -> str:
    """A msgspec message about the filter, with the path named by the command's option."""
    for field, option in (("industries", "--industry"), ("cities", "--city"), ("enterprises", "--enterprise")):
        message = message.replace(f"`$.{field}", f"`{option}")
    return message
