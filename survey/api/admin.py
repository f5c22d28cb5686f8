"""The administrators' area under /admin: what its pages share (sign-in, language, layout, forms) and the home and
exports pages. Pages are server-rendered plain forms with the session's CSRF token; no script is needed.

A page answers a caller who is not signed in with a redirect to /login and a signed-in non-administrator with 403;
its forms post with the `requires("admin", csrf_in_form=True)` guard and check the form's CSRF token.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Redirect

from survey.accounts import Caller
from survey.api.auth import caller_of, check_form_csrf, requires
from survey.api.context import AppContext
from survey.errors import NotFound
from survey.exports.formats import FORMATS
from survey.registry import Campaign
from survey.store import registry as registry_store

PAGE = 50
FORM_LIMIT = 8 * 1024  # an admin form is a few hundred bytes
Lang = Annotated[str | None, QueryParameter(pattern=r"^(zh|en)$")]
CampaignCode = Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Done = Annotated[str | None, QueryParameter(pattern=r"^[a-z_]{1,20}$")]  # a word key: what the last form did
admin_form = requires("admin", csrf_in_form=True)
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.api", "templates/admin"), autoescape=True, trim_blocks=True,
    lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)


@cache
def words() -> dict[str, tuple[str, str]]:
    """Every label of the admin pages as (Chinese, English), from templates/admin/words.toml."""
    text = resources.files("survey.api").joinpath("templates", "admin", "words.toml").read_text("utf-8")
    return {key: (pair[0], pair[1]) for key, pair in tomllib.loads(text).items()}


def url(path: str, **query: Any) -> str:
    """A path with the query parameters that have a value."""
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return path + ("?" + urlencode(query, doseq=True) if query else "")


def admin_caller(request: Request) -> Caller | Response:
    """The administrator of a page, or the answer instead: sign in first (303), or not for this account (403)."""
    caller = caller_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if caller is None or caller.via != "session":
        return Redirect(f"/login?next={quote(here)}", status_code=303)
    if caller.role != "admin":
        return render(request, caller, None, "denied.html", status=403)
    return caller


def form_caller(request: Request, form: Mapping[str, str]) -> Caller:
    """The administrator who posted a form (the guard let in only administrators), once its CSRF token matched."""
    check_form_csrf(request, form)
    return request.user


def form_locale(form: Mapping[str, str]) -> str:
    return "en" if form.get("lang") == "en" else "zh"


def render(request: Request, caller: Caller, lang: str | None, template: str, *, status: int = 200,
           here: tuple[str, Mapping[str, Any]] | None = None, **context: Any) -> Response:
    """An admin page in `lang` (the service's default when None), with the switch to the other language: to this
    page, or to `here` (path, query) when it answers a form."""
    app = request.app.state.context
    locale = lang or app.settings.default_locale
    other = "zh" if locale == "en" else "en"
    path, query = here if here and request.method == "POST" else (request.url.path, request.query_params)
    query = {key: value for key, value in query.items() if key not in ("lang", "done")}
    w = {key: pair[1 if locale == "en" else 0] for key, pair in words().items()}
    keep = lang  # links carry the language the page was asked in

    def link(path: str, **more: Any) -> str:
        return url(path, **more, lang=keep)

    page = {
        "w": w, "locale": locale, "lang_attr": "en" if locale == "en" else "zh-CN", "link": link,
        "switch_url": url(path, **query, lang=other), "csrf": caller.csrf or "",
        "display_name": caller.account.display_name, "done": None,
        "city_names": {city.code: city.name(locale) for city in app.regions.cities},
        "industry_names": {industry.code: industry.name(locale) for industry in app.industries.industries},
    }
    html = _templates.get_template(template).render(page | context)
    return Response(html, media_type=MediaType.HTML, status_code=status, headers={"Cache-Control": "no-store"})


def back_to(path: str, locale: str, what: str, **query: Any) -> Redirect:
    """After a form did its work: back to a page that says so."""
    return Redirect(url(path, **query, lang=locale, done=what), status_code=303)


def campaigns(context: AppContext) -> list[Campaign]:
    """Every campaign, newest first (a programme has a few a year)."""
    found, _ = registry_store.list_campaigns(context.db, 0, 1000)
    return sorted(found, key=lambda campaign: campaign.id, reverse=True)


def chosen(context: AppContext, code: str | None, *, strict: bool = True) -> tuple[list[Campaign], Campaign | None]:
    """The campaigns to choose from and the one a per-campaign page shows: the one named (an unknown one is NotFound,
    or the newest when not `strict`), else the newest."""
    every = campaigns(context)
    found = next((campaign for campaign in every if campaign.code == code), None)
    if found is None and code is not None and strict:
        raise NotFound(f"campaign {code!r}")
    return every, found or (every[0] if every else None)


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: Request, context: AppContext, lang: Lang = None) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return render(request, caller, lang, "home.html", campaigns=campaigns(context))

    @get("/exports", sync_to_thread=True)
    def exports(self, request: Request, context: AppContext, lang: Lang = None, campaign: CampaignCode = None
                ) -> Response:
        """Links to the export downloads (GET /api/campaigns/{code}/export), with the filters as a plain GET form."""
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        every, shown = chosen(context, campaign)
        return render(request, caller, lang, "exports.html", campaigns=every, campaign=shown, formats=list(FORMATS))
