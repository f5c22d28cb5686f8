"""The registry: campaigns, enterprises and outlets. Reading is public; writing needs the admin token."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, QueryParameter
from msgspec import Struct

from survey.api.context import AppContext, admin_only
from survey.api.params import RowId as Id
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
from survey.store import registry as store

T = TypeVar("T")
MAX_PAGE = 200
BODY_LIMIT = 8 * 1024  # a campaign, enterprise or outlet is a few hundred bytes of JSON
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]


class Page(Struct, Generic[T], frozen=True, kw_only=True):
    items: list[T]
    total: int
    offset: int
    limit: int


class CampaignController(Controller):
    path = "/api/campaigns"
    tags = ["registry"]

    @get("/", sync_to_thread=True)
    def list(self, context: AppContext, offset: Offset = 0, limit: Limit = 50) -> Page[Campaign]:
        items, total = store.list_campaigns(context.db, offset, limit)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{campaign_id:int}", sync_to_thread=True)
    def read(self, context: AppContext, campaign_id: Id) -> Campaign:
        return store.get_campaign(context.db, campaign_id)

    @post("/", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def create(self, context: AppContext, data: JSONBody[CampaignCreate]) -> Campaign:
        return store.create_campaign(context.db, data)

    @patch("/{campaign_id:int}", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def update(self, context: AppContext, campaign_id: Id, data: JSONBody[CampaignUpdate]) -> Campaign:
        return store.update_campaign(context.db, campaign_id, data)


class EnterpriseController(Controller):
    path = "/api/enterprises"
    tags = ["registry"]

    @get("/", sync_to_thread=True)
    def list(
        self,
        context: AppContext,
        offset: Offset = 0,
        limit: Limit = 50,
        industry: Annotated[str | None, QueryParameter(max_length=40)] = None,
        city: Annotated[str | None, QueryParameter(max_length=6)] = None,
    ) -> Page[Enterprise]:
        items, total = store.list_enterprises(context.db, offset, limit, industry=industry, city=city)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{enterprise_id:int}", sync_to_thread=True)
    def read(self, context: AppContext, enterprise_id: Id) -> Enterprise:
        return store.get_enterprise(context.db, enterprise_id)

    @post("/", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def create(self, context: AppContext, data: JSONBody[EnterpriseCreate]) -> Enterprise:
        return store.create_enterprise(context.db, data)

    @patch("/{enterprise_id:int}", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def update(self, context: AppContext, enterprise_id: Id, data: JSONBody[EnterpriseUpdate]) -> Enterprise:
        return store.update_enterprise(context.db, enterprise_id, data)


class OutletController(Controller):
    path = "/api/outlets"
    tags = ["registry"]

    @get("/", sync_to_thread=True)
    def list(
        self, context: AppContext, offset: Offset = 0, limit: Limit = 50, enterprise: Annotated[int | None, QueryParameter(ge=1)] = None
    ) -> Page[Outlet]:
        items, total = store.list_outlets(context.db, offset, limit, enterprise_id=enterprise)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{outlet_id:int}", sync_to_thread=True)
    def read(self, context: AppContext, outlet_id: Id) -> Outlet:
        return store.get_outlet(context.db, outlet_id)

    @post("/", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def create(self, context: AppContext, data: JSONBody[OutletCreate]) -> Outlet:
        return store.create_outlet(context.db, data)

    @patch("/{outlet_id:int}", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def update(self, context: AppContext, outlet_id: Id, data: JSONBody[OutletUpdate]) -> Outlet:
        return store.update_outlet(context.db, outlet_id, data)
