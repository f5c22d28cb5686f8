"""HEAD is answered wherever GET is: the same status and headers, no body; a streamed body is not produced."""

from __future__ import annotations

import itertools

import pytest
from litestar import Litestar, get, post
from litestar.response import Stream
from litestar.testing import TestClient

from survey.api.head import HeadAsGet
from tests.api.test_releases import release_id, wave  # noqa: F401 - fixtures: a published demo release


@pytest.mark.parametrize("path", ["/", "/?lang=en", "/releases", "/s/automobile", "/api/industries", "/login"])
def test_public_pages_answer_head_like_get(client, path):
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_release_downloads_answer_head(client, release_id):  # noqa: F811 - the fixture
    for file in ("manifest.json", "cells.csv", "cells.json"):
        path = f"/releases/{release_id}/{file}"
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200 and head.content == b"", file
        assert head.headers["content-length"] == got.headers["content-length"]  # of the gzip body when compressed
        assert head.headers["content-disposition"] == got.headers["content-disposition"]
    assert client.head(f"/releases/{release_id}").status_code == 200
    assert client.head(f"/releases/{release_id}/nothing.csv").status_code == 404


def test_head_is_refused_where_get_is(client):
    assert client.head("/api/responses").status_code == 405  # POST only
    assert client.head("/admin", follow_redirects=False).status_code == 303  # the page's own answer: sign in


def test_a_streamed_body_stops_at_once():
    made = itertools.count()

    def chunks():
        for _ in range(10_000):
            next(made)
            yield b"x" * 1024

    @get("/stream", sync_to_thread=False)
    def stream() -> Stream:
        return Stream(chunks(), media_type="text/plain")

    @post("/only-post", sync_to_thread=False)
    def only_post() -> None:
        return None

    app = Litestar([stream, only_post])
    app.asgi_handler = HeadAsGet(app.asgi_handler)
    with TestClient(app) as client:
        head = client.head("/stream")
        assert head.status_code == 200 and head.content == b""
        assert next(made) < 100  # a GET makes all 10,000
        assert client.head("/only-post").status_code == 405
