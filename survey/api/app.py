"""create_app(settings): the whole service, built from its settings; nothing at import time."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

import survey
from survey.api import catalogue, errors, pages, registry, responses
from survey.api.context import Context
from survey.instruments.catalogue import load_catalogue
from survey.regions import load_industries, load_regions
from survey.settings import Settings
from survey.store.engine import Database, make_engine
from survey.store.instruments import register_instruments
from survey.store.schema import current_revision, head_revision, upgrade


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
        catalogue = context.catalogue
        every_version = [
            catalogue.get(entry.instrument.code, version)
            for entry in catalogue.all()
            for version in catalogue.versions(entry.instrument.code)
        ]
        register_instruments(context.db, every_version)

    def stop() -> None:
        context.db.dispose()

    return Litestar(
        route_handlers=[
            catalogue.CatalogueController,
            registry.CampaignController,
            registry.EnterpriseController,
            registry.OutletController,
            responses.ResponseController,
            pages.PageController,
        ],
        dependencies={"context": Provide(lambda: context, use_cache=True, sync_to_thread=False)},
        exception_handlers=errors.HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
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
