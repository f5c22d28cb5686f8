"""``survey model fit MODEL.toml DATA.csv``: fit a model file to a CSV of answers and print the results.

The main CLI calls :func:`add_arguments` with its ``fit`` subparser and :func:`run` with the parsed
arguments; ``python -m survey.scoring.command fit ...`` runs it standalone.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd

from survey.scoring.bootstrap import bootstrap
from survey.scoring.index import NonPositiveWeightsError, compute_index, group_index
from survey.scoring.ipma import ipma
from survey.scoring.moments import DataError
from survey.scoring.pls import fit
from survey.scoring.report import to_data, to_text
from survey.scoring.spec import ScoringError, load_model

USAGE_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``survey model fit``."""
    parser.add_argument("model", help="model file (TOML), e.g. models/after-sales-csi.toml")
    parser.add_argument("data", help="CSV file: one row per respondent, one column per item code")
    parser.add_argument("--scheme", choices=["centroid", "factorial", "path"], help="override the inner scheme")
    parser.add_argument("--convention", choices=["exact", "plspm"], help="override the stopping convention")
    parser.add_argument("--missing", choices=["pairwise", "listwise", "available"], default="pairwise",
                        help="missing answers: available-case moments (default), drop incomplete rows, "
                             "or R plspm's available-data algorithm")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="B", help="bootstrap resamples (0 = none)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="bootstrap seed")
    parser.add_argument("--cluster", metavar="COLUMN", help="resample clusters of this column (e.g. enterprise)")
    parser.add_argument("--by", metavar="COLUMN",
                        help="index per group of this column (with intervals when bootstrapping)")
    parser.add_argument("--weights", metavar="COLUMN",
                        help="column of case weights; standard errors read them as frequency weights, so scale "
                             "sampling weights to sum to the sample size (rake() does)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals")
    parser.add_argument("--format", choices=["text", "json"], default="text")


def read_data(path: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from None


def execute(args: argparse.Namespace) -> dict:
    spec = load_model(args.model)
    changes = {k: v for k, v in (("scheme", args.scheme), ("convention", args.convention)) if v}
    if changes:
        spec = spec.with_estimation(**changes)
    data = read_data(args.data)
    weights = None
    if args.weights:
        if args.weights not in data.columns:
            raise DataError(f"data has no weights column {args.weights!r}")
        if not np.issubdtype(data[args.weights].dtype, np.number):
            raise DataError(f"weights column {args.weights!r} is not numeric")
        weights = data[args.weights].to_numpy(dtype=float)
    for column in (args.cluster, args.by):
        if column and column not in data.columns:
            raise DataError(f"data has no column {column!r}")
    if args.bootstrap < 0 or not 0 < args.level < 1:
        raise DataError("--bootstrap must be >= 0 and --level between 0 and 1")
    if args.missing == "available" and args.bootstrap:
        raise DataError("the bootstrap runs on moments: use --missing pairwise or listwise with --bootstrap")
    result = fit(spec, data, weights=weights, missing=args.missing, scores=False)
    index, error, groups, drivers = None, None, None, None
    try:
        index = compute_index(result)
        drivers = ipma(result)
        groups = group_index(result, data, args.by, weights) if args.by else None
    except NonPositiveWeightsError as exc:
        error = str(exc)
    boot = None
    if args.bootstrap:
        boot = bootstrap(result, data, resamples=args.bootstrap, seed=args.seed, cluster=args.cluster, by=args.by,
                         weights=weights, level=args.level)
    return to_data(result, index, boot, error, groups, drivers)


def run(args: argparse.Namespace) -> int:
    """Run ``survey model fit``; 0 on success, 2 with one message on stderr on bad input."""
    try:
        data = execute(args)
    except (ScoringError, np.linalg.LinAlgError) as exc:
        print(f"survey model fit: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_text(data))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey.scoring.command")
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("fit", help="fit a PLS path model file to a CSV of answers"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
