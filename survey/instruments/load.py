"""Reading one questionnaire file: TOML in the authors' form, composed with a shared core, checked beyond the types."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from survey.instruments.spec import ChoiceItem, Code, Instrument, ScaleItem, Section, Text, Version
from survey.regions import load_industries

CoreName = Annotated[str, Meta(pattern=r"^core-[1-9][0-9]{0,3}$")]
T = TypeVar("T")
_PATH = re.compile(r"^\$\.(sections|head|tail)\[(\d+)\]\.items\[(\d+)\]")


class InstrumentError(ValueError):
    """A questionnaire file that cannot be published as written; the message names file, item and reason."""


class Core(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The shared sections: `head` goes before an instrument's own sections, `tail` after them."""

    head: tuple[Section, ...] = ()
    tail: tuple[Section, ...] = ()


class Draft(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An instrument file as authored: an Instrument whose sections may be wrapped by a core file."""

    code: Code
    kind: Literal["survey", "audit"] = "survey"
    industry: Code
    version: Version
    core: CoreName | None = None
    title: Text
    intro: Text
    sections: Annotated[tuple[Section, ...], Meta(min_length=1, max_length=20)]


def data_files() -> Traversable:
    """The folder of the shipped questionnaire files."""
    return resources.files("survey.instruments").joinpath("data")


def load_instrument_text(text: str, source: str, root: Traversable | None = None) -> Instrument:
    """Decode, compose and check one instrument written in TOML; `source` names it in errors."""
    raw = _parse(text, source)
    draft = _convert(raw, Draft, source)
    sections = draft.sections
    if draft.core is not None:
        core = load_core(draft.core, root)
        sections = core.head + sections + core.tail
    fields = {name: getattr(draft, name) for name in Instrument.__struct_fields__ if name != "sections"}
    composed = msgspec.to_builtins(Instrument(**fields, sections=sections))
    instrument = _convert(composed, Instrument, source)
    check_instrument(instrument, source)
    return instrument


def load_core(name: str, root: Traversable | None = None) -> Core:
    """The shared core file `<name>.toml` next to the instruments."""
    source = f"{name}.toml"
    path = (root or data_files()).joinpath(source)
    if not path.is_file():
        raise InstrumentError(f"{source}: $: core file not found")
    return _convert(_parse(path.read_text("utf-8"), source), Core, source)


def check_instrument(instrument: Instrument, source: str) -> None:
    """Check what the types cannot: known industry, unique codes, ranges, skip logic pointing backwards."""
    industries = load_industries().codes()
    if instrument.industry not in industries:
        raise InstrumentError(f"{source}: $.industry: unknown industry {instrument.industry!r}; one of {', '.join(industries)}")
    sections: set[str] = set()
    for section in instrument.sections:
        if section.code in sections:
            raise InstrumentError(f"{source}: section {section.code}: section code used twice")
        sections.add(section.code)
    earlier: dict[str, object] = {}
    for item in instrument.items():
        where = f"{source}: item {item.code}"
        if item.code in earlier:
            raise InstrumentError(f"{where}: item code used twice")
        if isinstance(item, ScaleItem) and item.low >= item.high:
            raise InstrumentError(f"{where}: low ({item.low}) must be below high ({item.high})")
        if item.relevant is not None:
            target = earlier.get(item.relevant.item)
            if not isinstance(target, ChoiceItem):
                raise InstrumentError(f"{where}: relevant.item {item.relevant.item!r} is not an earlier choice item")
            if item.relevant.equals not in {option.code for option in target.options}:
                raise InstrumentError(
                    f"{where}: relevant.equals {item.relevant.equals!r} is not an option of {target.code}"
                )
        if isinstance(item, ChoiceItem) and len({o.code for o in item.options}) != len(item.options):
            raise InstrumentError(f"{where}: option code used twice")
        earlier[item.code] = item


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(f"{source}: TOML syntax: {error}") from None


def _convert(raw: dict[str, Any], kind: type[T], source: str) -> T:
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as error:
        reason, _, path = str(error).partition(" - at ")
        path = path.strip("`") or "$"
        raise InstrumentError(f"{source}: {path}{_item_code(raw, path)}: {reason}") from None


def _item_code(raw: dict[str, Any], path: str) -> str:
    """` (item qua3)` when the path points into an item that has a code."""
    match = _PATH.match(path)
    try:
        code = raw[match[1]][int(match[2])]["items"][int(match[3])]["code"] if match else None
    except (KeyError, IndexError, TypeError):
        return ""
    return f" (item {code})" if isinstance(code, str) else ""
