"""The respondent's pages: the questionnaire list, the mobile form and the thank-you page (no JavaScript)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from survey.api.context import AppContext, Context
from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.instruments.check import drop_irrelevant, read_form
from survey.instruments.render import render_catalogue, render_form, render_thanks
from survey.instruments.spec import Instrument
from survey.responses import ResponseSubmit
from survey.store import registry as registry_store
from survey.store.responses import get_response, submit_response

FORM_BODY_LIMIT = 32 * 1024
Lang = Annotated[str | None, QueryParameter(pattern=r"^(zh|en)$")]
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.api", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def _html(body: str, status: int = 200) -> Response:
    return Response(body, media_type=MediaType.HTML, status_code=status)


def _locale(context: AppContext, lang: str | None) -> str:
    return lang or context.settings.default_locale


def _url(path: str, **query: Any) -> str:
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return path + ("?" + urlencode(query) if query else "")


def _notice(locale: str, title: str, lines: list[str], switch_url: str, choices=(), status: int = 200) -> Response:
    html = _templates.get_template("notice.html").render(
        locale=locale, title=title, lines=lines, choices=list(choices), switch_url=switch_url
    )
    return _html(html, status)


def _instrument(context: AppContext, industry: str) -> Instrument:
    try:
        return context.catalogue.get(industry).instrument
    except LookupError:
        raise NotFound(f"questionnaire {industry}") from None


def _cities(context: AppContext) -> list[tuple[str, str, str]]:
    return [(city.code, city.zh, city.en) for city in context.regions.cities]


class PageController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self, context: AppContext, lang: Lang = None) -> Response:
        locale = _locale(context, lang)
        html = render_catalogue(
            context.catalogue.all(), locale=locale, link=lambda code: _url(f"/s/{code}", lang=lang)
        )
        return _html(html)

    @get("/s/{industry:str}", sync_to_thread=True)
    def form(
        self,
        context: AppContext,
        industry: FromPath[str],
        lang: Lang = None,
        campaign: Annotated[str | None, QueryParameter(max_length=40)] = None,
        enterprise: Annotated[int | None, QueryParameter(ge=1)] = None,
        outlet: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> Response:
        locale = _locale(context, lang)
        instrument = _instrument(context, industry)
        here = dict(campaign=campaign, enterprise=enterprise, outlet=outlet)
        switch = _url(f"/s/{industry}", lang="zh" if locale == "en" else "en", **here)
        title = instrument.title.get(locale)
        if campaign is None:
            campaigns = [c for c in registry_store.list_campaigns(context.db, 0, 200)[0]
                         if industry in c.industries and c.accepts_on(dt.date.today())]
            if len(campaigns) != 1:
                lines = ["目前没有可参加的测评活动。" if locale != "en" else "There is no open campaign for this questionnaire."]
                choices = [(c.title_en if locale == "en" else c.title_zh, _url(f"/s/{industry}", lang=lang, campaign=c.code))
                           for c in campaigns]
                return _notice(locale, title, lines if not choices else [], switch, choices)
            campaign = campaigns[0].code
        if enterprise is None:
            enterprises, _ = registry_store.list_enterprises(context.db, 0, 200, industry=industry)
            lines = ["请选择为您提供售后服务的企业：" if locale != "en" else "Choose the company that served you:"]
            choices = [(e.name, _url(f"/s/{industry}", lang=lang, campaign=campaign, enterprise=e.id)) for e in enterprises]
            return _notice(locale, title, lines, switch, choices)
        hidden = {
            "campaign": campaign,
            "enterprise": str(enterprise),
            "outlet": "" if outlet is None else str(outlet),
            "response_id": str(uuid.uuid4()),
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "lang": locale,
        }
        return _html(self._render(context, instrument, locale, hidden, {}, [], switch))

    @post("/s/{industry:str}", request_max_body_size=FORM_BODY_LIMIT, sync_to_thread=True)
    def submit(
        self,
        context: AppContext,
        industry: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        instrument = _instrument(context, industry)
        locale = "en" if data.get("lang") == "en" else "zh"
        hidden = {key: data.get(key, "") for key in ("campaign", "enterprise", "outlet", "response_id", "started_at", "lang")}
        answers = drop_irrelevant(instrument, read_form(instrument, data))
        switch = _url(f"/s/{industry}", lang="zh" if locale == "en" else "en",
                      campaign=hidden["campaign"], enterprise=hidden["enterprise"], outlet=hidden["outlet"])
        try:
            submit = msgspec.convert(
                {
                    "id": hidden["response_id"],
                    "instrument": instrument.code,
                    "version": instrument.version,
                    "campaign": hidden["campaign"],
                    "enterprise": int(hidden["enterprise"]) if hidden["enterprise"].isdigit() else 0,
                    "outlet": int(hidden["outlet"]) if hidden["outlet"].isdigit() else None,
                    "city": str(answers.get("city", "000000")),
                    "locale": locale,
                    "answers": answers,
                    "started_at": hidden["started_at"],
                    "submitted_at": dt.datetime.now(dt.UTC).isoformat(),
                },
                ResponseSubmit,
            )
        except msgspec.ValidationError as exc:
            errors = [FieldError(field="form", reason=str(exc))]
            return _html(self._render(context, instrument, locale, hidden, answers, errors, switch), 422)
        try:
            stored, _ = submit_response(context.db, instrument, submit, cities=context.regions.codes(), channel="web")
        except InvalidInput as exc:
            errors = [e for e in exc.errors if e.field != "city" or "city" in answers]  # a missing city answer says it already
            return _html(self._render(context, instrument, locale, hidden, answers, errors, switch), 422)
        except Conflict:
            # This form (its response_id) was submitted before, e.g. a double tap: the first submission stands.
            stored = get_response(context.db, submit.id)
        return Redirect(_url(f"/s/{industry}/thanks/{stored.id}", lang=locale), status_code=303)

    @get("/s/{industry:str}/thanks/{response_id:uuid}", sync_to_thread=True)
    def thanks(self, context: AppContext, industry: FromPath[str], response_id: FromPath[uuid.UUID], lang: Lang = None) -> Response:
        stored = get_response(context.db, response_id)  # 404 unless the response is stored
        instrument = _instrument(context, stored.instrument)
        return _html(render_thanks(instrument, locale=_locale(context, lang), response_id=str(stored.id)))

    def _render(self, context, instrument, locale, hidden, answers, errors, switch) -> str:
        return render_form(
            instrument,
            locale=locale,
            action=f"/s/{instrument.code}",
            hidden=hidden,
            answers=answers,
            errors=errors,
            cities=_cities(context),
            switch_url=switch,
        )
