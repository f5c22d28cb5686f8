"""Exports for administrators: a campaign's responses (csv, xlsx, sav, parquet) or their codebook, streamed."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream

from survey.api.context import AppContext, admin_only
from survey.errors import FieldError, InvalidInput
from survey.exports.formats import FORMATS, FormatName, file_name, write_export
from survey.exports.selection import ExportFilter, Flags
from survey.exports.stream import stream
from survey.exports.xlsx import check_rows
from survey.registry import CampaignCode
from survey.store.exports import plan_export, planned_chunks, planned_count

FIELDS = {"industries": "industry", "cities": "city", "enterprises": "enterprise"}


class ExportController(Controller):
    path = "/api/campaigns/{code:str}/export"
    tags = ["exports"]
    guards = [admin_only]

    @get("/", sync_to_thread=True)
    def export(
        self,
        context: AppContext,
        code: Annotated[CampaignCode, PathParameter()],
        format: Annotated[FormatName, QueryParameter()],  # noqa: A002 - the query parameter's name
        industry: Annotated[list[str] | None, QueryParameter(max_items=10)] = None,
        city: Annotated[list[str] | None, QueryParameter(max_items=100)] = None,
        enterprise: Annotated[list[int] | None, QueryParameter(max_items=1000)] = None,
        flags: Annotated[Flags, QueryParameter()] = "all",
        labels: Annotated[Literal["zh", "en"], QueryParameter()] = "zh",
    ) -> Stream:
        """The export as a download; filters repeat (`industry=a&industry=b`); `labels` is the .sav label language."""
        # an empty value is no filter: what a plain form sends for "all" (the admin exports page)
        selection = _selection([i for i in industry or [] if i], [c for c in city or [] if c], enterprise or [], flags)
        plan = plan_export(context.db, context.catalogue, code, selection, context.regions, context.industries)
        if format == "xlsx":
            check_rows(planned_count(context.db, plan))
        chunks = partial(planned_chunks, context.db, plan) if FORMATS[format].rows else partial(iter, ())
        write = partial(_write, format, plan.codebook, chunks, labels)
        return Stream(stream(write), media_type=FORMATS[format].media_type, headers={
            "Content-Disposition": f'attachment; filename="{file_name(plan.campaign.code, format)}"',
        })


def _write(format: FormatName, codebook, chunks, labels, sink) -> None:  # noqa: A002, ANN001
    write_export(format, codebook, chunks(), sink, labels=labels)


def _selection(industry: list[str], city: list[str], enterprise: list[int], flags: str) -> ExportFilter:
    try:
        return msgspec.convert({"industries": industry, "cities": city, "enterprises": enterprise, "flags": flags},
                               ExportFilter)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = next((name for key, name in FIELDS.items() if f"$.{key}" in message), "query")
        raise InvalidInput([FieldError(field=field, reason=message.split(" - at ")[0])]) from None
