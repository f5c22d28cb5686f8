"""Administrators' page for data-quality flags: a campaign's flags by rule, the batch check, and an override with
its reason (the flag stays stored and no longer excludes its response)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, get_args

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter, URLEncodedBody

from survey.api.admin import (
    FORM_LIMIT,
    PAGE,
    CampaignCode,
    Done,
    Lang,
    Offset,
    admin_caller,
    admin_form,
    back_to,
    chosen,
    form_caller,
    form_locale,
    render,
)
from survey.api.context import AppContext
from survey.api.forms import explain, read_form
from survey.errors import Conflict, NotFound
from survey.quality.flags import FlagOverride
from survey.quality.rules import RuleName
from survey.releases.pipeline import every_version
from survey.store import quality as store

Which = Literal["standing", "overridden", "all"]
RULES = get_args(RuleName)


def _filters(form: dict[str, str]) -> dict[str, Any]:
    """The list a form was posted from, to go back to: campaign, rule, which flags and the page."""
    rule = form.get("rule_shown", "")
    which = form.get("which", "")
    offset = form.get("offset", "0")
    return {"campaign": form.get("campaign", ""), "rule": rule if rule in RULES else None,
            "which": which if which in get_args(Which) else "standing",
            "offset": int(offset) if offset.isdigit() and len(offset) < 9 else 0}


class FlagPages(Controller):
    path = "/admin/flags"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request, context: AppContext, lang: Lang = None, campaign: CampaignCode = None,
        rule: Annotated[RuleName | None, QueryParameter()] = None,
        which: Annotated[Which, QueryParameter()] = "standing",
        offset: Offset = 0, done: Done = None,
    ) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return self._index(request, caller, context, lang, campaign, rule, which, offset, done=done)

    @post("/check", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def check(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        """The batch pass over the campaign's responses: every rule; adds flags, never removes any."""
        form_caller(request, data)
        filters = _filters(data)
        store.check_campaign(context.db, filters["campaign"], every_version(context.catalogue))
        return back_to("/admin/flags", form_locale(data), "checked", campaign=filters["campaign"])

    @post("/override", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def override(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        filters = _filters(data)
        response, rule = data.get("response", ""), data.get("rule", "")
        key = f"{response}/{rule}"
        decided, errors = read_form(data, FlagOverride, locale)
        if decided is not None:
            try:
                store.override_flag(context.db, str(uuid.UUID(response)), rule, decided.reason)
                return back_to("/admin/flags", locale, "overridden", **filters)
            except ValueError:
                errors = {"reason": explain(f"flag {rule} on response {response}: not found", locale)}
            except (NotFound, Conflict) as exc:
                errors = {"reason": explain(str(exc), locale)}
        return self._index(request, caller, context, locale, filters["campaign"] or None, filters["rule"],
                           filters["which"], filters["offset"], status=422,
                           refused={"key": key, "reason": data.get("reason", ""), "error": errors["reason"]})

    def _index(self, request: Request, caller: Any, context: AppContext, lang: str | None, code: str | None,
               rule: str | None, which: str, offset: int, *, status: int = 200, done: str | None = None,
               refused: dict | None = None) -> Response:
        every, campaign = chosen(context, code)
        flags, total, counts = [], 0, []
        if campaign is not None:
            standing = {"standing": True, "overridden": False}.get(which)
            flags, total = store.list_flags(context.db, campaign.code, rule=rule, standing=standing, offset=offset,
                                            limit=PAGE)
            counts = store.rule_counts(context.db, campaign.code)
        here = ("/admin/flags", {"campaign": campaign.code if campaign else None, "rule": rule, "which": which})
        return render(request, caller, lang, "flags.html", status=status, here=here, campaigns=every, campaign=campaign,
                      flags=flags, total=total, counts=counts, rule=rule, which=which, offset=offset, page=PAGE,
                      rules=RULES, done=done, refused=refused or {})
