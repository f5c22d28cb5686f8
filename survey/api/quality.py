"""Quality flags (admin): the batch pass, the review list and an override with its reason."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK
from msgspec import Struct

from survey.api.context import AppContext, admin_only
from survey.api.registry import Limit, Offset, Page
from survey.quality.flags import FlagOverride, QualityCheck, ResponseFlag
from survey.quality.rules import RuleName
from survey.registry import CampaignCode
from survey.releases.pipeline import every_version
from survey.store import quality as store

Campaign = Annotated[str, QueryParameter(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


class CheckRequest(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    campaign: CampaignCode


class QualityController(Controller):
    path = "/api/quality"
    tags = ["quality"]
    guards = [admin_only]

    @post("/check", status_code=HTTP_200_OK, request_max_body_size=1024, sync_to_thread=True)
    def check(self, context: AppContext, data: JSONBody[CheckRequest]) -> QualityCheck:
        """Run every quality rule over the campaign's responses; new flags are added, none removed."""
        return store.check_campaign(context.db, data.campaign, every_version(context.catalogue))

    @get("/flags", sync_to_thread=True)
    def flags(
        self,
        context: AppContext,
        campaign: Campaign,
        rule: Annotated[RuleName | None, QueryParameter()] = None,
        standing: Annotated[bool | None, QueryParameter()] = None,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> Page[ResponseFlag]:
        """The campaign's flags for review; `standing=true` lists those that exclude their response from scoring."""
        items, total = store.list_flags(context.db, campaign, rule=rule, standing=standing, offset=offset, limit=limit)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/flags/{response_id:uuid}", sync_to_thread=True)
    def of_response(self, context: AppContext, response_id: FromPath[uuid.UUID]) -> list[ResponseFlag]:
        return store.flags_of(context.db, str(response_id))

    @post("/flags/{response_id:uuid}/{rule:str}/override", status_code=HTTP_200_OK, request_max_body_size=2048,
          sync_to_thread=True)
    def override(
        self,
        context: AppContext,
        response_id: FromPath[uuid.UUID],
        rule: Annotated[str, PathParameter(max_length=40)],
        data: JSONBody[FlagOverride],
    ) -> ResponseFlag:
        """Decide that a flag does not hold, with a reason: it stays stored and no longer excludes the response."""
        return store.override_flag(context.db, str(response_id), rule, data.reason)
