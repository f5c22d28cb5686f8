"""Quotas and progress: targets per cell and their live counts (admin), as JSON and as a page for a phone."""

from __future__ import annotations

from typing import Annotated

import jinja2
from litestar import Controller, MediaType, Response, delete, get, put
from litestar.params import JSONBody, QueryParameter

from survey.api.context import AppContext, admin_only
from survey.api.params import RowId
from survey.api.registry import MAX_PAGE, Limit, Offset
from survey.quotas import QuotaProgress, QuotaSet
from survey.store import invitations as invitation_store
from survey.store import quality as quality_store
from survey.store import quotas as store
from survey.store.registry import find_campaign

Campaign = Annotated[str, QueryParameter(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.api", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


class QuotaController(Controller):
    path = "/api/quotas"
    tags = ["quotas"]
    guards = [admin_only]

    @put("/", request_max_body_size=2048, sync_to_thread=True)
    def set(self, context: AppContext, data: JSONBody[QuotaSet]) -> QuotaProgress:
        """Set the target of a cell (industry x city x enterprise; a dimension left out means all)."""
        return store.set_quota(context.db, data)

    @get("/", sync_to_thread=True)
    def progress(self, context: AppContext, campaign: Campaign, offset: Offset = 0, limit: Limit = MAX_PAGE
                 ) -> list[QuotaProgress]:
        """The campaign's quotas (a page of at most 200) with their live counts of valid responses (not test, no
        standing flag)."""
        return store.quota_progress(context.db, campaign)[offset:offset + limit]

    @delete("/{quota_id:int}", sync_to_thread=True)
    def remove(self, context: AppContext, quota_id: RowId) -> None:
        store.delete_quota(context.db, quota_id)


class ProgressPage(Controller):
    path = "/admin/progress"
    include_in_schema = False
    guards = [admin_only]

    @get("/", sync_to_thread=True)
    def page(self, context: AppContext, campaign: Campaign) -> Response:
        """Quotas with their counts, quality flags per rule and invitation batches, on one page (no scripts)."""
        quotas = store.quota_progress(context.db, campaign)  # NotFound (404) for an unknown campaign
        html = _templates.get_template("progress.html").render(
            campaign=find_campaign(context.db, campaign), quotas=quotas, flags=quality_store.rule_counts(context.db, campaign),
            batches=invitation_store.list_batches(context.db, campaign),
        )
        return Response(html, media_type=MediaType.HTML)
