"""Releases: the public pages and open data (HTML, CSV, JSON, manifest), and the administrator's build and publish."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from survey.api.context import AppContext, admin_only
from survey.api.params import RowId
from survey.api.registry import MAX_PAGE, Limit, Offset
from survey.errors import NotFound
from survey.releases.downloads import table_csv, table_json, table_names
from survey.releases.manifest import Manifest, tables_from_files
from survey.releases.pipeline import build_release, publish_release, verify_release
from survey.releases.render import render_release, render_release_list
from survey.releases.tables import ReleaseEntry, ReleaseTables
from survey.store import releases as store
from survey.store.releases import StoredRelease

Lang = Annotated[str | None, QueryParameter(pattern=r"^(zh|en)$")]
ReleaseId = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$", description="the release id (manifest sha256)")]
Count = Annotated[float, msgspec.Meta(gt=0)]
Key = Annotated[str, msgspec.Meta(max_length=40)]
# industry -> variable -> category -> population count
Margins = Annotated[dict[Key, Annotated[dict[Key, Annotated[dict[Key, Count], msgspec.Meta(max_length=1000)]],
                                       msgspec.Meta(max_length=10)]], msgspec.Meta(max_length=20)]
BUILD_BODY_LIMIT = 256 * 1024


class ReleaseDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    published_at: str
    supersedes: str | None
    superseded_by: str | None
    manifest: Manifest
    tables: ReleaseTables


class BuildRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    resamples: Annotated[int, msgspec.Meta(ge=100, le=100_000)] = 1000
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)] = 20151
    min_n: Annotated[int, msgspec.Meta(ge=2, le=100_000)] = 30
    max_ci_width: Annotated[float, msgspec.Meta(gt=0, le=100)] = 10.0
    series: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]{1,40}$")] | None = None
    margins: Margins | None = None
    corrects: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{8,64}$")] | None = None
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=400)] | None = None


class Built(msgspec.Struct, frozen=True, kw_only=True):
    run_id: int
    release_id: str
    received: int
    included: int


class Published(msgspec.Struct, frozen=True, kw_only=True):
    release_id: str
    url: str


def _page_cache(context: AppContext) -> dict:
    return context.cache.setdefault("release_pages", {})


def _release(context: AppContext, release_id: str) -> tuple[StoredRelease, ReleaseTables]:
    """A release and its tables; decoded once per process (a published release never changes)."""
    cache = _page_cache(context)
    found = store.get_release(context.db, release_id)  # read each time: superseded_by can appear later
    if release_id not in cache:
        cache[release_id] = tables_from_files(found.files)
    return found, cache[release_id]


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(found: StoredRelease, tables: ReleaseTables) -> ReleaseEntry:
    programme = next((c for c in tables.cells if c.level == "programme"), None)
    return ReleaseEntry(
        id=found.id, campaign=found.campaign, title_zh=tables.campaign_title_zh, title_en=tables.campaign_title_en,
        published_at=_stamp(found.published_at), status="superseded" if found.superseded_by else "current",
        is_demo=tables.is_demo, programme_index=programme.index if programme else None,
        ci_low=programme.ci_low if programme else None, ci_high=programme.ci_high if programme else None,
    )


def _link(lang: str | None):  # noqa: ANN202
    suffix = f"?lang={lang}" if lang else ""
    return lambda release_id: f"/releases/{release_id}{suffix}"


class ReleasePages(Controller):
    path = "/releases"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, context: AppContext, lang: Lang = None) -> Response:
        locale = lang or context.settings.default_locale
        entries = [_entry(found, _release(context, found.id)[1]) for found in store.list_releases(context.db)]
        html = render_release_list(entries, locale=locale, link=_link(lang),
                                   switch_url=f"/releases?lang={'zh' if locale == 'en' else 'en'}")
        return Response(html, media_type=MediaType.HTML)

    @get("/{release_id:str}", sync_to_thread=True)
    def page(self, context: AppContext, release_id: FromPath[ReleaseId], lang: Lang = None) -> Response:
        locale = lang or context.settings.default_locale
        found, tables = _release(context, release_id)
        manifest = msgspec.json.decode(found.manifest, type=Manifest)
        base = f"/releases/{release_id}"
        downloads = {f"{name}.csv": f"{base}/{name}.csv" for name in table_names()}
        downloads.update({f"{name}.json": f"{base}/{name}.json" for name in table_names()})
        downloads["manifest.json"] = f"{base}/manifest.json"
        html = render_release(
            tables, locale=locale, release_id=release_id, published_at=_stamp(found.published_at),
            status="superseded" if found.superseded_by else "current", supersedes=found.supersedes,
            superseded_by=found.superseded_by, correction_reason=manifest.correction_reason,
            previous_id=manifest.previous_release, downloads=downloads, link=_link(lang),
            switch_url=f"{base}?lang={'zh' if locale == 'en' else 'en'}",
        )
        return Response(html, media_type=MediaType.HTML)

    @get("/{release_id:str}/{file:str}", sync_to_thread=True)
    def download(self, context: AppContext, release_id: FromPath[ReleaseId], file: FromPath[str]) -> Response:
        found, tables = _release(context, release_id)
        name, _, kind = file.rpartition(".")
        headers = {"Content-Disposition": f'attachment; filename="release-{release_id[:12]}-{file}"',
                   "Cache-Control": "public, max-age=31536000, immutable"}
        if file == "manifest.json":
            return Response(found.manifest, media_type=MediaType.JSON, headers=headers)
        if kind == "json" and name in found.files:  # the published bytes: their sha256 is the manifest's
            return Response(found.files[name], media_type=MediaType.JSON, headers=headers)
        if name not in table_names() or kind not in ("csv", "json"):
            raise NotFound(f"file {file!r}; the files are manifest.json, release.json and "
                           + ", ".join(f"{n}.csv, {n}.json" for n in table_names()))
        if kind == "csv":
            return Response(table_csv(tables, name), media_type="text/csv", headers=headers)
        return Response(table_json(tables, name), media_type=MediaType.JSON, headers=headers)


class ReleaseController(Controller):
    path = "/api"
    tags = ["releases"]

    @get("/releases", sync_to_thread=True, summary="Every published release, newest first")
    def list_releases(self, context: AppContext, offset: Offset = 0, limit: Limit = MAX_PAGE) -> list[ReleaseEntry]:
        return [_entry(found, _release(context, found.id)[1])
                for found in store.list_releases(context.db, offset, limit)]

    @get("/releases/{release_id:str}", sync_to_thread=True, summary="A release: its manifest and every table")
    def get_release(self, context: AppContext, release_id: FromPath[ReleaseId]) -> ReleaseDetail:
        found, tables = _release(context, release_id)
        return ReleaseDetail(
            id=found.id, status="superseded" if found.superseded_by else "current",
            published_at=_stamp(found.published_at), supersedes=found.supersedes, superseded_by=found.superseded_by,
            manifest=msgspec.json.decode(found.manifest, type=Manifest), tables=tables,
        )

    @get("/releases/{release_id:str}/verify", sync_to_thread=True,
         summary="Check the stored bytes of a release against its manifest and id")
    def verify(self, context: AppContext, release_id: FromPath[ReleaseId]) -> dict[str, Any]:
        store.get_release(context.db, release_id)
        problems = verify_release(context.db, context.catalogue, release_id)
        return {"release_id": release_id, "verified": not problems, "problems": problems}

    @post("/campaigns/{code:str}/runs", guards=[admin_only], sync_to_thread=True, status_code=201,
          request_max_body_size=BUILD_BODY_LIMIT,
          summary="Score a campaign's responses into a run, ready to publish (administrators)")
    def build(self, context: AppContext, code: FromPath[str], data: JSONBody[BuildRequest]) -> Built:
        built = build_release(
            context.db, context.catalogue, code, resamples=data.resamples, seed=data.seed, min_n=data.min_n,
            max_ci_width=data.max_ci_width, series=data.series, margins=data.margins, corrects=data.corrects,
            reason=data.reason,
        )
        snapshot = built.manifest.snapshot
        return Built(run_id=built.run_id, release_id=built.release_id, received=snapshot.received,
                     included=snapshot.included)

    @post("/runs/{run_id:int}/publish", guards=[admin_only], sync_to_thread=True, status_code=201, request_max_body_size=1024,
          summary="Publish a built run (administrators); a published release never changes")
    def publish(self, context: AppContext, run_id: RowId) -> Published:
        release_id = publish_release(context.db, run_id)
        return Published(release_id=release_id, url=f"/releases/{release_id}")

