"""``survey invitations issue|list``: batches of single-use invitation links, as a CSV file and a page of QR codes.

Every command reads the database from ``SURVEY_DATABASE_URL``. Input errors print a message and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec

from survey.errors import FieldError, InvalidInput, NotFound
from survey.failures import USAGE_ERROR, reported



def add_commands(parser: argparse.ArgumentParser, context: Callable[[], Any], base_url: Callable[[], str]) -> None:
    """Declare ``survey invitations ...``; `context()` gives (Database, Catalogue), `base_url()` the default address."""
    commands = parser.add_subparsers(title="invitations commands")
    issue = commands.add_parser("issue", help="issue a batch of single-use invitations: a CSV of links and a "
                                "printable HTML page of QR codes (the tokens are not kept: keep these files)")
    issue.add_argument("--campaign", required=True, help="campaign code")
    issue.add_argument("--enterprise", required=True, type=int, help="enterprise id")
    issue.add_argument("--outlet", type=int, help="outlet id (optional)")
    issue.add_argument("--count", required=True, type=int, help="how many invitations (1-5000)")
    issue.add_argument("--output", required=True, type=Path,
                       help="the CSV file to write (the HTML page goes beside it, as .html); neither may exist")
    issue.add_argument("--base-url", help="public address of the service in the links (default: http://HOST:PORT "
                       "from SURVEY_HOST and SURVEY_PORT)")
    issue.set_defaults(run=lambda args: _run(args, context, lambda a, db: _issue(a, db, base_url)))
    listing = commands.add_parser("list", help="a campaign's batches and how many of each were used")
    listing.add_argument("--campaign", required=True, help="campaign code")
    listing.set_defaults(run=lambda args: _run(args, context, _list))


def _run(args: argparse.Namespace, context: Callable[[], Any], command: Callable[..., int]) -> int:
    return reported("survey invitations", lambda: command(args, context()[0]), OSError)


def _issue(args: argparse.Namespace, db: Any, base_url: Callable[[], str]) -> int:
    from survey.invitations.sheet import links_csv, qr_page
    from survey.invitations.spec import InvitationIssue
    from survey.store.invitations import issue_invitations
    from survey.store.registry import find_campaign

    try:
        data = msgspec.convert(dict(campaign=args.campaign, enterprise=args.enterprise, outlet=args.outlet,
                                    count=args.count), InvitationIssue)
    except msgspec.ValidationError as exc:
        print(f"survey invitations: {exc}", file=sys.stderr)
        return USAGE_ERROR
    csv_path, html_path = args.output, args.output.with_suffix(".html")
    for path in (csv_path, html_path):
        if path.exists():
            raise InvalidInput([FieldError(field="--output", reason=f"{path} exists; choose a new file name")])
    # Open both files before issuing: tokens that cannot be written down are lost for good.
    with ExitStack() as files:
        csv_file = files.enter_context(open(csv_path, "x", encoding="utf-8"))
        html_file = files.enter_context(open(html_path, "x", encoding="utf-8"))
        try:
            issued = issue_invitations(db, data, base_url=args.base_url or base_url())
        except Exception:
            files.close()
            csv_path.unlink()
            html_path.unlink()
            raise
        campaign = find_campaign(db, data.campaign)
        csv_file.write(links_csv(issued))
        html_file.write(qr_page(issued, title=f"{campaign.title_zh} · {campaign.title_en}"))
    batch = issued.batch
    print(f"batch {batch.id}: {batch.count} invitations for {batch.enterprise_name}"
          f"{' / ' + batch.outlet_name if batch.outlet_name else ''} ({batch.campaign})")
    print(f"links: {csv_path}\nQR codes: {html_path}")
    return 0


def _list(args: argparse.Namespace, db: Any) -> int:
    from survey.store.invitations import list_batches
    from survey.store.registry import find_campaign

    if find_campaign(db, args.campaign) is None:
        raise NotFound(f"campaign {args.campaign!r}")
    for batch in list_batches(db, args.campaign):
        where = batch.enterprise_name + (f" / {batch.outlet_name}" if batch.outlet_name else "")
        print(f"{batch.id:>5}  {batch.created_at:%Y-%m-%d %H:%M}  {batch.used:>5} of {batch.count:<5} used  {where}")
    return 0
