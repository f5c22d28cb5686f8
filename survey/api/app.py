"""create_app(settings): the whole service, built from its settings; nothing at import time."""

from __future__ import annotations

import gc
import os
import sys

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig

import survey
from survey.api import accounts, audits, bench, catalogue, errors, fieldwork, pages, registry, releases, responses, signin
from survey.api.admin import AdminPages
from survey.api.admin_invitations import InvitationPages
from survey.api.admin_quality import FlagPages
from survey.api.admin_registry import CampaignPages, EnterprisePages, OutletPages
from survey.api.admin_runs import ReleasePagesAdmin, RunPages
from survey.api.auth import CallerMiddleware
from survey.api.context import Context
from survey.api.exports import ExportController
from survey.api.head import HeadAsGet
from survey.api.invitations import InvitationController
from survey.api.quality import QualityController
from survey.api.quotas import ProgressPage, QuotaController
from survey.api.security import HostCheck, cors_config, security_headers
from survey.instruments.catalogue import load_catalogue
from survey.regions import load_industries, load_regions
from survey.settings import Settings
from survey.store.engine import Database, make_engine
from survey.store.instruments import register_catalogue, register_instruments
from survey.store.schema import current_revision, head_revision, upgrade


def app_from_env() -> Litestar:
    """The app of one worker of `survey serve --workers N` (uvicorn's factory): settings from SURVEY_* variables."""
    return served(create_app(Settings.from_env(os.environ)))


# How long a thread may hold the interpreter lock while another waits for it (Python's default: 5 ms).
SWITCH_INTERVAL_S = 0.02


def served(app: Litestar) -> Litestar:
    """`app` as a served process runs it (`survey serve`). Once started:

    - what it holds for good is frozen out of the garbage collector. The modules, the catalogue, SQLAlchemy's and
      Litestar's structures are hundreds of thousands of objects that a full collection otherwise walks each time:
      130-160 ms with every request of the process waiting, eight times in 40 s of the ingestion benchmark.
    - its threads take turns on the interpreter lock every 20 ms instead of 5. The process's group writer
      (survey.store.writer) works out a group's checks while it holds SQLite's write lock; every 5 ms the event loop
      took the interpreter from it, and with it the time of the other worker's writer, waiting for that lock. In
      bench/ingest.py the lock was then held about a quarter less a write and the ratio rose (the paired runs are in
      the README's ingestion section). The event loop gives the lock up at each socket read and write, so a request
      does not wait the 20 ms for it.

    Not in create_app: a test process builds many apps, a frozen object is never freed, and the interval is the
    process's."""
    app.on_startup.append(_start_served)
    return app


def _start_served() -> None:
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def create_app(settings: Settings, *, migrate: bool | None = None) -> Litestar:
    """The service for `settings`; the embedded database is migrated on start unless `migrate` is False."""
    context = Context(
        settings=settings,
        db=Database(make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)),
        catalogue=load_catalogue(),
        regions=load_regions(),
        industries=load_industries(),
    )
    should_migrate = settings.is_embedded if migrate is None else migrate

    def start() -> None:
        if should_migrate:
            upgrade(context.db.engine)
        elif current_revision(context.db.engine) != head_revision():
            raise RuntimeError("the database schema is not current: run `survey db upgrade` first")
        register_catalogue(context.db, context.catalogue)
        register_instruments(context.db, context.checklists.all_versions())

    def stop() -> None:
        context.db.dispose()

    app = Litestar(
        route_handlers=[
            catalogue.CatalogueController,
            registry.CampaignController,
            registry.EnterpriseController,
            registry.OutletController,
            responses.ResponseController,
            pages.PageController,
            accounts.TokenController,
            accounts.AccountController,
            accounts.OrganisationController,
            signin.SignInPages,
            audits.ChecklistController,
            audits.AssignmentController,
            audits.AuditController,
            audits.PhotoController,
            fieldwork.FieldPages,
            releases.ReleasePages,
            releases.ReleaseController,
            InvitationController,
            QuotaController,
            ProgressPage,
            QualityController,
            ExportController,
            AdminPages, CampaignPages, EnterprisePages, OutletPages, FlagPages, RunPages, ReleasePagesAdmin,
            InvitationPages,
            *([bench.noop, bench.checks, bench.writer] if settings.bench_noop else []),
        ],
        dependencies={"context": Provide(lambda: context, use_cache=True, sync_to_thread=False)},
        exception_handlers=errors.HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
        middleware=[
            DefineMiddleware(HostCheck, hosts=settings.allowed_host_list),
            DefineMiddleware(CallerMiddleware, exclude=["^/schema"]),
        ],
        before_send=[security_headers],
        cors_config=cors_config(settings),
        state=State({"context": context}),
        request_max_body_size=settings.max_body_bytes,
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        openapi_config=OpenAPIConfig(
            title="After-sales service satisfaction survey",
            version=survey.__version__,
            path="/schema",
        ),
        debug=settings.debug,
    )
    app.asgi_handler = HeadAsGet(app.asgi_handler)  # around the router: HEAD is routed like GET
    return app
