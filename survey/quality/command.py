"""``survey quality check|flags|override``: the batch pass over a campaign, the flags to review, an override.

Every command reads the database from ``SURVEY_DATABASE_URL``. Input errors print a message and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from survey.errors import FieldError, InvalidInput
from survey.failures import USAGE_ERROR, reported



def add_commands(parser: argparse.ArgumentParser, context: Callable[[], Any]) -> None:
    """Declare ``survey quality ...`` on `parser`; `context()` returns (Database, Catalogue) when a command runs."""
    commands = parser.add_subparsers(title="quality commands")
    check = commands.add_parser("check", help="run every quality rule over a campaign's responses (adds flags, "
                                "never removes any)")
    check.add_argument("--campaign", required=True, help="campaign code")
    check.set_defaults(run=lambda args: _run(args, context, _check))
    flags = commands.add_parser("flags", help="list a campaign's flags for review")
    flags.add_argument("--campaign", required=True, help="campaign code")
    flags.add_argument("--rule", help="only this rule")
    which = flags.add_mutually_exclusive_group()
    which.add_argument("--standing", action="store_true", help="only flags that exclude their response")
    which.add_argument("--overridden", action="store_true", help="only overridden flags")
    flags.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    flags.set_defaults(run=lambda args: _run(args, context, _flags))
    override = commands.add_parser("override", help="decide that a flag does not hold (it stays stored, with the "
                                   "reason, and no longer excludes the response)")
    override.add_argument("response", help="response id (UUID)")
    override.add_argument("rule", help="rule name, e.g. speeder")
    override.add_argument("--reason", required=True, help="why the flag does not hold (3-400 characters)")
    override.set_defaults(run=lambda args: _run(args, context, _override))


def _run(args: argparse.Namespace, context: Callable[[], Any], command: Callable[..., int]) -> int:
    return reported("survey quality", lambda: command(args, *context()))


def _check(args: argparse.Namespace, db: Any, catalogue: Any) -> int:
    from survey.releases.pipeline import every_version
    from survey.store.quality import check_campaign

    result = check_campaign(db, args.campaign, every_version(catalogue))
    print(f"{result.campaign}: {result.responses} responses checked with rule set {result.rule_set}; "
          f"{result.flagged_responses} carry a standing flag")
    print(f"{'rule':<20}{'added':>8}{'standing':>10}{'overridden':>12}")
    totals = {count.rule: count for count in result.rules}
    for rule, added in result.added.items():
        count = totals.get(rule)
        print(f"{rule:<20}{added:>8}{count.standing if count else 0:>10}{count.overridden if count else 0:>12}")
    return 0


def _flags(args: argparse.Namespace, db: Any, catalogue: Any) -> int:
    from survey.store.quality import list_flags

    if not 1 <= args.limit <= 10_000:
        raise InvalidInput([FieldError(field="--limit", reason="must be 1-10000")])
    standing = True if args.standing else False if args.overridden else None
    flags, total = list_flags(db, args.campaign, rule=args.rule, standing=standing, limit=args.limit)
    for flag in flags:
        state = "standing" if flag.standing else f"overridden: {flag.override_reason}"
        print(f"{flag.response}  {flag.rule:<18}  {state}  | {flag.detail}")
    print(f"{len(flags)} of {total} flags", file=sys.stderr)
    return 0


def _override(args: argparse.Namespace, db: Any, catalogue: Any) -> int:
    import uuid

    from survey.store.quality import override_flag

    try:
        response = str(uuid.UUID(args.response))
    except ValueError:
        raise InvalidInput([FieldError(field="response", reason="is not a UUID")]) from None
    reason = args.reason.strip()
    if not 3 <= len(reason) <= 400:
        raise InvalidInput([FieldError(field="--reason", reason="must be 3-400 characters")])
    flag = override_flag(db, response, args.rule, reason)
    print(f"{flag.response} {flag.rule}: overridden ({flag.override_reason}); it no longer excludes the response")
    return 0
