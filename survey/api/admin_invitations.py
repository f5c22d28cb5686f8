"""Administrators' page for invitations: issue a batch for an enterprise (or one of its outlets) and download it at
once, as a ZIP of the links (CSV) and the printable QR page, or either file alone; a campaign's batches and their use.

The tokens exist only in that download (the server keeps their hashes), so the answer to a successful form is the
file itself; a refused form comes back with the reason beside each field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter, URLEncodedBody

from survey.api.admin import (
    FORM_LIMIT,
    CampaignCode,
    Lang,
    admin_caller,
    admin_form,
    chosen,
    form_caller,
    form_locale,
    render,
)
from survey.api.context import AppContext
from survey.api.forms import Errors, field_errors, read_form, say
from survey.errors import InvalidInput
from survey.invitations.sheet import batch_zip, links_csv, qr_page
from survey.invitations.spec import InvitationIssue, IssuedBatch
from survey.store import invitations as store
from survey.store.registry import find_campaign

Download = Literal["zip", "csv", "html"]
IdQuery = Annotated[int | None, QueryParameter(ge=1)]


def _download(issued: IssuedBatch, kind: str, title: str) -> Response:
    name = f"invitations-{issued.batch.campaign}-batch-{issued.batch.id}"
    if kind == "csv":
        content, media_type, suffix = links_csv(issued).encode(), "text/csv; charset=utf-8", "csv"
    elif kind == "html":
        content, media_type, suffix = qr_page(issued, title=title).encode(), "text/html; charset=utf-8", "html"
    else:
        content, media_type, suffix = batch_zip(issued, title=title), "application/zip", "zip"
    return Response(content, media_type=media_type, status_code=201, headers={
        "Content-Disposition": f'attachment; filename="{name}.{suffix}"', "Cache-Control": "no-store"})


class InvitationPages(Controller):
    path = "/admin/invitations"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request, context: AppContext, lang: Lang = None, campaign: CampaignCode = None,
              enterprise: IdQuery = None, outlet: IdQuery = None) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        values = {"enterprise": enterprise or "", "outlet": outlet or "", "count": 100, "download": "zip"}
        return self._index(request, caller, context, lang, campaign, values, {})

    @post("/", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def issue(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        wanted, errors = read_form(data, InvitationIssue, locale)
        kind = data.get("download", "zip")
        if kind not in ("zip", "csv", "html"):
            wanted, errors = None, errors | {"download": say("choice", locale)}
        if wanted is not None:
            try:
                issued = store.issue_invitations(context.db, wanted, base_url=str(request.base_url))
                campaign = find_campaign(context.db, wanted.campaign)
                return _download(issued, kind, f"{campaign.title_zh} · {campaign.title_en}")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
        return self._index(request, caller, context, locale, data.get("campaign") or None, data, errors, status=422)

    def _index(self, request: Request, caller: Any, context: AppContext, lang: str | None, code: str | None,
               values: Any, errors: Errors, *, status: int = 200) -> Response:
        every, campaign = chosen(context, code, strict=status == 200)  # a refused form may name no campaign
        batches = store.list_batches(context.db, campaign.code) if campaign else []
        form = {"id": "issue", "values": dict(values), "errors": errors}
        here = ("/admin/invitations", {"campaign": campaign.code if campaign else None})
        return render(request, caller, lang, "invitations.html", status=status, here=here, campaigns=every,
                      campaign=campaign, batches=batches, form=form)

