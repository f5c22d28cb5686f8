"""Resource limits that a route must declare: a body limit of its own, bounded strings and lists in every body and
query parameter, and a maximum page size on every list (OWASP API4, unrestricted resource consumption)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.types import Empty
from msgspec import inspect as mi

from survey.api import create_app
from survey.api.registry import MAX_PAGE
from tests.api.conftest import make_settings

WRITES = {"POST", "PUT", "PATCH"}
BOUNDED_PATTERN = re.compile(r"^\^[^*+]*\$$")  # anchored, with no unbounded repetition
FORM_OR_RAW = {"dict[str, str]", "bytes"}
DATA_BOUNDED = {"/api/cities", "/api/industries", "/api/instruments", "/api/checklists",
                "/api/quality/flags/{response_id:uuid}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Litestar:
    tmp = tmp_path_factory.mktemp("limits")
    return create_app(make_settings(f"sqlite:///{tmp}/survey.db", tmp, bench_noop=True), migrate=False)


def handlers(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler):
                found.append((route.path, handler))
    return found


def unbounded(info: mi.Type, where: str, seen: set) -> list[str]:
    """Paths inside a msgspec type where a string, list or mapping has no upper bound."""
    if isinstance(info, mi.StrType):
        if info.max_length is None and not (info.pattern and BOUNDED_PATTERN.match(info.pattern)):
            return [where]
        return []
    if isinstance(info, (mi.ListType, mi.TupleType, mi.SetType, mi.FrozenSetType, mi.DictType)):
        problems = [] if info.max_length is not None else [where]
        if isinstance(info, mi.DictType):
            return problems + unbounded(info.key_type, f"{where}.<key>", seen) + unbounded(info.value_type, f"{where}.*", seen)
        return problems + unbounded(info.item_type, f"{where}[]", seen)
    if isinstance(info, mi.VarTupleType):
        return [where]
    if isinstance(info, mi.UnionType):
        return [p for member in info.types for p in unbounded(member, where, seen)]
    if isinstance(info, mi.StructType):
        if info.cls in seen:
            return []
        seen.add(info.cls)
        return [p for field in info.fields for p in unbounded(field.type, f"{where}.{field.name}", seen)]
    if isinstance(info, (mi.BytesType, mi.ByteArrayType)):
        return [where]
    return []


def body_type(handler: HTTPRouteHandler) -> Any:
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


def test_every_route_that_takes_a_body_declares_its_own_limit(app):
    missing = [f"{sorted(h.http_methods)} {path}" for path, h in handlers(app)
               if h.http_methods & WRITES and h.request_max_body_size in (None, Empty)]
    assert missing == []


def test_every_json_body_bounds_its_strings_lists_and_maps(app):
    problems = []
    for path, handler in handlers(app):
        annotation = body_type(handler)
        if annotation is None or repr(annotation).replace("typing.", "") in FORM_OR_RAW:
            continue  # forms and raw bodies: bounded by the route's body limit, read field by field
        problems += [f"{path} {where}" for where in unbounded(mi.type_info(annotation), "$", set())]
    assert problems == []


def test_every_string_and_list_query_parameter_is_bounded(app):
    problems = []
    for path, handler in handlers(app):
        for name, field in handler.parsed_fn_signature.parameters.items():
            if name in ("data", "request", "context", "self") or field.kwarg_definition is None:
                continue
            definition = field.kwarg_definition
            if getattr(definition, "query", None) is None and type(definition).__name__ != "ParameterKwarg":
                continue
                text = repr(field.annotation)
            if "str" in text and "Literal" not in text and not (
                getattr(definition, "max_length", None) or getattr(definition, "pattern", None)
            ):
                problems.append(f"{path} ?{name}")
            if "list" in text and not getattr(definition, "max_items", None):
                problems.append(f"{path} ?{name} (list)")
    assert problems == []


def test_every_list_route_pages_with_a_maximum(app):
    """A list that grows with the database takes `limit` (at most MAX_PAGE); reference lists are bounded by the files
    shipped with the service, and a response's flags by the number of rules."""
    unpaged = []
    for path, handler in handlers(app):
        if "GET" not in handler.http_methods or not handler.include_in_schema or path in DATA_BOUNDED:
            continue
        returned = repr(handler.parsed_fn_signature.return_type.annotation)
        limit = handler.parsed_fn_signature.parameters.get("limit")
        if returned.startswith(("list[", "typing.List")) or "Page[" in returned:
            if limit is None or not limit.kwarg_definition or not (limit.kwarg_definition.le or 10**9) <= MAX_PAGE:
                unpaged.append(f"{path} -> {returned}")
    assert unpaged == []
