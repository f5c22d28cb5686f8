"""The baseline routes of bench/ingest.py, and its view of a worker's group writer: compiled in only with
SURVEY_BENCH_NOOP=1, never in service."""

from __future__ import annotations

import os

from litestar import Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from survey.api.context import AppContext
from survey.api.origin import request_origin
from survey.api.responses import SUBMIT_BODY_LIMIT, instrument_for, submit_limit
from survey.responses import Response, ResponseSubmit
from survey.store.responses import checked_response


@post("/bench/noop", request_max_body_size=SUBMIT_BODY_LIMIT, status_code=HTTP_201_CREATED, include_in_schema=False)
async def noop(request: Request) -> dict[str, bool]:
    """Reads the body and answers, as the submission route does, but stores nothing: the cost of the HTTP path."""
    await request.body()
    return {"ok": True}


@post("/bench/checks", request_max_body_size=SUBMIT_BODY_LIMIT, status_code=HTTP_201_CREATED, include_in_schema=False)
async def checks(context: AppContext, request: Request, data: JSONBody[ResponseSubmit]) -> Response:
    """The submission route without the database: the same body, origin, rate-limit key and checks, answered with
    the response as it would be stored. What a submission costs before the group write (the ceiling of ingestion)."""
    origin = request_origin(request, context.settings.secret_key)
    return checked_response(instrument_for(context, data.instrument, data.version), data,
                            cities=context.regions.codes(), origin=origin, limit=submit_limit(context, origin))


@get("/bench/writer", include_in_schema=False)
async def writer(context: AppContext) -> dict[str, float]:
    """The group writer of the worker that answers (survey.store.writer.WriterStats) and the worker's process id:
    bench/ingest.py asks on new connections until every worker answered, before and after each measured slice."""
    return {"pid": os.getpid(), **context.db.writer_stats._asdict()}
