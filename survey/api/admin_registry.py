"""Administrators' pages for the registry: campaigns (list, create, edit status and dates), enterprises (search by
industry and city, create, edit) and their outlets (create, edit), on the store functions the JSON API uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter, URLEncodedBody

from survey.api.admin import (
    FORM_LIMIT,
    PAGE,
    Done,
    Lang,
    Offset,
    admin_caller,
    admin_form,
    back_to,
    campaigns,
    form_caller,
    form_locale,
    render,
)
from survey.api.context import AppContext
from survey.api.forms import Errors, field_errors, read_form
from survey.api.params import RowId as Id
from survey.errors import Conflict, InvalidInput
from survey.registry import (
    CampaignCreate,
    CampaignUpdate,
    EnterpriseCreate,
    EnterpriseUpdate,
    OutletCreate,
    OutletUpdate,
)
from survey.store import registry as store

Form = URLEncodedBody[dict[str, str]]
TICKED = "industry:"  # a campaign's industries are checkboxes named industry:<code>


def _form(name: str, values: Mapping[str, Any] | None = None, errors: Errors | None = None) -> dict[str, Any]:
    """What a template needs of one form: its id, the values to show and the reason beside each refused field."""
    return {"id": name, "values": {key: "" if value is None else value for key, value in (values or {}).items()},
            "errors": errors or {}}


def _shown(item: Any) -> dict[str, Any]:
    return {field: getattr(item, field) for field in item.__struct_fields__}


def _conflict(exc: Conflict, field: str, locale: str) -> Errors:
    return {field: ("已存在。" if locale != "en" else "Already exists.") + f" ({exc})"}


class CampaignPages(Controller):
    path = "/admin/campaigns"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request, context: AppContext, lang: Lang = None, done: Done = None) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return self._index(request, caller, context, lang, _form("campaign", {"open_links": True}), done=done)

    @post("/", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def create(self, request: Request, context: AppContext, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        ticked = [key.removeprefix(TICKED) for key in data if key.startswith(TICKED)]
        created, errors = read_form(data, CampaignCreate, locale, checkboxes=("open_links", "is_demo"),
                                    lists={"industries": ticked})
        if created is not None:
            try:
                campaign = store.create_campaign(context.db, created)
                return back_to(f"/admin/campaigns/{campaign.id}", locale, "created")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
            except Conflict as exc:
                errors = _conflict(exc, "code", locale)
        values = dict(data) | {"industries": ticked}
        return self._index(request, caller, context, locale, _form("campaign", values, errors), status=422)

    @get("/{campaign_id:int}", sync_to_thread=True)
    def edit(self, request: Request, context: AppContext, campaign_id: Id, lang: Lang = None, done: Done = None
             ) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        campaign = store.get_campaign(context.db, campaign_id)
        return render(request, caller, lang, "campaign.html", campaign=campaign, done=done,
                      form=_form("campaign", _shown(campaign)))

    @post("/{campaign_id:int}", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def update(self, request: Request, context: AppContext, campaign_id: Id, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        campaign = store.get_campaign(context.db, campaign_id)
        changes, errors = read_form(data, CampaignUpdate, locale, checkboxes=("open_links",),
                                    required=("title_zh", "title_en", "opens_on", "closes_on", "status"))
        if changes is not None:
            try:
                store.update_campaign(context.db, campaign_id, changes)
                return back_to(f"/admin/campaigns/{campaign_id}", locale, "saved")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
        return render(request, caller, locale, "campaign.html", status=422, campaign=campaign,
                      form=_form("campaign", dict(data) | {"open_links": "open_links" in data}, errors))

    def _index(self, request: Request, caller: Any, context: AppContext, lang: str | None, form: dict, *,
               status: int = 200, done: str | None = None) -> Response:
        return render(request, caller, lang, "campaigns.html", status=status, campaigns=campaigns(context), form=form,
                      done=done)


class EnterprisePages(Controller):
    path = "/admin/enterprises"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request, context: AppContext, lang: Lang = None, offset: Offset = 0, done: Done = None,
        industry: Annotated[str | None, QueryParameter(max_length=40)] = None,
        city: Annotated[str | None, QueryParameter(max_length=6)] = None,
    ) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return self._index(request, caller, context, lang, _form("enterprise"), industry or None, city or None, offset,
                           done=done)

    @post("/", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def create(self, request: Request, context: AppContext, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        created, errors = read_form(data, EnterpriseCreate, locale)
        if created is not None:
            try:
                enterprise = store.create_enterprise(context.db, created)
                return back_to(f"/admin/enterprises/{enterprise.id}", locale, "created")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
            except Conflict as exc:
                errors = _conflict(exc, "uscc", locale)
        return self._index(request, caller, context, locale, _form("enterprise", data, errors), None, None, 0,
                           status=422)

    @get("/{enterprise_id:int}", sync_to_thread=True)
    def edit(self, request: Request, context: AppContext, enterprise_id: Id, lang: Lang = None, done: Done = None
             ) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        enterprise = store.get_enterprise(context.db, enterprise_id)
        return self._edit(request, caller, context, lang, enterprise_id, _form("enterprise", _shown(enterprise)),
                          _form("outlet"), done=done)

    @post("/{enterprise_id:int}", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def update(self, request: Request, context: AppContext, enterprise_id: Id, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        store.get_enterprise(context.db, enterprise_id)  # 404 before anything else
        changes, errors = read_form(data, EnterpriseUpdate, locale, required=("name", "city"))
        if changes is not None:
            try:
                store.update_enterprise(context.db, enterprise_id, changes)
                return back_to(f"/admin/enterprises/{enterprise_id}", locale, "saved")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
        return self._edit(request, caller, context, locale, enterprise_id, _form("enterprise", data, errors),
                          _form("outlet"), status=422)

    @post("/{enterprise_id:int}/outlets", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def add_outlet(self, request: Request, context: AppContext, enterprise_id: Id, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        enterprise = store.get_enterprise(context.db, enterprise_id)
        created, errors = read_form(dict(data) | {"enterprise_id": str(enterprise_id)}, OutletCreate, locale)
        if created is not None:
            try:
                store.create_outlet(context.db, created)
                return back_to(f"/admin/enterprises/{enterprise_id}", locale, "created")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
        return self._edit(request, caller, context, locale, enterprise_id, _form("enterprise", _shown(enterprise)),
                          _form("outlet", data, errors), status=422, here=(f"/admin/enterprises/{enterprise_id}", {}))

    def _index(self, request: Request, caller: Any, context: AppContext, lang: str | None, form: dict,
               industry: str | None, city: str | None, offset: int, *, status: int = 200, done: str | None = None
               ) -> Response:
        found, total = store.list_enterprises(context.db, offset, PAGE, industry=industry, city=city)
        return render(request, caller, lang, "enterprises.html", status=status, enterprises=found, total=total,
                      offset=offset, page=PAGE, industry=industry, city=city, form=form, done=done)

    def _edit(self, request: Request, caller: Any, context: AppContext, lang: str | None, enterprise_id: int,
              form: dict, outlet_form: dict, *, status: int = 200, done: str | None = None,
              here: tuple[str, dict] | None = None) -> Response:
        enterprise = store.get_enterprise(context.db, enterprise_id)
        outlets, total = store.list_outlets(context.db, 0, 200, enterprise_id=enterprise_id)
        return render(request, caller, lang, "enterprise.html", status=status, here=here, enterprise=enterprise,
                      outlets=outlets, total=total, form=form, outlet_form=outlet_form, done=done)


class OutletPages(Controller):
    path = "/admin/outlets"
    include_in_schema = False

    @get("/{outlet_id:int}", sync_to_thread=True)
    def edit(self, request: Request, context: AppContext, outlet_id: Id, lang: Lang = None, done: Done = None
             ) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        outlet = store.get_outlet(context.db, outlet_id)
        return self._edit(request, caller, context, lang, outlet_id, _form("outlet", _shown(outlet)), done=done)

    @post("/{outlet_id:int}", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def update(self, request: Request, context: AppContext, outlet_id: Id, data: Form) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        store.get_outlet(context.db, outlet_id)
        changes, errors = read_form(data, OutletUpdate, locale, required=("name", "city", "address"))
        if changes is not None:
            try:
                store.update_outlet(context.db, outlet_id, changes)
                return back_to(f"/admin/outlets/{outlet_id}", locale, "saved")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
        return self._edit(request, caller, context, locale, outlet_id, _form("outlet", data, errors), status=422)

    def _edit(self, request: Request, caller: Any, context: AppContext, lang: str | None, outlet_id: int, form: dict,
              *, status: int = 200, done: str | None = None) -> Response:
        outlet = store.get_outlet(context.db, outlet_id)
        enterprise = store.get_enterprise(context.db, outlet.enterprise_id)
        return render(request, caller, lang, "outlet.html", status=status, outlet=outlet, enterprise=enterprise,
                      form=form, done=done)
