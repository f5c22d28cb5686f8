"""Model files: PLS path models as data (TOML decoded into frozen msgspec Structs)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Name = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
ItemCode = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.]*$")]


class ScoringError(ValueError):
    """Base class of the errors the scoring engine reports to its callers."""


class ModelFileError(ScoringError):
    """A model file cannot be read, decoded or is inconsistent."""


class Estimation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Settings of the PLS algorithm.

    ``convention = "exact"`` iterates until the largest change of a normalised outer weight is below
    ``tolerance``; ``"plspm"`` reproduces R plspm 0.4.x (start from unit weights, stop when
    ``sum((|w_old| - |w_new|)^2) < tolerance`` on the unnormalised Mode A/B updates).
    """

    scheme: Literal["centroid", "factorial", "path"] = "path"
    scaled: bool = True
    tolerance: Annotated[float, Meta(gt=0, le=1e-3)] = 1e-10
    max_iterations: Annotated[int, Meta(ge=1, le=100_000)] = 300
    convention: Literal["exact", "plspm"] = "exact"


class Construct(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Name
    items: Annotated[list[ItemCode], Meta(min_length=1)]
    mode: Literal["A", "B"] = "A"


class Paths(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, rename={"from_": "from"}):
    from_: Annotated[list[Name], Meta(min_length=1)]
    to: Annotated[list[Name], Meta(min_length=1)]


class ModelSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A PLS path model: constructs (blocks of items), paths, scale and index settings."""

    id: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: Annotated[str, Meta(min_length=1)]
    scale: tuple[float, float] = (1.0, 10.0)
    index: Name
    target: Annotated[float, Meta(ge=0, le=100)] = 85.0
    estimation: Estimation = Estimation()
    constructs: Annotated[list[Construct], Meta(min_length=1)]
    paths: Annotated[list[Paths], Meta(min_length=1)]

    def __post_init__(self) -> None:
        check_model(self)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.constructs)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(i for c in self.constructs for i in c.items)

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """Every (from, to) pair, in file order, each once."""
        seen: dict[tuple[str, str], None] = {}
        for p in self.paths:
            for a in p.from_:
                for b in p.to:
                    seen[(a, b)] = None
        return tuple(seen)

    def construct(self, name: str) -> Construct:
        for c in self.constructs:
            if c.name == name:
                return c
        raise KeyError(name)

    def with_items(self, construct: str, extra_items: list[str] | tuple[str, ...]) -> ModelSpec:
        """Return a new spec with ``extra_items`` appended to the block of ``construct`` (validated)."""
        if construct not in self.names:
            raise ModelFileError(f"with_items: no construct {construct!r} in model {self.id!r}")
        raw = msgspec.to_builtins(self)
        for block in raw["constructs"]:
            if block["name"] == construct:
                block["items"] = [*block["items"], *extra_items]
        return revalidate(raw, f"{self.id} with items {list(extra_items)} in {construct}")

    def with_estimation(self, **changes: object) -> ModelSpec:
        """Return a new spec with some estimation settings replaced (e.g. ``scheme="path"``), validated."""
        raw = msgspec.to_builtins(self)
        raw["estimation"].update(changes)
        return revalidate(raw, f"{self.id} with estimation {changes}")


def revalidate(raw: dict, source: str) -> ModelSpec:
    try:
        return msgspec.convert(raw, ModelSpec)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ModelFileError(f"{source}: {exc}") from exc


def check_model(spec: ModelSpec) -> None:
    """Cross-field checks that the types cannot express: unique names, known endpoints, no cycles."""
    low, high = spec.scale
    if not high > low:
        raise ValueError("scale must be [low, high] with high > low")
    names = [c.name for c in spec.constructs]
    if len(set(names)) != len(names):
        raise ValueError("construct names must be unique")
    items = [i for c in spec.constructs for i in c.items]
    dupes = sorted({i for i in items if items.count(i) > 1})
    if dupes:
        raise ValueError(f"items used more than once: {', '.join(dupes)}")
    if spec.index not in names:
        raise ValueError(f"index construct {spec.index!r} is not a construct")
    for a, b in spec.edges:
        for end in (a, b):
            if end not in names:
                raise ValueError(f"path endpoint {end!r} is not a construct")
        if a == b:
            raise ValueError(f"path {a} -> {b} is a loop")
    order = topological_order(names, spec.edges)
    if order is None:
        raise ValueError("the paths contain a cycle")
    linked = {x for e in spec.edges for x in e}
    lonely = [n for n in names if n not in linked]
    if lonely:
        raise ValueError(f"constructs without any path: {', '.join(lonely)}")


def topological_order(names: list[str], edges: tuple[tuple[str, str], ...]) -> list[str] | None:
    """Kahn's algorithm, stable in file order; None when there is a cycle."""
    incoming = {n: {a for a, b in edges if b == n} for n in names}
    order: list[str] = []
    while len(order) < len(names):
        ready = [n for n in names if n not in order and incoming[n] <= set(order)]
        if not ready:
            return None
        order.append(ready[0])
    return order


def decode_model(text: str | bytes, source: str = "<string>") -> ModelSpec:
    """Decode the TOML text of a model file; errors name the source and the key."""
    try:
        raw = tomllib.loads(text.decode() if isinstance(text, bytes) else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return msgspec.convert(raw, ModelSpec)
    except msgspec.ValidationError as exc:
        raise ModelFileError(f"{source}: {exc}") from exc
    except ValueError as exc:
        raise ModelFileError(f"{source}: {exc}") from exc


def load_model(path: str | Path) -> ModelSpec:
    """Read and validate a model file.

    Parameters
    ----------
    path
        A TOML model file (see ``models/``).

    Returns
    -------
    ModelSpec

    Raises
    ------
    ModelFileError
        When the file is unreadable, not TOML, has an unknown or missing key, a value out of range,
        or an inconsistent model (unknown construct, cycle, duplicate item).
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read model file: {exc.strerror or exc}") from exc
    return decode_model(text, str(path))
