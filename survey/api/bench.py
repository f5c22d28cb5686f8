"""The baseline route of bench/ingest.py: compiled in only with SURVEY_BENCH_NOOP=1, never in service."""

from __future__ import annotations

from litestar import Request, post
from litestar.status_codes import HTTP_201_CREATED

from survey.api.responses import SUBMIT_BODY_LIMIT


@post("/bench/noop", request_max_body_size=SUBMIT_BODY_LIMIT, status_code=HTTP_201_CREATED, include_in_schema=False)
async def noop(request: Request) -> dict[str, bool]:
    """Reads the body and answers, as the submission route does, but stores nothing: the cost of the HTTP path."""
    await request.body()
    return {"ok": True}
