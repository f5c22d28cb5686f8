"""Submitting responses: validated against the exact instrument version, acknowledged after commit."""

from __future__ import annotations

import uuid

from litestar import Controller, Request, Response as HttpResponse, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from survey.api.context import AppContext, admin_only
from survey.api.origin import request_origin
from survey.quality.origin import Origin
from survey.responses import Response, ResponseSubmit
from survey.store.limits import RateLimit
from survey.store.responses import get_response, submit_response_async

SUBMIT_BODY_LIMIT = 32 * 1024  # a full questionnaire is about 2 KB of JSON


def submit_limit(context: AppContext, origin: Origin) -> RateLimit:
    """Responses from one client network per minute, counted by every worker together (429 beyond)."""
    return RateLimit(key=f"submit:{origin.network_hash or 'unknown'}", hits=context.settings.submit_rate_per_minute,
                 window_s=60)


def instrument_for(context: AppContext, code: str, version: int):
    try:
        return context.catalogue.get(code, version).instrument
    except LookupError:
        return None


class ResponseController(Controller):
    path = "/api/responses"
    tags = ["responses"]

    @post("/", request_max_body_size=SUBMIT_BODY_LIMIT, status_code=HTTP_201_CREATED)
    async def submit(self, context: AppContext, request: Request, data: JSONBody[ResponseSubmit]) -> HttpResponse[Response]:
        """Store a response (201), or answer with the identical stored one (200); 409 for the same id with other content,
        for an invitation token that another response used, or for an open link whose quota cell is full; 429 with
        Retry-After when the client's network sent more than SURVEY_SUBMIT_RATE_PER_MINUTE this minute."""
        origin = request_origin(request, context.settings.secret_key)
        # a coroutine, not a thread: the checks without the database take microseconds, and the wait for the group's
        # commit (survey.store.writer) leaves the event loop free
        stored, created = await submit_response_async(
            context.db,
            instrument_for(context, data.instrument, data.version),
            data,
            cities=context.regions.codes(),
            channel="api",
            origin=origin,
            limit=submit_limit(context, origin),
        )
        return HttpResponse(stored, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/{response_id:uuid}", guards=[admin_only], sync_to_thread=True)
    def read(self, context: AppContext, response_id: FromPath[uuid.UUID]) -> Response:
        return get_response(context.db, response_id)
