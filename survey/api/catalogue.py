"""Public reference data: industries, cities and the published questionnaires."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, PathParameter
from msgspec import Struct

from survey.errors import NotFound
from survey.api.context import AppContext, Context
from survey.instruments.spec import Instrument
from survey.regions import Industry, Place


class PublishedInstrument(Struct, frozen=True, kw_only=True):
    code: str
    version: int
    sha256: str
    instrument: Instrument


class InstrumentSummary(Struct, frozen=True, kw_only=True):
    code: str
    industry: str
    version: int
    sha256: str
    title_zh: str
    title_en: str
    items: int


def _published(context: AppContext, code: str, version: int | None) -> PublishedInstrument:
    try:
        entry = context.catalogue.get(code, version)
    except LookupError:
        raise NotFound(f"instrument {code}" + (f" version {version}" if version else "")) from None
    return PublishedInstrument(code=code, version=entry.instrument.version, sha256=entry.sha256, instrument=entry.instrument)


class CatalogueController(Controller):
    path = "/api"
    tags = ["catalogue"]

    @get("/industries", sync_to_thread=False)
    def industries(self, context: AppContext) -> list[Industry]:
        return list(context.industries.industries)

    @get("/cities", sync_to_thread=False)
    def cities(self, context: AppContext) -> list[Place]:
        return list(context.regions.cities)

    @get("/instruments", sync_to_thread=False)
    def instruments(self, context: AppContext) -> list[InstrumentSummary]:
        return [
            InstrumentSummary(
                code=entry.instrument.code,
                industry=entry.instrument.industry,
                version=entry.instrument.version,
                sha256=entry.sha256,
                title_zh=entry.instrument.title.zh,
                title_en=entry.instrument.title.en,
                items=len(entry.instrument.items()),
            )
            for entry in context.catalogue.all()
        ]

    @get("/instruments/{code:str}", sync_to_thread=False)
    def latest(self, context: AppContext, code: FromPath[str]) -> PublishedInstrument:
        return _published(context, code, None)

    @get("/instruments/{code:str}/versions/{version:int}", sync_to_thread=False)
    def version(
        self, context: AppContext, code: FromPath[str], version: Annotated[int, PathParameter(ge=1, le=9999)]
    ) -> PublishedInstrument:
        return _published(context, code, version)
