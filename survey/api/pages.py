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
from survey.api.origin import device_id, request_origin, with_device
from survey.api.responses import submit_limit
from survey.errors import Conflict, FieldError, InvalidInput, InvitationUsed, NotFound, QuotaFull
from survey.instruments.check import drop_irrelevant, read_form
from survey.instruments.render import render_catalogue, render_form, render_thanks
from survey.instruments.spec import Instrument
from survey.responses import ResponseSubmit
from survey.store import invitations as invitation_store
from survey.store import registry as registry_store
from survey.store.quotas import quota_full
from survey.store.responses import get_response, submit_response

FORM_BODY_LIMIT = 32 * 1024
Lang = Annotated[str | None, QueryParameter(pattern=r"^(zh|en)$")]
HIDDEN = ("campaign", "enterprise", "outlet", "invitation", "response_id", "started_at", "lang")
SAY = {  # what a respondent reads when no form is shown: (中文, English)
    "invitation_only": ("本次调查仅限受邀顾客参加，请使用您收到的邀请链接或二维码。",
                        "This survey is by invitation only: please use the link or QR code you received."),
    "quota_full": ("感谢您的关注！这里的调查名额已满，您无需再作答。",
                   "Thank you! We already have all the answers we need here, so there is no need to answer."),
    "used": ("此邀请已经使用过：每个邀请只能提交一份问卷。感谢您的参与！",
             "This invitation has been used already: each invitation accepts one response. Thank you for taking part!"),
    "unknown": ("此链接无效，请检查您收到的链接。", "This link is not valid; please check the link you received."),
    "closed": ("本次调查目前不接受作答。", "This survey is not taking answers at the moment."),
}
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


def _say(locale: str, key: str) -> str:
    return SAY[key][1 if locale == "en" else 0]


def _thanks_title(locale: str) -> str:
    return "Thank you" if locale == "en" else "感谢您"


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
            context.catalogue.all(), locale=locale, link=lambda code: _url(f"/s/{code}", lang=lang),
            switch_url=_url("/", lang="zh" if locale == "en" else "en"),
        )
        return _html(html)

    @get("/s/{industry:str}", sync_to_thread=True)
    def form(
        self,
        context: AppContext,
        request: Request,
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
        found = registry_store.find_campaign(context.db, campaign)
        if found is not None and not found.open_links:
            return _notice(locale, title, [_say(locale, "invitation_only")], switch, status=403)
        if quota_full(context.db, campaign, instrument.industry, enterprise) is not None:
            return _notice(locale, _thanks_title(locale), [_say(locale, "quota_full")], switch)
        return self._form(context, request, instrument, locale, campaign, enterprise, outlet, None, switch)

    @get("/i/{token:str}", sync_to_thread=True)
    def invitation(self, context: AppContext, request: Request, token: FromPath[str], lang: Lang = None) -> Response:
        """An invitation link: the questionnaire of its enterprise (and outlet), which the respondent cannot change."""
        locale = _locale(context, lang)
        switch = _url(f"/i/{token}", lang="zh" if locale == "en" else "en")
        try:
            invitation = invitation_store.find_invitation(context.db, token) if len(token) <= 100 else None
        except NotFound:
            invitation = None
        if invitation is None:
            return _notice(locale, _say(locale, "unknown"), [], switch, status=404)
        instrument = _instrument(context, invitation.industry)
        title = instrument.title.get(locale)
        if invitation.used:
            return _notice(locale, _thanks_title(locale), [_say(locale, "used")], switch, status=410)
        found = registry_store.find_campaign(context.db, invitation.campaign)
        if found is None or not found.accepts_on(dt.datetime.now(dt.UTC).date()):
            return _notice(locale, title, [_say(locale, "closed")], switch)
        return self._form(context, request, instrument, locale, invitation.campaign, invitation.enterprise,
                          invitation.outlet, token, switch)

    def _form(self, context, request, instrument, locale, campaign, enterprise, outlet, token, switch) -> Response:
        hidden = {
            "campaign": campaign,
            "enterprise": str(enterprise),
            "outlet": "" if outlet is None else str(outlet),
            "invitation": token or "",
            "response_id": str(uuid.uuid4()),
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "lang": locale,
        }
        device, new = device_id(request)
        return with_device(_html(self._render(context, instrument, locale, hidden, {}, [], switch)), request, device, new)

    @post("/s/{industry:str}", request_max_body_size=FORM_BODY_LIMIT, sync_to_thread=True)
    def submit(
        self,
        context: AppContext,
        request: Request,
        industry: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        instrument = _instrument(context, industry)
        locale = "en" if data.get("lang") == "en" else "zh"
        hidden = {key: data.get(key, "") for key in HIDDEN}
        answers = drop_irrelevant(instrument, read_form(instrument, data))
        switch = _url(f"/s/{industry}", lang="zh" if locale == "en" else "en",
                      campaign=hidden["campaign"], enterprise=hidden["enterprise"], outlet=hidden["outlet"])
        if hidden["invitation"]:
            switch = _url(f"/i/{hidden['invitation']}", lang="zh" if locale == "en" else "en")
        try:
            submit = msgspec.convert(
                {
                    "id": hidden["response_id"],
                    "instrument": instrument.code,
                    "version": instrument.version,
                    "campaign": hidden["campaign"],
                    "enterprise": int(hidden["enterprise"]) if hidden["enterprise"].isdigit() else 0,
                    "outlet": int(hidden["outlet"]) if hidden["outlet"].isdigit() else None,
                    "invitation": hidden["invitation"] or None,
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
            origin = request_origin(request, context.settings.secret_key)
            stored, _ = submit_response(context.db, instrument, submit, cities=context.regions.codes(), channel="web",
                                        origin=origin, limit=submit_limit(context, origin))
        except InvalidInput as exc:
            errors = [e for e in exc.errors if e.field != "city" or "city" in answers]  # a missing city answer says it already
            return _html(self._render(context, instrument, locale, hidden, answers, errors, switch), 422)
        except InvitationUsed:
            return _notice(locale, _thanks_title(locale), [_say(locale, "used")], switch, status=409)
        except QuotaFull:
            return _notice(locale, _thanks_title(locale), [_say(locale, "quota_full")], switch, status=409)
        except Conflict:
            # This form (its response_id) was submitted before, e.g. a double tap: the first submission stands.
            stored = get_response(context.db, submit.id)
        return Redirect(_url(f"/s/{industry}/thanks/{stored.id}", lang=locale), status_code=303)

    @get("/s/{industry:str}/thanks/{response_id:uuid}", sync_to_thread=True)
    def thanks(self, context: AppContext, industry: FromPath[str], response_id: FromPath[uuid.UUID], lang: Lang = None) -> Response:
        stored = get_response(context.db, response_id)  # 404 unless the response is stored
        instrument = _instrument(context, stored.instrument)
        locale = _locale(context, lang)
        switch = _url(f"/s/{industry}/thanks/{stored.id}", lang="zh" if locale == "en" else "en")
        return _html(render_thanks(instrument, locale=locale, response_id=str(stored.id), switch_url=switch))

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
