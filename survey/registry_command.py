"""``survey campaigns|enterprises|outlets list|create|update``: the registry from the command line.

The same schemas and store functions as the JSON API and the admin pages; every command reads the database from
``SURVEY_DATABASE_URL``. A value that breaks a rule prints the option and the reason and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from survey.errors import FieldError, InvalidInput, NotFound
from survey.failures import reported
from survey.registry import (
    Campaign,
    CampaignCreate,
    CampaignUpdate,
    Enterprise,
    EnterpriseCreate,
    EnterpriseUpdate,
    Outlet,
    OutletCreate,
    OutletUpdate,
)

T = TypeVar("T")
MAX_LIST = 1000
POSITIONAL = {"code": "CODE", "id": "ID"}


def add_commands(commands: Any, context: Callable[[], Any]) -> None:
    """Declare ``survey campaigns``, ``survey enterprises`` and ``survey outlets`` on the main subparsers;
    `context()` returns (Database, Catalogue) when a command runs."""
    campaigns = commands.add_parser("campaigns", help="campaigns (waves): list, create, update status and dates")
    sub = campaigns.add_subparsers(title="campaigns commands")
    listing = sub.add_parser("list", help="every campaign")
    listing.set_defaults(run=_runner("campaigns", context, _list_campaigns))
    create = sub.add_parser("create", help="a new campaign (draft unless --status says otherwise)")
    create.add_argument("code", help="2-40 lower-case letters, digits or hyphens, e.g. 2026-spring")
    _campaign_options(create, creating=True)
    create.set_defaults(run=_runner("campaigns", context, _create_campaign))
    update = sub.add_parser("update", help="change a campaign's titles, dates, status or open links")
    update.add_argument("code", help="the campaign's code")
    _campaign_options(update, creating=False)
    update.set_defaults(run=_runner("campaigns", context, _update_campaign))

    enterprises = commands.add_parser("enterprises", help="enterprises: list (by industry, city), create, update")
    sub = enterprises.add_subparsers(title="enterprises commands")
    listing = sub.add_parser("list", help="enterprises, by id")
    listing.add_argument("--industry", help="only this industry (code)")
    listing.add_argument("--city", help="only this city (GB/T 2260 code)")
    _page_options(listing)
    listing.set_defaults(run=_runner("enterprises", context, _list_enterprises))
    create = sub.add_parser("create", help="a new enterprise")
    create.add_argument("--uscc", required=True, help="unified social credit code (18 characters, GB 32100)")
    create.add_argument("--name", required=True)
    create.add_argument("--industry", required=True, help="industry code, e.g. automobile")
    create.add_argument("--city", required=True, help="city code (GB/T 2260), e.g. 440100")
    create.set_defaults(run=_runner("enterprises", context, _create_enterprise))
    update = sub.add_parser("update", help="rename an enterprise or change its city (industry and code are fixed)")
    update.add_argument("id", type=int, help="enterprise id")
    update.add_argument("--name")
    update.add_argument("--city")
    update.set_defaults(run=_runner("enterprises", context, _update_enterprise))

    outlets = commands.add_parser("outlets", help="an enterprise's outlets: list, create, update")
    sub = outlets.add_subparsers(title="outlets commands")
    listing = sub.add_parser("list", help="an enterprise's outlets")
    listing.add_argument("--enterprise", type=int, required=True, help="enterprise id")
    _page_options(listing)
    listing.set_defaults(run=_runner("outlets", context, _list_outlets))
    create = sub.add_parser("create", help="a new outlet of an enterprise")
    create.add_argument("--enterprise", dest="enterprise_id", type=int, required=True, help="enterprise id")
    _outlet_options(create, creating=True)
    create.set_defaults(run=_runner("outlets", context, _create_outlet))
    update = sub.add_parser("update", help="change an outlet's name, city, address or position")
    update.add_argument("id", type=int, help="outlet id")
    _outlet_options(update, creating=False)
    update.set_defaults(run=_runner("outlets", context, _update_outlet))


def _campaign_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("--title-zh", dest="title_zh", required=creating, help="title in Chinese")
    parser.add_argument("--title-en", dest="title_en", required=creating, help="title in English")
    if creating:
        parser.add_argument("--industry", dest="industries", action="append", required=True,
                            help="an industry code it covers (repeat for several)")
    parser.add_argument("--opens-on", dest="opens_on", required=creating, metavar="YYYY-MM-DD")
    parser.add_argument("--closes-on", dest="closes_on", required=creating, metavar="YYYY-MM-DD")
    parser.add_argument("--status", choices=("draft", "open", "closed"))
    links = parser.add_mutually_exclusive_group()
    links.add_argument("--invitations-only", dest="open_links", action="store_false", default=None,
                       help="take responses only through invitations")
    links.add_argument("--open-links", dest="open_links", action="store_true",
                       help="also take responses without an invitation (the default of a new campaign)")
    if creating:
        parser.add_argument("--demo", dest="is_demo", action="store_true", default=None,
                            help="a demo campaign (its release is marked demo)")


def _outlet_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("--name", required=creating)
    parser.add_argument("--city", required=creating, help="city code (GB/T 2260)")
    parser.add_argument("--address", required=creating)
    parser.add_argument("--latitude", type=float, help="WGS-84 degrees (with --longitude)")
    parser.add_argument("--longitude", type=float, help="WGS-84 degrees (with --latitude)")


def _page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offset", type=int, default=0, help="skip this many (default 0)")
    parser.add_argument("--limit", type=int, default=200, help=f"at most this many (default 200, at most {MAX_LIST})")


def _runner(noun: str, context: Callable[[], Any], command: Callable[..., int]) -> Callable[[argparse.Namespace], int]:
    def work(args: argparse.Namespace) -> int:
        try:
            return command(args, context()[0])
        except InvalidInput as exc:  # the store names schema fields: say them as the options that set them
            raise InvalidInput([FieldError(field=_option(e.field.split("[", 1)[0]), reason=e.reason)
                                for e in exc.errors]) from None

    return lambda args: reported(f"survey {noun}", lambda: work(args))


def _read(args: argparse.Namespace, schema: type[T], **extra: Any) -> T:
    """The schema from the options given (an option left out keeps its default, or the current value)."""
    fields = schema.__struct_fields__  # type: ignore[attr-defined]
    values = {name: getattr(args, name) for name in fields if getattr(args, name, None) is not None} | extra
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        reason, _, path = str(exc).partition(" - at ")
        field = path.strip("`").removeprefix("$.").split("[", 1)[0].split(".", 1)[0]
        raise InvalidInput([FieldError(field=_option(field), reason=reason)]) from None


def _option(field: str) -> str:
    """The option that sets a schema field (`opens_on` is `--opens-on`); one already an option stays as it is."""
    if field.startswith("-") or field in POSITIONAL.values():
        return field
    return {"industries": "--industry", "enterprise_id": "--enterprise"}.get(field) or POSITIONAL.get(field) or (
        "--" + field.replace("_", "-") if field else "input")


def _page(args: argparse.Namespace) -> tuple[int, int]:
    errors = []
    if not 0 <= args.offset <= 10_000_000:
        errors.append(FieldError(field="--offset", reason="must be 0 or more"))
    if not 1 <= args.limit <= MAX_LIST:
        errors.append(FieldError(field="--limit", reason=f"must be 1-{MAX_LIST}"))
    if errors:
        raise InvalidInput(errors)
    return args.offset, args.limit


def _show_campaign(campaign: Campaign) -> str:
    links = "open links" if campaign.open_links else "invitations only"
    demo = " demo" if campaign.is_demo else ""
    return (f"{campaign.id:>4}  {campaign.code:<16} {campaign.status:<6} {campaign.opens_on} - {campaign.closes_on}  "
            f"{links}{demo}  {','.join(campaign.industries)}  {campaign.title_zh} / {campaign.title_en}")


def _show_enterprise(enterprise: Enterprise) -> str:
    return f"{enterprise.id:>6}  {enterprise.uscc}  {enterprise.industry:<24} {enterprise.city}  {enterprise.name}"


def _show_outlet(outlet: Outlet) -> str:
    place = "" if outlet.latitude is None else f"  ({outlet.latitude:.5f}, {outlet.longitude:.5f})"
    return f"{outlet.id:>6}  enterprise {outlet.enterprise_id:<6} {outlet.city}  {outlet.name}  {outlet.address}{place}"


def _list_campaigns(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import list_campaigns

    campaigns, _ = list_campaigns(db, 0, MAX_LIST)
    for campaign in campaigns:
        print(_show_campaign(campaign))
    return 0


def _create_campaign(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import create_campaign

    campaign = create_campaign(db, _read(args, CampaignCreate))
    print(f"created campaign {campaign.id}:\n{_show_campaign(campaign)}")
    return 0


def _update_campaign(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import find_campaign, update_campaign

    found = find_campaign(db, args.code)
    if found is None:
        raise NotFound(f"campaign {args.code!r}")
    campaign = update_campaign(db, found.id, _read(args, CampaignUpdate))
    print(f"updated campaign {campaign.id}:\n{_show_campaign(campaign)}")
    return 0


def _list_enterprises(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import list_enterprises

    offset, limit = _page(args)
    enterprises, total = list_enterprises(db, offset, limit, industry=args.industry, city=args.city)
    for enterprise in enterprises:
        print(_show_enterprise(enterprise))
    print(f"{len(enterprises)} of {total} enterprises", file=sys.stderr)
    return 0


def _create_enterprise(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import create_enterprise

    enterprise = create_enterprise(db, _read(args, EnterpriseCreate))
    print(f"created enterprise {enterprise.id}:\n{_show_enterprise(enterprise)}")
    return 0


def _update_enterprise(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import update_enterprise

    enterprise = update_enterprise(db, args.id, _read(args, EnterpriseUpdate))
    print(f"updated enterprise {enterprise.id}:\n{_show_enterprise(enterprise)}")
    return 0


def _list_outlets(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import get_enterprise, list_outlets

    offset, limit = _page(args)
    get_enterprise(db, args.enterprise)  # an unknown enterprise is "not found", not an empty list
    outlets, total = list_outlets(db, offset, limit, enterprise_id=args.enterprise)
    for outlet in outlets:
        print(_show_outlet(outlet))
    print(f"{len(outlets)} of {total} outlets", file=sys.stderr)
    return 0


def _create_outlet(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import create_outlet

    outlet = create_outlet(db, _read(args, OutletCreate))
    print(f"created outlet {outlet.id}:\n{_show_outlet(outlet)}")
    return 0


def _update_outlet(args: argparse.Namespace, db: Any) -> int:
    from survey.store.registry import update_outlet

    outlet = update_outlet(db, args.id, _read(args, OutletUpdate))
    print(f"updated outlet {outlet.id}:\n{_show_outlet(outlet)}")
    return 0
