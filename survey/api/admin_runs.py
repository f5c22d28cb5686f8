"""Administrators' pages for scoring runs and releases: build a run for a campaign, read its summary (responses
received and included, the release id it will have), publish it, and list the releases with their verification."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import URLEncodedBody

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
from survey.api.forms import Errors, field_errors, read_form
from survey.api.params import RowId as Id
from survey.api.releases import BuildRequest
from survey.errors import Conflict, InvalidInput
from survey.releases.manifest import verify
from survey.releases.pipeline import build_release, publish_release
from survey.releases.runs import get_run, list_runs
from survey.scoring.spec import ScoringError
from survey.store import releases as release_store

DEFAULTS = {"resamples": 1000, "seed": 20151, "min_n": 30, "max_ci_width": 10.0}


class RunPages(Controller):
    path = "/admin/runs"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request, context: AppContext, lang: Lang = None, campaign: CampaignCode = None,
              offset: Offset = 0) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return self._index(request, caller, context, lang, campaign, offset, DEFAULTS, {})

    @post("/", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def build(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        """Score the campaign's responses into a run (this takes a while), then show the run to publish."""
        caller, locale = form_caller(request, data), form_locale(data)
        code = data.get("campaign", "")
        wanted, errors = read_form(data, BuildRequest, locale)
        if wanted is not None:
            try:
                built = build_release(
                    context.db, context.catalogue, code, resamples=wanted.resamples, seed=wanted.seed,
                    min_n=wanted.min_n, max_ci_width=wanted.max_ci_width, corrects=wanted.corrects,
                    reason=wanted.reason,
                )
                return back_to(f"/admin/runs/{built.run_id}", locale, "built")
            except InvalidInput as exc:
                errors = field_errors(exc.errors, locale)
            except (Conflict, ScoringError) as exc:
                errors = {"form": str(exc)}
        return self._index(request, caller, context, locale, code or None, 0, data, errors, status=422)

    @get("/{run_id:int}", sync_to_thread=True)
    def run(self, request: Request, context: AppContext, run_id: Id, lang: Lang = None, done: Done = None) -> Response:
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        return self._run(request, caller, context, lang, run_id, done=done)

    @post("/{run_id:int}/publish", guards=[admin_form], request_max_body_size=FORM_LIMIT, sync_to_thread=True)
    def publish(self, request: Request, context: AppContext, run_id: Id, data: URLEncodedBody[dict[str, str]]
                ) -> Response:
        caller, locale = form_caller(request, data), form_locale(data)
        try:
            publish_release(context.db, run_id)
        except Conflict as exc:
            return self._run(request, caller, context, locale, run_id, error=str(exc), status=409)
        return back_to(f"/admin/runs/{run_id}", locale, "published")

    def _index(self, request: Request, caller: Any, context: AppContext, lang: str | None, code: str | None,
               offset: int, values: Any, errors: Errors, *, status: int = 200) -> Response:
        every, campaign = chosen(context, code)
        runs = list_runs(context.db, campaign.code, offset, PAGE) if campaign else []
        total = release_store.count_runs(context.db, campaign.code) if campaign else 0
        form = {"id": "build", "values": dict(values), "errors": errors}
        here = ("/admin/runs", {"campaign": campaign.code if campaign else None})
        return render(request, caller, lang, "runs.html", status=status, here=here, campaigns=every, campaign=campaign,
                      runs=runs, total=total, offset=offset, page=PAGE, form=form)

    def _run(self, request: Request, caller: Any, context: AppContext, lang: str | None, run_id: int, *,
             error: str = "", status: int = 200, done: str | None = None) -> Response:
        summary, headline = get_run(context.db, run_id)
        return render(request, caller, lang, "run.html", status=status, here=(f"/admin/runs/{run_id}", {}), run=summary,
                      headline=headline, error=error, done=done)


class ReleasePagesAdmin(Controller):
    path = "/admin/releases"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request, context: AppContext, lang: Lang = None, offset: Offset = 0) -> Response:
        """Every release, newest first, each checked against its manifest and id (the stored bytes, no rebuild)."""
        caller = admin_caller(request)
        if isinstance(caller, Response):
            return caller
        found = release_store.list_releases(context.db, offset, PAGE)
        rows = [(release, verify(release.id, release.manifest, release.files)) for release in found]
        more = bool(release_store.list_releases(context.db, offset + PAGE, 1))
        return render(request, caller, lang, "releases.html", rows=rows, offset=offset, page=PAGE, more=more)
