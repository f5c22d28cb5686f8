"""Invitations: an administrator issues batches (the tokens are shown once); anyone may ask what a token opens."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from survey.api.context import AppContext, admin_only
from survey.api.registry import MAX_PAGE, Limit, Offset
from survey.invitations.spec import Invitation, InvitationBatch, InvitationIssue, IssuedBatch
from survey.store import invitations as store

Campaign = Annotated[str, QueryParameter(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
TokenPath = Annotated[str, PathParameter(max_length=100)]  # any other string is simply not found


class InvitationController(Controller):
    path = "/api/invitations"
    tags = ["invitations"]

    @post("/", guards=[admin_only], status_code=HTTP_201_CREATED, request_max_body_size=2048, sync_to_thread=True)
    def issue(self, context: AppContext, request: Request, data: JSONBody[InvitationIssue]) -> IssuedBatch:
        """A batch of single-use invitations and their links (/i/{token}); the tokens are not shown again."""
        return store.issue_invitations(context.db, data, base_url=str(request.base_url))

    @get("/", guards=[admin_only], sync_to_thread=True)
    def batches(self, context: AppContext, campaign: Campaign, offset: Offset = 0, limit: Limit = MAX_PAGE
                ) -> list[InvitationBatch]:
        """The campaign's batches with how many of their invitations were used (a page of at most 200)."""
        return store.list_batches(context.db, campaign, offset, limit)

    @get("/{token:str}", sync_to_thread=True)
    def read(self, context: AppContext, token: TokenPath) -> Invitation:
        """What a token opens (campaign, enterprise, outlet) and whether it was used; 404 for a token never issued."""
        return store.find_invitation(context.db, token)
